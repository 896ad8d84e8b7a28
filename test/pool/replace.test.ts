// Resource.replace(): destroy a checked-out resource and create its successor in the same slot for
// the same holder, so a holder whose resource failed a check keeps its place in line.
import { describe, expect, it } from 'vitest';
import { WsPoolError } from '../../src/errors.js';
import { FakeFactory, checkInvariants, flush, makePool, track } from './fixtures.js';

describe('Resource.replace()', () => {
  it('keeps the slot from queued acquires and hands the new resource to the holder', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const firstAcquire = track(pool.acquire());
    await flush();
    factory.succeed();
    await flush();
    const old = firstAcquire.value!;
    const queued = track(pool.acquire());
    await flush();
    expect(checkInvariants(pool).pendingAcquires).toBe(1);

    const replacement = track(old.replace());
    await flush();
    // The old one is destroyed; the slot went to a create for the holder, not to the queue.
    expect(factory.destroyed.map((d) => d.value.id)).toEqual([old.value.id]);
    expect(checkInvariants(pool)).toMatchObject({
      constructingResources: 1,
      acquiredResources: 0,
      pendingAcquires: 1,
    });
    expect(factory.pending).toHaveLength(1);
    factory.succeed();
    await flush();
    expect(replacement.status).toBe('fulfilled');
    expect(replacement.value!.state).toBe('acquired');
    expect(queued.status).toBe('pending');
    replacement.value!.release();
    await flush();
    expect(queued.status).toBe('fulfilled');
    expect(queued.value).toBe(replacement.value);
    checkInvariants(pool);
  });

  it('a failed replacement create frees the slot and rejects the holder with that error', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const a = track(pool.acquire());
    await flush();
    factory.succeed();
    await flush();
    const queued = track(pool.acquire());
    const replacement = track(a.value!.replace());
    await flush();
    const boom = new Error('dial failed');
    factory.fail(boom);
    await flush();
    expect(replacement.status).toBe('rejected');
    expect(replacement.error).toBe(boom);
    // The freed slot went to the queued acquire as its own create.
    expect(factory.pending).toHaveLength(1);
    factory.succeed();
    await flush();
    expect(queued.status).toBe('fulfilled');
    checkInvariants(pool);
  });

  it('after close() it destroys and rejects POOL_CLOSED; on a released resource it rejects', async () => {
    const { pool, factory } = makePool({ maxSize: 2 });
    const r = await pool.acquire();
    const other = await pool.acquire();
    other.release();
    await expect(other.replace()).rejects.toMatchObject({ code: 'WSPOOL_ERR_INVALID_CONFIG' });
    const closing = pool.close();
    const error = await r.replace().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WsPoolError);
    expect(error).toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    expect(r.state).toBe('destroyed');
    await closing;
    expect(factory.destroyed).toHaveLength(2);
  });

  it('an aborted signal rejects at once; the slot’s create serves the next acquire', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const a = track(pool.acquire());
    await flush();
    factory.succeed();
    await flush();
    const reason = new Error('gave up');
    const replacement = track(a.value!.replace({ signal: AbortSignal.abort(reason) }));
    const next = track(pool.acquire());
    await flush();
    expect(replacement.error).toBe(reason);
    expect(pool.stat().canceledAcquireCount).toBe(1);
    factory.succeed();
    await flush();
    expect(next.status).toBe('fulfilled');
    checkInvariants(pool);
  });
});
