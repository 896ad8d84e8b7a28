// Time-based rules of the exclusive Pool, driven by fake timers against real sockets: ping on
// acquire, lifetimes with per-connection jitter, idle eviction above minConns, the background check
// (evict, ping, top up), debounced refills, and exponential backoff with jitter against a dead server.
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it, vi } from 'vitest';
import { CHANNELS, type PoolHealthCheckMessage } from '../../src/index.js';
import { freePort } from '../helpers/index.js';
import {
  PoolJar,
  checkStat,
  gauges,
  startPeerServer,
  statOf,
  track,
  turns,
  until,
  useFakeClock,
  whoami,
  within,
  useSuiteServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

/** Collects `wspool:pool:health-check` messages while subscribed. */
function healthChecks(): { events: PoolHealthCheckMessage[]; stop(): void } {
  const events: PoolHealthCheckMessage[] = [];
  const onMessage = (message: unknown): void => {
    events.push(message as PoolHealthCheckMessage);
  };
  diagnosticsChannel.subscribe(CHANNELS.poolHealthCheck, onMessage);
  return { events, stop: () => diagnosticsChannel.unsubscribe(CHANNELS.poolHealthCheck, onMessage) };
}

/** Acquire `n` connections at once and return them with their server peer ids. */
async function acquireN(pool: ReturnType<PoolJar['pool']>, n: number) {
  const conns = await within(Promise.all(Array.from({ length: n }, () => pool.acquire())), 5_000, 'acquire');
  const ids: number[] = [];
  for (const conn of conns) ids.push(await whoami(conn));
  return { conns, ids };
}

/**
 * A one-connection pool (pingIdleAfter 100, pingTimeout 5 s, no background check) whose connection
 * has sat idle for 100 ms on a muted peer (slow, not necessarily dead): the next acquire pings it,
 * and the ping goes unanswered. Fake clock on.
 */
async function idleOnMutedPeer(): Promise<{ pool: ReturnType<PoolJar['pool']>; id: number }> {
  useFakeClock();
  const pool = jar.pool({
    url: server.url,
    maxConns: 1,
    pingIdleAfter: 100,
    pingTimeout: 5_000,
    healthCheckPeriod: Infinity,
  });
  const {
    conns: [a],
    ids: [id],
  } = await acquireN(pool, 1);
  a!.release();
  server.peer(id!).muted = true;
  await vi.advanceTimersByTimeAsync(100);
  return { pool, id: id! };
}

describe('ping on acquire', () => {
  it('pings a connection idle ≥ pingIdleAfter; one that does not answer is destroyed and the next one tried', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      pingIdleAfter: 1_000,
      pingTimeout: 500,
      healthCheckPeriod: Infinity,
    });
    const {
      conns: [a, b],
      ids: [idA, idB],
    } = await acquireN(pool, 2);
    b!.release();
    a!.release(); // a is on top: tried first
    server.peer(idA!).muted = true;
    await vi.advanceTimersByTimeAsync(1_000);
    const acquiring = track(pool.acquire());
    await until(() => server.peer(idA!).pings === 1, 'the ping to reach the muted peer');
    await turns();
    expect(acquiring.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(500); // the muted peer's pong deadline
    await until(() => acquiring.status !== 'pending', 'the acquire');
    expect(acquiring.status).toBe('fulfilled');
    const conn = acquiring.value!;
    expect(await whoami(conn)).toBe(idB);
    expect(server.peer(idB!).pings).toBe(1);
    const s = statOf(pool);
    expect(s.healthCheckDestroyCount).toBe(1);
    expect(s.totalConns).toBe(1);
    await until(() => server.peer(idA!).closedWith !== undefined, 'the dead one to be closed');
    conn.release();
  });

  it('dials a new connection when every idle one fails its ping', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: 100,
      pingTimeout: 200,
      healthCheckPeriod: Infinity,
    });
    const {
      conns: [a],
      ids: [idA],
    } = await acquireN(pool, 1);
    a!.release();
    server.peer(idA!).muted = true;
    await vi.advanceTimersByTimeAsync(100);
    const acquiring = track(pool.acquire());
    await until(() => server.peer(idA!).pings === 1, 'the ping');
    await vi.advanceTimersByTimeAsync(200);
    await until(() => acquiring.status !== 'pending', 'the acquire');
    expect(acquiring.status).toBe('fulfilled');
    expect(await whoami(acquiring.value!)).not.toBe(idA);
    acquiring.value!.release();
    expect(statOf(pool).newConnsCount).toBe(2);
  });

  it('pings only from pingIdleAfter on, measured from the last release', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: 1_000,
      healthCheckPeriod: Infinity,
    });
    const {
      conns: [a],
      ids: [id],
    } = await acquireN(pool, 1);
    a!.release();
    await vi.advanceTimersByTimeAsync(999);
    const early = await within(pool.acquire(), 5_000, 'acquire');
    expect(server.peer(id!).pings).toBe(0);
    early.release();
    await vi.advanceTimersByTimeAsync(999); // 1998 ms since the dial, 999 since the release
    const stillEarly = await within(pool.acquire(), 5_000, 'acquire');
    expect(server.peer(id!).pings).toBe(0);
    stillEarly.release();
    await vi.advanceTimersByTimeAsync(1_000);
    const late = await within(pool.acquire(), 5_000, 'acquire');
    expect(server.peer(id!).pings).toBe(1);
    late.release();
  });

  it('never pings a connection dialled for this acquire, even with pingIdleAfter 0; pings every reuse after', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: 0 });
    const first = await pool.acquire();
    const id = await whoami(first);
    expect(server.peer(id).pings).toBe(0);
    first.release();
    const second = await pool.acquire();
    expect(server.peer(id).pings).toBe(1);
    second.release();
    (await pool.acquire()).release();
    expect(server.peer(id).pings).toBe(2);
  });

  it('a connection released straight to a queued acquire is still pinged when it is due', async () => {
    // pingIdleAfter 0: every reuse is pinged, including a hand-over inside release() to a waiter.
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: 0, healthCheckPeriod: Infinity });
    const holder = await pool.acquire();
    const id = await whoami(holder);
    const waiting = track(pool.acquire());
    expect(statOf(pool).pendingAcquires).toBe(1);
    holder.release();
    await until(() => waiting.status !== 'pending', 'the queued acquire');
    expect(waiting.status).toBe('fulfilled');
    expect(server.peer(id).pings).toBe(1);
    expect(await whoami(waiting.value!)).toBe(id);
    waiting.value!.release();
    checkStat(statOf(pool));
    expect(statOf(pool)).toMatchObject({ acquireCount: 2, emptyAcquireCount: 2, totalConns: 1 });
  });

  it('pingIdleAfter: Infinity never pings', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: Infinity,
      maxConnLifetime: Infinity,
      maxConnIdleTime: Infinity,
      healthCheckPeriod: Infinity,
      keepAliveInterval: Infinity, // the connection's own keepalive would ping it (keep-alive.test.ts)
    });
    const {
      conns: [a],
      ids: [id],
    } = await acquireN(pool, 1);
    a!.release();
    await vi.advanceTimersByTimeAsync(10 * 3_600_000);
    const again = await within(pool.acquire(), 5_000, 'acquire');
    expect(await whoami(again)).toBe(id);
    expect(server.peer(id!).pings).toBe(0);
    again.release();
  });

  it('aborting during the acquire ping rejects with the reason; the unanswered connection is destroyed', async () => {
    const { pool, id } = await idleOnMutedPeer();
    const controller = new AbortController();
    const acquiring = track(pool.acquire({ signal: controller.signal }));
    await until(() => server.peer(id).pings === 1, 'the ping');
    const reason = new Error('stop');
    controller.abort(reason);
    await until(() => acquiring.status !== 'pending', 'the acquire');
    expect(acquiring.error).toBe(reason);
    // No pong before the caller gave up: never handed out again (pgxpool destroys it too).
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    const s = statOf(pool);
    expect(s.canceledAcquireCount).toBe(1);
    expect(s.healthCheckDestroyCount).toBe(1);
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see it closed');
  });
});

describe('acquire ping and the acquire deadline', () => {
  it('a ping slower than the acquire timeout rejects ACQUIRE_TIMEOUT on time and destroys the connection', async () => {
    const { pool, id } = await idleOnMutedPeer();
    const acquiring = track(pool.acquire({ timeout: 300 }));
    await until(() => server.peer(id).pings === 1, 'the ping');
    await vi.advanceTimersByTimeAsync(299);
    expect(acquiring.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await until(() => acquiring.status !== 'pending', 'the acquire deadline');
    expect(acquiring.error).toMatchObject({ code: 'WSPOOL_ERR_ACQUIRE_TIMEOUT' });
    expect((acquiring.error as Error).message).toMatch(/did not answer its ping/);
    // No pong before the deadline: the connection is destroyed, never put back on top of the
    // idle stack where it would fail every later short acquire (issue 19, defect 4).
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    const s = statOf(pool);
    expect(s.canceledAcquireCount).toBe(1);
    expect(s.healthCheckDestroyCount).toBe(1);
    const again = await within(pool.acquire(), 5_000, 'the next acquire');
    expect(await whoami(again)).not.toBe(id);
    again.release();
  });

  it('timeout 0 does not bound the ping (it forbids queueing, not checking)', async () => {
    const pool = jar.pool({ url: server.url, maxConns: 1, pingIdleAfter: 0 });
    (await pool.acquire()).release();
    const conn = await pool.acquire({ timeout: 0 }); // pinged: not fresh any more
    conn.release();
    expect(statOf(pool).canceledAcquireCount).toBe(0);
  });
});

describe('lifetime', () => {
  it('jitter is drawn once per connection at creation and enforced on acquire', async () => {
    useFakeClock();
    const random = vi.spyOn(Math, 'random');
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      maxConnLifetime: 1_000,
      maxConnLifetimeJitter: 1_000,
      pingIdleAfter: Infinity,
      healthCheckPeriod: Infinity,
    });
    random.mockReturnValueOnce(0.25); // a: expires at 1250
    const a = await within(pool.acquire(), 5_000, 'acquire a');
    random.mockReturnValueOnce(0.75); // b: expires at 1750
    const b = await within(pool.acquire(), 5_000, 'acquire b');
    random.mockReturnValue(0); // a jitter drawn again later would shorten both lifetimes to 1000
    const idA = await whoami(a);
    const idB = await whoami(b);
    a.release();
    b.release();
    await vi.advanceTimersByTimeAsync(1_249);
    const both = await within(Promise.all([pool.acquire(), pool.acquire()]), 5_000, 'reuse both');
    expect((await Promise.all(both.map(whoami))).sort()).toEqual([idA, idB].sort());
    for (const conn of both) conn.release();
    expect(statOf(pool).maxLifetimeDestroyCount).toBe(0);
    await vi.advanceTimersByTimeAsync(1); // t = 1250: a is past its lifetime, b is not
    const after = await within(
      Promise.all([pool.acquire(), pool.acquire()]),
      5_000,
      'acquire after a expired',
    );
    const ids = await Promise.all(after.map(whoami));
    expect(ids).toContain(idB);
    expect(ids).not.toContain(idA);
    expect(statOf(pool).maxLifetimeDestroyCount).toBe(1);
    await until(() => server.peer(idA).closedWith !== undefined, 'a to be closed');
    expect(server.peer(idA).closedWith?.code).toBe(1000);
    for (const conn of after) conn.release();
  });

  it('is enforced on release: a connection past its lifetime is closed, not pooled', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      maxConnLifetime: 1_000,
      healthCheckPeriod: Infinity,
    });
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    const id = await whoami(conn);
    await vi.advanceTimersByTimeAsync(999);
    conn.release();
    expect(statOf(pool).idleConns).toBe(1);
    const again = await within(pool.acquire(), 5_000, 'acquire');
    await vi.advanceTimersByTimeAsync(1);
    again.release();
    expect(gauges(pool)).toEqual({ total: 0, idle: 0, acquired: 0, constructing: 0, pending: 0 });
    expect(statOf(pool).maxLifetimeDestroyCount).toBe(1);
    await until(() => server.peer(id).closedWith !== undefined, 'the server to see the close');
  });

  it('an expired connection released to a waiter is replaced by a fresh dial for that waiter', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      maxConnLifetime: 1_000,
      healthCheckPeriod: Infinity,
    });
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    const id = await whoami(conn);
    const waiting = track(pool.acquire());
    await vi.advanceTimersByTimeAsync(1_000);
    conn.release();
    await until(() => waiting.status !== 'pending', 'the waiter');
    expect(await whoami(waiting.value!)).not.toBe(id);
    waiting.value!.release();
  });

  it('is enforced by the background check on idle connections', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 2,
      maxConnLifetime: 1_500,
      healthCheckPeriod: 1_000,
      pingIdleAfter: Infinity,
    });
    const {
      conns: [a],
      ids: [id],
    } = await acquireN(pool, 1);
    a!.release();
    await vi.advanceTimersByTimeAsync(1_000); // first pass: not expired yet
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    await vi.advanceTimersByTimeAsync(1_000); // second pass at 2000: expired
    await until(() => pool.stat().totalConns === 0, 'the background check to close it');
    expect(statOf(pool).maxLifetimeDestroyCount).toBe(1);
    await until(() => server.peer(id!).closedWith !== undefined, 'the server to see the close');
  });
});

describe('idle time', () => {
  it('closes connections idle longer than maxConnIdleTime, least recently used first, down to minConns', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      minConns: 1,
      maxConns: 3,
      maxConnIdleTime: 1_000,
      healthCheckPeriod: 500,
      pingIdleAfter: Infinity,
    });
    const {
      conns: [a, b, c],
      ids: [idA, idB, idC],
    } = await acquireN(pool, 3);
    c!.release();
    await vi.advanceTimersByTimeAsync(100);
    b!.release();
    await vi.advanceTimersByTimeAsync(100);
    a!.release(); // idle since 200
    await vi.advanceTimersByTimeAsync(800); // passes at 500 and 1000: nobody idle > 1000 ms yet
    expect(gauges(pool)).toEqual({ total: 3, idle: 3, acquired: 0, constructing: 0, pending: 0 });
    await vi.advanceTimersByTimeAsync(500); // pass at 1500: c (1500 ms) and b (1400 ms) go; a is the last one
    await until(() => pool.stat().totalConns === 1, 'the idle connections above minConns to close');
    expect(statOf(pool).maxIdleDestroyCount).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000); // minConns keeps the last one however long it idles
    expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
    const kept = await within(pool.acquire(), 5_000, 'acquire');
    expect(await whoami(kept)).toBe(idA);
    kept.release();
    await until(
      () => server.peer(idB!).closedWith !== undefined && server.peer(idC!).closedWith !== undefined,
      'the evicted sockets to close',
    );
  });

  it('is not enforced on acquire: only the background check evicts idle connections', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      maxConnIdleTime: 1_000,
      healthCheckPeriod: Infinity,
      pingIdleAfter: Infinity,
    });
    const {
      conns: [a],
      ids: [id],
    } = await acquireN(pool, 1);
    a!.release();
    await vi.advanceTimersByTimeAsync(5_000);
    const again = await within(pool.acquire(), 5_000, 'acquire');
    expect(await whoami(again)).toBe(id);
    again.release();
    expect(statOf(pool).maxIdleDestroyCount).toBe(0);
  });
});

describe('background check', () => {
  it('pings idle connections, destroying one that does not answer', async () => {
    useFakeClock();
    const checks = healthChecks();
    try {
      const pool = jar.pool({
        url: server.url,
        maxConns: 2,
        healthCheckPeriod: 1_000,
        pingIdleAfter: 500,
        pingTimeout: 300,
      });
      const {
        conns: [a, b],
        ids: [idA, idB],
      } = await acquireN(pool, 2);
      a!.release();
      b!.release();
      server.peer(idA!).muted = true;
      await vi.advanceTimersByTimeAsync(1_000);
      await until(() => server.peer(idA!).pings === 1 && server.peer(idB!).pings === 1, 'both pings');
      expect(statOf(pool).acquiredConns).toBe(2); // checked out by the pass while it pings
      await vi.advanceTimersByTimeAsync(300);
      await until(() => checks.events.length === 1, 'the pass to finish');
      expect(checks.events[0]).toMatchObject({ pool, checked: 2, destroyed: 1, created: 0 });
      expect(gauges(pool)).toEqual({ total: 1, idle: 1, acquired: 0, constructing: 0, pending: 0 });
      expect(statOf(pool).healthCheckDestroyCount).toBe(1);
      await until(() => server.peer(idA!).closedWith !== undefined, 'the dead one to close');
      // The next pass pings the survivor again: keepalive for proxies and NATs.
      await vi.advanceTimersByTimeAsync(1_000);
      await until(() => checks.events.length === 2, 'the second pass');
      expect(server.peer(idB!).pings).toBe(2);
    } finally {
      checks.stop();
    }
  });

  it('keeps minConns open across background evictions, never above maxConns', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      minConns: 2,
      maxConns: 3,
      maxConnLifetime: 1_500,
      healthCheckPeriod: 1_000,
      pingIdleAfter: Infinity,
    });
    await until(() => pool.stat().idleConns === 2, 'the first fill');
    const dialled = server.peers.length;
    const held = await within(pool.acquire(), 5_000, 'acquire'); // borrowed: its lifetime waits for release
    for (let round = 1; round <= 3; round++) {
      // Two passes: the idle connection expires between them and the second one evicts it.
      await vi.advanceTimersByTimeAsync(2_000);
      await until(() => pool.stat().maxLifetimeDestroyCount === round, `eviction ${round}`);
      // The refill the eviction scheduled (a 0 ms timer armed inside a fake tick runs 1 ms later).
      await vi.advanceTimersByTimeAsync(1);
      await until(
        () => pool.stat().totalConns === 2 && pool.stat().constructingConns === 0,
        `refill ${round}`,
      );
      expect(gauges(pool)).toEqual({ total: 2, idle: 1, acquired: 1, constructing: 0, pending: 0 });
    }
    expect(server.peers.length).toBe(dialled + 3); // one replacement per eviction, no more
    held.release(); // past its lifetime: closed, and replaced to keep minConns
    await vi.advanceTimersByTimeAsync(1);
    await until(() => pool.stat().idleConns === 2 && pool.stat().constructingConns === 0, 'the replacement');
    expect(statOf(pool).maxLifetimeDestroyCount).toBe(4);
    expect(server.peers.length).toBe(dialled + 4);
  });

  it('after destroys, refills minConns once, debounced (one batch of dials, not one per destroy)', async () => {
    useFakeClock();
    const dialTimes: number[] = [];
    const pool = jar.pool({
      url: server.url,
      minConns: 3,
      maxConns: 3,
      healthCheckPeriod: Infinity,
      pingIdleAfter: Infinity,
      beforeConnect: () => {
        dialTimes.push(Date.now());
      },
    });
    await until(() => pool.stat().idleConns === 3, 'the first fill');
    expect(dialTimes).toHaveLength(3);
    const { conns } = await acquireN(pool, 3);
    for (const conn of conns) conn.destroy();
    await turns(10);
    expect(dialTimes).toHaveLength(3); // nothing yet: the refill waits for its (0 ms) timer
    expect(statOf(pool).totalConns).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    await until(() => pool.stat().idleConns === 3, 'the refill');
    expect(dialTimes).toHaveLength(6);
    expect(gauges(pool)).toEqual({ total: 3, idle: 3, acquired: 0, constructing: 0, pending: 0 });
  });

  it('backs off exponentially with jitter against a dead server: few dials, growing gaps', async () => {
    useFakeClock();
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const dials: number[] = [];
    const pool = jar.pool({
      url: dead,
      minConns: 1,
      maxConns: 4,
      healthCheckPeriod: Infinity,
      beforeConnect: () => {
        dials.push(Date.now());
      },
    });
    const settled = (): boolean => {
      const s = pool.stat();
      return s.constructingConns === 0 && s.failedConnectCount === dials.length;
    };
    await until(settled, 'the first fill to fail');
    const start = Date.now();
    while (Date.now() - start < 60_000) {
      await vi.advanceTimersToNextTimerAsync();
      await until(settled, 'a refill dial to fail');
    }
    const gaps = dials.slice(1).map((t, i) => t - dials[i]!);
    // 60 s of a dead server: a handful of attempts, not a storm.
    expect(dials.length).toBeGreaterThanOrEqual(6);
    expect(dials.length).toBeLessThanOrEqual(16);
    expect(dials.filter((t) => t - start < 1_000).length).toBeLessThanOrEqual(5);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(50);
    // Equal jitter keeps every gap within [exp/2, exp] of a doubling exp: before the cap they never shrink.
    const beforeCap = gaps.filter((g) => g < 15_000);
    for (let i = 1; i < beforeCap.length; i++)
      expect(beforeCap[i]!).toBeGreaterThanOrEqual(beforeCap[i - 1]!);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(30_000);
    expect(gaps[gaps.length - 1]!).toBeGreaterThan(gaps[0]! * 10);
    expect(statOf(pool).totalConns).toBe(0);
  });

  it('jitters the backoff (two pools do not retry in lock step) and resets it after a success', async () => {
    useFakeClock();
    let down = true;
    const dials: number[] = [];
    const pool = jar.pool({
      url: server.url,
      minConns: 1,
      maxConns: 2,
      healthCheckPeriod: Infinity,
      pingIdleAfter: Infinity,
      beforeConnect: () => {
        dials.push(Date.now());
        if (down) throw new Error('down');
      },
    });
    const settled = (): boolean => pool.stat().constructingConns === 0;
    await until(settled, 'the first fill');
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersToNextTimerAsync();
      await until(settled, 'a refill');
    }
    expect(dials).toHaveLength(6);
    down = false;
    await vi.advanceTimersToNextTimerAsync();
    await until(() => pool.stat().idleConns === 1, 'the refill that succeeds');
    // After a success the next refill is immediate again (0 ms), not the next step of the backoff.
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    conn.destroy();
    const before = dials.length;
    await vi.advanceTimersByTimeAsync(0);
    await until(() => dials.length === before + 1 && pool.stat().idleConns === 1, 'an immediate refill');
  });
});

describe('period bounds', () => {
  it('a healthCheckPeriod beyond the 32-bit timer limit waits that long instead of overflowing to 1 ms', async () => {
    useFakeClock();
    const checks = healthChecks();
    try {
      jar.pool({ url: server.url, maxConns: 1, healthCheckPeriod: 2 ** 32 });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(checks.events).toHaveLength(0);
    } finally {
      checks.stop();
    }
  });
});

describe('sockets that close while idle', () => {
  it('a closed idle socket below minConns is replaced at once (debounced, 0 ms)', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      minConns: 2,
      maxConns: 2,
      healthCheckPeriod: Infinity,
      pingIdleAfter: Infinity,
    });
    await until(() => pool.stat().idleConns === 2, 'the fill');
    const victim = server.peers[server.peers.length - 1]!;
    const dialled = server.peers.length;
    victim.ws.close(4002, 'going away');
    await until(() => pool.stat().totalConns === 1, 'the closed socket to leave');
    await vi.advanceTimersByTimeAsync(0);
    await until(() => server.peers.length === dialled + 1 && pool.stat().idleConns === 2, 'the replacement');
  });
});

describe('a server that accepts and then drops every socket', () => {
  it('the first early close is replaced at once, repeats back off: no redial storm', async () => {
    useFakeClock();
    const dropper = await startPeerServer({
      // Closed a few event-loop turns after the upgrade: after the pool has taken the connection
      // in as idle (a close during the dial already counts as a failed dial).
      onPeer: (peer) => {
        let n = 0;
        const later = (): void => {
          if (++n < 30) setImmediate(later);
          else peer.ws.close(4003, 'go away');
        };
        setImmediate(later);
      },
    });
    try {
      const pool = jar.pool({
        url: dropper.url,
        minConns: 1,
        maxConns: 2,
        healthCheckPeriod: Infinity,
        pingIdleAfter: Infinity,
      });
      await until(() => dropper.peers.length === 1, 'the first dial');
      const start = Date.now();
      // Let the pool redial 12 times; each redial is a real handshake the server then drops.
      for (let dials = 2; dials <= 13; dials++) {
        await until(() => pool.stat().idleConns === 1, 'the pool to take the connection in');
        await until(() => pool.stat().totalConns === 0, 'the dropped socket to leave');
        await vi.advanceTimersToNextTimerAsync();
        await until(() => dropper.peers.length === dials, `redial ${dials}`);
      }
      // Without backoff every redial fires after 0 ms and no simulated time passes at all. With it
      // the gaps grow from ~50-100 ms and double: 12 redials take many simulated seconds.
      expect(Date.now() - start).toBeGreaterThan(10_000);
      checkStat(statOf(pool));
    } finally {
      await jar.closeAll();
      await dropper.close();
    }
  });
});
