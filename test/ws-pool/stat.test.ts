// Pool.stat() and Pool.leaks(): every gauge and counter moves when it should (those driven by time
// — lifetime, idle, health-check destroys — are asserted in health.test.ts, discardedMessages in
// handles.test.ts and hooks.test.ts), the snapshot is frozen and never live, and trackLeaks names
// the code that holds a connection too long.
import { describe, expect, it, vi } from 'vitest';
import {
  PoolJar,
  gate,
  gauges,
  startPeerServer,
  statOf,
  track,
  until,
  useFakeClock,
  within,
  wsErrorOf,
  useSuiteServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

describe('stat()', () => {
  it('starts at zero with maxConns set', () => {
    const pool = jar.pool({ url: server.url, maxConns: 7 });
    expect(statOf(pool)).toEqual({
      totalConns: 0,
      idleConns: 0,
      acquiredConns: 0,
      constructingConns: 0,
      pendingAcquires: 0,
      maxConns: 7,
      acquireCount: 0,
      acquireDuration: 0,
      emptyAcquireCount: 0,
      emptyAcquireWaitTime: 0,
      canceledAcquireCount: 0,
      newConnsCount: 0,
      failedConnectCount: 0,
      maxLifetimeDestroyCount: 0,
      maxIdleDestroyCount: 0,
      healthCheckDestroyCount: 0,
      discardedMessages: 0,
      errorReleaseCount: 0,
    });
  });

  it('gauges follow a connection through constructing, acquired, idle and gone, and count queued acquires', async () => {
    const dial = gate();
    const pool = jar.pool({ url: server.url, maxConns: 1, beforeConnect: () => dial.promise });
    const first = track(pool.acquire());
    // One acquire waiting on its own dial counts in constructingConns, not pendingAcquires.
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 0, constructing: 1, pending: 0 });
    const second = track(pool.acquire());
    const third = track(pool.acquire());
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 0, constructing: 1, pending: 2 });
    dial.open();
    await until(() => first.status === 'fulfilled', 'the dial');
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 2 });
    first.value!.release();
    await until(() => second.status === 'fulfilled', 'the second');
    expect(gauges(pool)).toEqual({ total: 1, idle: 0, acquired: 1, constructing: 0, pending: 1 });
    second.value!.release();
    await until(() => third.status === 'fulfilled', 'the third');
    third.value!.release();
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    const last = await pool.acquire();
    last.destroy();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
  });

  it('acquireCount, acquireDuration, emptyAcquireCount and emptyAcquireWaitTime', async () => {
    useFakeClock();
    const dial = gate();
    let gated = true;
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: Infinity,
      healthCheckPeriod: Infinity,
      beforeConnect: () => (gated ? dial.promise : undefined),
    });
    // 1: an empty pool, the dial takes 100 ms.
    const first = track(pool.acquire());
    await vi.advanceTimersByTimeAsync(100);
    dial.open();
    await until(() => first.status === 'fulfilled', 'the first acquire');
    gated = false;
    let s = statOf(pool);
    expect([s.acquireCount, s.acquireDuration, s.emptyAcquireCount, s.emptyAcquireWaitTime]).toEqual([
      1, 100, 1, 100,
    ]);
    // 2: queued for 250 ms behind the first.
    const second = track(pool.acquire());
    await vi.advanceTimersByTimeAsync(250);
    first.value!.release();
    await until(() => second.status === 'fulfilled', 'the second acquire');
    s = statOf(pool);
    expect([s.acquireCount, s.acquireDuration, s.emptyAcquireCount, s.emptyAcquireWaitTime]).toEqual([
      2, 350, 2, 350,
    ]);
    // 3: an idle connection is ready: not an empty acquire, no wait.
    second.value!.release();
    await vi.advanceTimersByTimeAsync(1_000);
    (await within(pool.acquire(), 5_000, 'third')).release();
    s = statOf(pool);
    expect([s.acquireCount, s.acquireDuration, s.emptyAcquireCount, s.emptyAcquireWaitTime]).toEqual([
      3, 350, 2, 350,
    ]);
    // A failed acquire counts nowhere here.
    const holder = await within(pool.acquire(), 5_000, 'holder');
    await wsErrorOf(pool.acquire({ timeout: 0 }), 'WSPOOL_ERR_ACQUIRE_TIMEOUT');
    expect(statOf(pool).acquireCount).toBe(4);
    holder.release();
  });

  it('canceledAcquireCount counts aborts (before and while waiting) and timeouts, nothing else', async () => {
    useFakeClock();
    const pool = jar.pool({ url: server.url, maxConns: 1, maxWaiting: 3, healthCheckPeriod: Infinity });
    const holder = await within(pool.acquire(), 5_000, 'holder');
    await pool.acquire({ signal: AbortSignal.abort() }).catch(() => undefined);
    const controller = new AbortController();
    const aborted = track(pool.acquire({ signal: controller.signal }));
    const timed = track(pool.acquire({ timeout: 10 }));
    controller.abort();
    await vi.advanceTimersByTimeAsync(10);
    await until(() => aborted.status === 'rejected' && timed.status === 'rejected', 'both');
    expect(statOf(pool).canceledAcquireCount).toBe(3);
    // Not cancellations: a full queue, a closed pool.
    const q = [track(pool.acquire()), track(pool.acquire()), track(pool.acquire())];
    await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_POOL_EXHAUSTED');
    holder.release();
    for (const o of q) {
      await until(() => o.status === 'fulfilled', 'the next queued acquire');
      o.value!.release();
    }
    expect(statOf(pool).canceledAcquireCount).toBe(3);
  });

  it('newConnsCount and failedConnectCount count dials', async () => {
    let calls = 0;
    const pool = jar.pool({
      url: server.url,
      maxConns: 3,
      beforeConnect: () => {
        if (++calls % 2 === 0) throw new Error('every second dial fails');
      },
    });
    const results = await Promise.allSettled([
      pool.acquire(),
      pool.acquire(),
      pool.acquire(),
      pool.acquire(),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(2);
    const s = statOf(pool);
    expect(s.newConnsCount).toBe(2);
    expect(s.failedConnectCount).toBe(2);
    for (const r of ok) (r as PromiseFulfilledResult<{ release(): void }>).value.release();
  });

  it('returns a frozen snapshot, not a live view', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 2 });
    const before = pool.stat();
    expect(Object.isFrozen(before)).toBe(true);
    expect(() => {
      (before as { idleConns: number }).idleConns = 5;
    }).toThrow(TypeError);
    const conn = await pool.acquire();
    expect(before.acquiredConns).toBe(0);
    expect(before.acquireCount).toBe(0);
    const after = pool.stat();
    expect(after).not.toBe(before);
    expect(after.acquireCount).toBe(1);
    conn.release();
  });
});

describe('leaks()', () => {
  it('with trackLeaks, lists connections held longer than olderThan, longest first, with the acquiring stack', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: `ws://user:secret@127.0.0.1:${server.server.port}/?token=abc`,
      maxConns: 3,
      trackLeaks: true,
      healthCheckPeriod: Infinity,
    });
    const longHeld = await within(pool.acquire(), 5_000, 'dialled acquire'); // the slow path
    longHeld.release();
    const reused = await pool.acquire(); // the synchronous idle path
    await vi.advanceTimersByTimeAsync(5_000);
    const recent = await within(pool.acquire(), 5_000, 'second');
    await vi.advanceTimersByTimeAsync(100);
    const leaks = pool.leaks(1_000);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]!.heldMs).toBe(5_100);
    expect(leaks[0]!.acquiredAt).toContain('stat.test.ts');
    expect(leaks[0]!.url).not.toContain('secret');
    expect(leaks[0]!.url).not.toContain('abc');
    expect(Object.isFrozen(leaks[0])).toBe(true);
    const all = pool.leaks();
    expect(all.map((l) => l.heldMs)).toEqual([5_100, 100]);
    expect(all[1]!.acquiredAt).toContain('stat.test.ts');
    reused.release();
    expect(pool.leaks()).toHaveLength(1);
    recent.destroy();
    expect(pool.leaks()).toEqual([]);
  });

  it('is empty without trackLeaks', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1 });
    const conn = await pool.acquire();
    expect(pool.leaks()).toEqual([]);
    conn.release();
  });

  it('forgets connections terminated by close({ timeout })', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, trackLeaks: true });
    const conn = await pool.acquire();
    expect(pool.leaks()).toHaveLength(1);
    await pool.close({ timeout: 0 });
    expect(pool.leaks()).toEqual([]);
    conn.release();
  });
});
