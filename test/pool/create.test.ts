import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResourcePool } from '../../src/pool/index.js';
import { checkInvariants, FakeFactory, flush, makePool, track, type Fake } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('creates owned by an acquire', () => {
  it('counts in constructingResources, not in pendingAcquires', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 2 }, factory);
    const a = track(pool.acquire());
    await flush();
    expect(pool.stat()).toMatchObject({ constructingResources: 1, pendingAcquires: 0, totalResources: 1 });
    factory.succeed();
    await flush();
    expect(a.status).toBe('fulfilled');
    expect(pool.stat()).toMatchObject({ constructingResources: 0, acquiredResources: 1 });
  });

  it('an abort cancels the wait, not the create: the resource goes idle', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const ac = new AbortController();
    const a = track(pool.acquire({ signal: ac.signal }));
    await flush();
    ac.abort(new Error('gave up'));
    await flush();
    expect((a.error as Error).message).toBe('gave up');
    expect(pool.stat()).toMatchObject({ constructingResources: 1, canceledAcquireCount: 1 });
    const made = factory.succeed();
    await flush();
    expect(pool.stat()).toMatchObject({ idleResources: 1, totalResources: 1, createdCount: 1 });
    expect([...pool.idleResources].map((r) => r.value)).toEqual([made]);
  });

  it('a create whose owner gave up serves the oldest queued acquire instead', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const ac = new AbortController();
    const owner = track(pool.acquire({ signal: ac.signal }));
    const queued = track(pool.acquire());
    await flush();
    expect(pool.stat().pendingAcquires).toBe(1);
    ac.abort();
    const made = factory.succeed();
    await flush();
    expect(owner.status).toBe('rejected');
    expect(queued.value?.value).toBe(made);
    expect(pool.stat()).toMatchObject({ acquiredResources: 1, pendingAcquires: 0 });
  });

  it('a failed create frees the slot at once and rejects its owner with the same error', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const a = track(pool.acquire());
    await flush();
    const error = { not: 'an Error' };
    factory.fail(error);
    await flush();
    expect(a.error).toBe(error);
    expect(pool.lastCreateError).toBe(error);
    expect(pool.stat()).toMatchObject({ totalResources: 0, failedCreateCount: 1, createdCount: 0 });
  });

  it('each queued acquire in turn gets its own create and its own error (never hangs)', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const outcomes = [track(pool.acquire()), track(pool.acquire()), track(pool.acquire())];
    await flush();
    expect(pool.stat()).toMatchObject({ constructingResources: 1, pendingAcquires: 2 });
    const errors = [new Error('e1'), new Error('e2'), new Error('e3')];
    for (const [i, error] of errors.entries()) {
      expect(factory.pending).toHaveLength(1);
      factory.fail(error);
      await flush();
      expect(outcomes[i]?.error).toBe(error);
      checkInvariants(pool);
    }
    expect(pool.stat()).toMatchObject({ totalResources: 0, pendingAcquires: 0, failedCreateCount: 3 });
  });

  it('a failed create whose owner gave up hands a new create to the head waiter', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const ac = new AbortController();
    const owner = track(pool.acquire({ signal: ac.signal }));
    const queued = track(pool.acquire());
    await flush();
    ac.abort();
    factory.fail(new Error('down'));
    await flush();
    expect(owner.error).toMatchObject({ name: 'AbortError' });
    expect(queued.status).toBe('pending');
    expect(pool.stat()).toMatchObject({ constructingResources: 1, pendingAcquires: 0 });
    const made = factory.succeed();
    await flush();
    expect(queued.value?.value).toBe(made);
  });

  it('a create that throws synchronously fails like a rejection', async () => {
    const error = new Error('sync throw');
    const pool = new ResourcePool<Fake>({
      maxSize: 1,
      create: () => {
        throw error;
      },
      destroy: () => {},
    });
    await expect(pool.acquire()).rejects.toBe(error);
    await expect(pool.createResource()).rejects.toBe(error);
    expect(pool.stat()).toMatchObject({ totalResources: 0, failedCreateCount: 2 });
  });

  it('many waiters behind a synchronously failing create all reject (no recursion blow-up)', async () => {
    let calls = 0;
    const pool = new ResourcePool<Fake>({
      maxSize: 1,
      create: () => {
        calls++;
        throw new Error(`fail ${calls}`);
      },
      destroy: () => {},
    });
    const results = await Promise.allSettled(Array.from({ length: 5000 }, () => pool.acquire()));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(5000);
    expect(pool.stat()).toMatchObject({ totalResources: 0, pendingAcquires: 0 });
  });

  it('lastCreateError is cleared by a successful create', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const a = track(pool.acquire());
    await flush();
    factory.fail(new Error('once'));
    await flush();
    expect(a.status).toBe('rejected');
    expect(pool.lastCreateError).toBeInstanceOf(Error);
    const b = track(pool.acquire());
    await flush();
    factory.succeed();
    await flush();
    expect(b.status).toBe('fulfilled');
    expect(pool.lastCreateError).toBeUndefined();
  });
});

describe('createResource (background fill)', () => {
  it('adds an idle resource and resolves true', async () => {
    const { pool } = makePool({ maxSize: 2 });
    await expect(pool.createResource()).resolves.toBe(true);
    await expect(pool.createResource()).resolves.toBe(true);
    expect(pool.stat()).toMatchObject({ idleResources: 2, createdCount: 2 });
  });

  it('resolves false without creating when the pool is full or closed', async () => {
    const { pool, factory } = makePool({ maxSize: 1 });
    await pool.acquire();
    await expect(pool.createResource()).resolves.toBe(false);
    expect(factory.createCalls).toBe(1);
    void pool.close({ timeout: 0 });
    await expect(pool.createResource()).resolves.toBe(false);
    expect(factory.createCalls).toBe(1);
  });

  it('counts in constructing while running, and serves a waiter that queued meanwhile', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const filled = track(pool.createResource());
    await flush();
    expect(pool.stat()).toMatchObject({ constructingResources: 1, totalResources: 1 });
    const waiting = track(pool.acquire());
    expect(pool.stat().pendingAcquires).toBe(1);
    const made = factory.succeed();
    await flush();
    expect(filled.value).toBe(true);
    expect(waiting.value?.value).toBe(made);
    expect(pool.stat()).toMatchObject({ idleResources: 0, acquiredResources: 1 });
  });

  it('rejects with the create error, and the head waiter gets its own create', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const filled = track(pool.createResource());
    await flush();
    const waiting = track(pool.acquire());
    const error = new Error('fill failed');
    factory.fail(error);
    await flush();
    expect(filled.error).toBe(error);
    expect(waiting.status).toBe('pending');
    expect(pool.stat()).toMatchObject({ constructingResources: 1, pendingAcquires: 0 });
    factory.fail(new Error('second'));
    await flush();
    expect((waiting.error as Error).message).toBe('second');
  });

  it('resolves false and destroys the resource when the pool closed meanwhile', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const filled = track(pool.createResource());
    await flush();
    const closed = track(pool.close());
    const made = factory.succeed();
    await flush();
    expect(filled.value).toBe(false);
    expect(factory.destroyed).toEqual([{ value: made, forced: false }]);
    expect(closed.status).toBe('fulfilled');
  });
});

describe('what a create learns of its owner', () => {
  it('ownerGaveUp aborts with the reason when the owning acquire gives up; a fill gets none', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 2 }, factory);
    const a = track(pool.acquire({ timeout: 100 }));
    void pool.createResource().catch(() => undefined);
    await flush();
    const [owned, fill] = factory.signals;
    expect(fill).toBeUndefined();
    expect(owned?.aborted).toBe(false);
    vi.advanceTimersByTime(100);
    await flush();
    expect(a.status).toBe('rejected');
    expect(owned?.aborted).toBe(true);
    expect(owned?.reason).toBe(a.error);
    // A create that stops for that reason is no failed create and leaves no lastCreateError.
    factory.fail(owned?.reason);
    await flush();
    expect(pool.stat().failedCreateCount).toBe(0);
    expect(pool.lastCreateError).toBeUndefined();
    checkInvariants(pool);
  });

  it('createdForHolder: true only for a resource handed straight to the acquire that created it', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 2 }, factory);
    const mine = track(pool.acquire());
    await flush();
    factory.succeed();
    await flush();
    expect(mine.value?.createdForHolder).toBe(true);
    // A background fill goes idle; whoever takes it did not create it.
    void pool.createResource();
    await flush();
    factory.succeed();
    await flush();
    const other = await pool.acquire();
    expect(other.createdForHolder).toBe(false);
    // A create whose owner gave up serves the next queued acquire: not its holder's either.
    mine.value!.release();
    other.release();
    const held = [await pool.acquire(), await pool.acquire()];
    held[0]!.destroy();
    const ac = new AbortController();
    const owner = track(pool.acquire({ signal: ac.signal }));
    const queued = track(pool.acquire());
    await flush();
    ac.abort(new Error('gave up'));
    factory.succeed();
    await flush();
    expect(owner.status).toBe('rejected');
    expect(queued.value?.createdForHolder).toBe(false);
    checkInvariants(pool);
  });
});
