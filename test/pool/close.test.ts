import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isWsPoolError } from '../../src/errors.js';
import { deferred, FakeFactory, flush, makePool, track } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('close', () => {
  it('is idempotent: every call returns the same promise', async () => {
    const { pool } = makePool({ maxSize: 1 });
    expect(pool.closed).toBe(false);
    const first = pool.close();
    expect(pool.closed).toBe(true);
    expect(pool.close({ timeout: 5 })).toBe(first);
    await first;
  });

  it('destroys idle resources at once', async () => {
    const { pool, factory } = makePool({ maxSize: 2 });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    const closed = track(pool.close());
    expect(factory.destroyed).toEqual([
      { value: a.value, forced: false },
      { value: b.value, forced: false },
    ]);
    expect(a.state).toBe('destroyed');
    await flush();
    expect(closed.status).toBe('fulfilled');
    expect(pool.stat()).toMatchObject({ totalResources: 0, destroyedCount: 2 });
  });

  it('rejects queued acquires and acquires waiting on their own create with POOL_CLOSED', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const owner = track(pool.acquire({ timeout: 1000 }));
    const queued = track(pool.acquire({ timeout: 1000, signal: new AbortController().signal }));
    await flush();
    const closed = track(pool.close());
    await flush();
    expect(isWsPoolError(owner.error, 'WSPOOL_ERR_POOL_CLOSED')).toBe(true);
    expect(isWsPoolError(queued.error, 'WSPOOL_ERR_POOL_CLOSED')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(pool.stat()).toMatchObject({ pendingAcquires: 0, canceledAcquireCount: 0 });
    // The create is still running: close waits for it, then destroys what it made.
    expect(closed.status).toBe('pending');
    const made = factory.succeed();
    await flush();
    expect(factory.destroyed).toEqual([{ value: made, forced: false }]);
    expect(closed.status).toBe('fulfilled');
    expect(owner.settleCount).toBe(1);
  });

  it('a create failing after close still lets close resolve', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const owner = track(pool.acquire());
    await flush();
    const closed = track(pool.close());
    factory.fail(new Error('late failure'));
    await flush();
    expect(isWsPoolError(owner.error, 'WSPOOL_ERR_POOL_CLOSED')).toBe(true);
    expect(closed.status).toBe('fulfilled');
    expect(pool.stat().failedCreateCount).toBe(1);
  });

  it('waits for acquired resources; releasing one after close destroys it', async () => {
    const { pool, factory } = makePool({ maxSize: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const closed = track(pool.close());
    await flush();
    expect(closed.status).toBe('pending');
    a.release();
    expect(a.state).toBe('destroyed');
    b.releaseUnused();
    await flush();
    expect(factory.destroyed.map((d) => d.forced)).toEqual([false, false]);
    expect(closed.status).toBe('fulfilled');
  });

  it('close({ timeout }) destroys still-acquired resources with forced = true', async () => {
    const { pool, factory } = makePool({ maxSize: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    b.release();
    const closed = track(pool.close({ timeout: 1000 }));
    expect(factory.destroyed).toEqual([{ value: b.value, forced: false }]);
    await vi.advanceTimersByTimeAsync(999);
    expect(closed.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(factory.destroyed).toEqual([
      { value: b.value, forced: false },
      { value: a.value, forced: true },
    ]);
    expect(a.state).toBe('destroyed');
    expect(closed.status).toBe('fulfilled');
    a.release(); // late release of a forced resource: a no-op
    expect(factory.destroyed).toHaveLength(2);
  });

  it('leaves no timer behind when everything is released before the close timeout', async () => {
    const { pool } = makePool({ maxSize: 1 });
    const a = await pool.acquire();
    const closed = pool.close({ timeout: 60_000 });
    expect(vi.getTimerCount()).toBe(1);
    a.release();
    await closed;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves only after async destroy callbacks settle', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    const gate = deferred<void>();
    factory.destroyResult = gate.promise;
    (await pool.acquire()).release();
    const closed = track(pool.close());
    await flush();
    expect(closed.status).toBe('pending');
    expect(pool.stat().totalResources).toBe(0);
    gate.resolve();
    await flush();
    expect(closed.status).toBe('fulfilled');
  });

  it('resolves after a rejecting async destroy too', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    const gate = deferred<void>();
    factory.destroyResult = gate.promise;
    (await pool.acquire()).release();
    const closed = track(pool.close());
    gate.reject(new Error('close failed'));
    await flush();
    expect(closed.status).toBe('fulfilled');
  });

  it('also waits for async destroys started before close', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    const gate = deferred<void>();
    factory.destroyResult = gate.promise;
    (await pool.acquire()).destroy();
    const closed = track(pool.close());
    await flush();
    expect(closed.status).toBe('pending');
    gate.resolve();
    await flush();
    expect(closed.status).toBe('fulfilled');
  });

  it('rejects an invalid timeout without closing', async () => {
    const { pool } = makePool({ maxSize: 1 });
    await expect(pool.close({ timeout: -1 })).rejects.toMatchObject({ code: 'WSPOOL_ERR_INVALID_CONFIG' });
    expect(pool.closed).toBe(false);
    await pool.close();
  });

  it('close while acquired: the holder keeps using it, new acquires fail, release finishes close', async () => {
    const { pool, factory } = makePool({ maxSize: 3 });
    const held = await pool.acquire();
    const idle = await pool.acquire();
    idle.release();
    const closed = track(pool.close());
    expect(held.state).toBe('acquired');
    expect(idle.state).toBe('destroyed');
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'WSPOOL_ERR_POOL_CLOSED' });
    await expect(pool.createResource()).resolves.toBe(false);
    expect(pool.acquireAllIdle()).toEqual([]);
    expect(pool.stat()).toMatchObject({ totalResources: 1, acquiredResources: 1 });
    expect(closed.status).toBe('pending');
    held.release();
    await flush();
    expect(closed.status).toBe('fulfilled');
    expect(factory.destroyed).toHaveLength(2);
    expect(pool.stat()).toMatchObject({ totalResources: 0, destroyedCount: 2 });
  });
});
