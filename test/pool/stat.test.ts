import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResourcePool } from '../../src/pool/index.js';
import { FakeFactory, flush, makePool, track, type Fake } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('stat()', () => {
  it('is a frozen snapshot, not a live view', async () => {
    const { pool } = makePool({ maxSize: 2 });
    const before = pool.stat();
    expect(Object.isFrozen(before)).toBe(true);
    await pool.acquire();
    expect(before.acquiredResources).toBe(0);
    expect(pool.stat().acquiredResources).toBe(1);
    expect(pool.stat()).not.toBe(pool.stat());
  });

  it('starts at zero with maxSize reported', () => {
    const { pool } = makePool({ maxSize: 7 });
    expect(pool.stat()).toEqual({
      totalResources: 0,
      idleResources: 0,
      acquiredResources: 0,
      constructingResources: 0,
      pendingAcquires: 0,
      maxSize: 7,
      acquireCount: 0,
      acquireDuration: 0,
      emptyAcquireCount: 0,
      emptyAcquireWaitTime: 0,
      canceledAcquireCount: 0,
      createdCount: 0,
      failedCreateCount: 0,
      destroyedCount: 0,
    });
  });

  it('tracks every gauge through a scenario', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 2 }, factory);
    const a = track(pool.acquire());
    const b = track(pool.acquire());
    const c = track(pool.acquire());
    await flush();
    expect(pool.stat()).toMatchObject({
      totalResources: 2,
      constructingResources: 2,
      pendingAcquires: 1,
      idleResources: 0,
      acquiredResources: 0,
    });
    factory.succeed();
    await flush();
    expect(pool.stat()).toMatchObject({ totalResources: 2, constructingResources: 1, acquiredResources: 1 });
    factory.succeed();
    await flush();
    a.value?.release(); // → c
    b.value?.release(); // → idle
    await flush();
    expect(c.status).toBe('fulfilled');
    expect([pool.idleCount, pool.totalCount]).toEqual([1, 2]);
    expect(pool.stat()).toMatchObject({
      totalResources: 2,
      idleResources: 1,
      acquiredResources: 1,
      constructingResources: 0,
      pendingAcquires: 0,
    });
  });

  it('counts acquires, empty acquires and their durations', async () => {
    // performance.now() is faked too, so durations are exact.
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 1 }, factory);
    const first = track(pool.acquire());
    await flush();
    await vi.advanceTimersByTimeAsync(30);
    factory.succeed();
    await flush();
    const second = track(pool.acquire()); // queues
    await vi.advanceTimersByTimeAsync(20);
    first.value?.release();
    await flush();
    second.value?.release();
    await pool.acquire(); // idle: instant, not empty
    const s = pool.stat();
    expect(s.acquireCount).toBe(3);
    expect(s.emptyAcquireCount).toBe(2);
    expect(s.emptyAcquireWaitTime).toBe(50);
    expect(s.acquireDuration).toBe(50);
  });

  it('counts canceled acquires (abort, pre-aborted, timeout, timeout 0) but not closed or exhausted', async () => {
    const { pool } = makePool({ maxSize: 1, maxWaiting: 2 });
    await pool.acquire();
    const ac = new AbortController();
    const aborted = track(pool.acquire({ signal: ac.signal }));
    const timed = track(pool.acquire({ timeout: 10 }));
    const exhausted = track(pool.acquire());
    ac.abort();
    await vi.advanceTimersByTimeAsync(10);
    const preAborted = track(pool.acquire({ signal: AbortSignal.abort() }));
    const zero = track(pool.acquire({ timeout: 0 }));
    const closedOut = track(pool.acquire());
    void pool.close({ timeout: 0 });
    await flush();
    for (const o of [aborted, timed, exhausted, preAborted, zero, closedOut])
      expect(o.status).toBe('rejected');
    expect(pool.stat().canceledAcquireCount).toBe(4);
  });

  it('counts created, failed and destroyed resources', async () => {
    const factory = new FakeFactory(false);
    const { pool } = makePool({ maxSize: 2 }, factory);
    const a = track(pool.acquire());
    const b = track(pool.acquire());
    await flush();
    factory.succeed();
    factory.fail(new Error('x'));
    await flush();
    expect(b.status).toBe('rejected');
    a.value?.destroy();
    expect(pool.stat()).toMatchObject({ createdCount: 1, failedCreateCount: 1, destroyedCount: 1 });
  });

  it('counts resources destroyed by close, including ones created after it', async () => {
    const factory = new FakeFactory(false);
    const pool = new ResourcePool<Fake>({ maxSize: 2, create: factory.create, destroy: factory.destroy });
    const filling = track(pool.createResource());
    await flush();
    factory.succeed();
    await flush();
    expect(filling.value).toBe(true);
    const late = track(pool.createResource());
    await flush();
    const closed = pool.close();
    factory.succeed();
    await closed;
    await flush();
    expect(late.value).toBe(false);
    expect(pool.stat()).toMatchObject({ createdCount: 2, destroyedCount: 2, totalResources: 0 });
  });
});
