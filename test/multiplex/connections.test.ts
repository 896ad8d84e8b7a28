// The connections under the requests: a socket lost mid-flight, growth with load and shrinking when
// idle, draining on lifetime expiry, keep-alive pings, and dials that fail. Time-based rules run
// under fake timers (the clock seam only) against real sockets.
import { describe, expect, it, vi } from 'vitest';
import { JsonRpcPool, type JsonRpcPoolConfig } from '../../src/index.js';
import { freePort, startScriptedServer } from '../helpers/index.js';
import { startRpcServer } from './json-rpc-server.js';
import {
  PoolJar,
  expectNothingPending,
  gate,
  track,
  turns,
  until,
  useFakeClock,
  within,
  wsErrorOf,
  useSuiteServer,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(
  () => startRpcServer(),
  jar,
  (s) => {
    s.muted = false;
    s.releaseHeld();
  },
);

function rpc(config: Partial<JsonRpcPoolConfig> = {}): JsonRpcPool {
  return jar.add(new JsonRpcPool({ url: server.url, healthCheckPeriod: Infinity, ...config }));
}

/** Advance the fake clock `ms` in steps of `step`, letting real I/O land in between. */
async function advance(ms: number, step = 1_000): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
    await turns(3);
  }
}

describe('a connection lost mid-flight', () => {
  it('rejects its in-flight calls WSPOOL_ERR_CONNECTION_CLOSED at once; later calls succeed on a new connection', async () => {
    const pool = rpc({ maxConns: 1, maxInFlightPerConn: 100 });
    const held = Array.from({ length: 10 }, () => pool.call('hold'));
    await until(() => server.held === 10, 'ten calls to reach the server');
    const dropping = pool.call('drop'); // the server cuts the socket when this one arrives
    const errors = await within(
      Promise.all([...held, dropping].map((call) => wsErrorOf(call, 'WSPOOL_ERR_CONNECTION_CLOSED'))),
      1_000,
      'the in-flight calls to fail',
    );
    expect(errors[0]!.closeCode).toBe(1006);
    expect(pool.stat()).toMatchObject({ inFlight: 0, totalConns: 0 });
    expect(await pool.call('add', [1, 1])).toBe(2);
    expect(pool.stat().newConnsCount).toBe(2);
    expectNothingPending(pool);
  });

  it('requests still queued and unsent go out on another connection', async () => {
    const pool = rpc({ maxConns: 1, maxInFlightPerConn: 2 });
    const held = [pool.call('hold'), pool.call('hold')];
    await until(() => server.held === 2, 'two calls to reach the server');
    const queued = [pool.call('echo', ['a']), pool.call('echo', ['b']), pool.call('echo', ['c'])];
    expect(pool.stat().queuedRequests).toBe(3);
    server.dropAll();
    for (const call of held) await wsErrorOf(call, 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(await within(Promise.all(queued), 5_000, 'the queued calls')).toEqual([['a'], ['b'], ['c']]);
    expect(pool.stat().newConnsCount).toBe(2);
    expectNothingPending(pool);
  });
});

describe('growth and shrinking', () => {
  it('opens connections as every open one fills up (to maxConns), then queues; closes idle ones down to minConns', async () => {
    useFakeClock();
    const pool = rpc({
      maxConns: 4,
      minConns: 1,
      maxInFlightPerConn: 2,
      maxConnIdleTime: 10_000,
      healthCheckPeriod: 1_000,
      pingIdleAfter: Infinity,
    });
    await until(() => server.open >= 1, 'minConns to open');
    const calls = Array.from({ length: 8 }, () => pool.call('hold'));
    await until(() => server.held === 8, 'eight calls on four connections');
    expect(pool.stat()).toMatchObject({ totalConns: 4, inFlight: 8, queuedRequests: 0 });
    expect(server.open).toBe(4);
    const ninth = track(pool.call('echo', [9]));
    expect(pool.stat()).toMatchObject({ totalConns: 4, queuedRequests: 1 });
    server.releaseHeld();
    await Promise.all(calls);
    await until(() => ninth.status === 'fulfilled', 'the queued call');
    // Idle from now on: after maxConnIdleTime the background check closes all but minConns.
    await advance(9_000);
    expect(pool.stat().totalConns).toBe(4);
    await advance(3_000);
    expect(pool.stat()).toMatchObject({ totalConns: 1, maxIdleDestroyCount: 3 });
    await until(() => server.open === 1, 'the server to see three sockets closed');
    expect(await pool.call('echo', ['still'])).toEqual(['still']);
    expectNothingPending(pool);
  });

  it('spreads requests over the least-loaded connections', async () => {
    const pool = rpc({ maxConns: 3, maxInFlightPerConn: 4 });
    const calls = Array.from({ length: 12 }, () => pool.call('hold'));
    await until(() => server.held === 12, 'twelve calls to reach the server');
    expect(pool.stat().totalConns).toBe(3);
    server.releaseHeld();
    await Promise.all(calls);
    // Now idle, equally loaded: a burst of 3 lands one per connection before any reply comes back.
    const who = await Promise.all([
      pool.call<number>('whoami'),
      pool.call<number>('whoami'),
      pool.call<number>('whoami'),
    ]);
    expect(new Set(who).size).toBe(3);
  });

  it('a queued request is served by whichever dial finishes first, not the one it set off', async () => {
    const firstDial = gate();
    let dials = 0;
    const pool = rpc({
      maxConns: 2,
      maxInFlightPerConn: 1,
      beforeConnect: async () => {
        if (++dials === 1) await firstDial.promise; // the first dial hangs until the end
      },
    });
    const a = pool.call('echo', ['a']); // sets off dial 1 (stuck)
    const b = pool.call('echo', ['b']); // sets off dial 2
    expect(await within(Promise.all([a, b]), 5_000, 'both calls while dial 1 hangs')).toEqual([['a'], ['b']]);
    expect(pool.stat().constructingConns).toBe(1);
    firstDial.open();
    await until(
      () => pool.stat().totalConns === 2 && pool.stat().constructingConns === 0,
      'dial 1 to finish',
    );
  });
});

describe('lifetime', () => {
  it('drains an expired connection: no new requests, its in-flight ones finish, then it closes', async () => {
    useFakeClock();
    const pool = rpc({
      maxConns: 2,
      maxConnLifetime: 5_000,
      healthCheckPeriod: 1_000,
      pingIdleAfter: Infinity,
    });
    const old = track(pool.call('hold'));
    await until(() => server.held === 1, 'the call to reach the server');
    expect(await pool.call<number>('whoami')).toBe(server.accepted);
    const first = server.accepted;
    await advance(5_000);
    expect(pool.stat().maxLifetimeDestroyCount).toBe(1);
    // New calls go to a new connection; the old one keeps its call in flight.
    expect(await pool.call<number>('whoami')).toBe(first + 1);
    expect(server.open).toBe(2);
    expect(old.status).toBe('pending');
    server.releaseHeld();
    await until(() => old.status === 'fulfilled', 'the old call to be answered');
    expect(old.value).toBe('late');
    await until(() => server.open === 1, 'the drained connection to close');
    expect(pool.stat().totalConns).toBe(1);
    expectNothingPending(pool);
  });
});

describe('maxConns with a draining connection', () => {
  it('never opens a second connection under maxConns: 1 while the expired one still carries a request', async () => {
    useFakeClock();
    const pool = rpc({
      maxConns: 1,
      minConns: 1,
      maxConnLifetime: 5_000,
      healthCheckPeriod: 1_000,
      pingIdleAfter: Infinity,
    });
    let peak = 0;
    const watch = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 500) {
        await advance(500, 500);
        peak = Math.max(peak, server.open, pool.stat().totalConns);
      }
    };
    const held = track(pool.call('hold'));
    await until(() => server.held === 1, 'the call to reach the server');
    await watch(8_000); // expired at 5 s: draining; the top-up runs every second after that
    expect(pool.stat().maxLifetimeDestroyCount).toBe(1);
    // A new call waits for room instead of opening a connection over the cap.
    const next = track(pool.call('echo', ['next']));
    await watch(2_000);
    expect(peak).toBe(1);
    server.releaseHeld();
    await until(() => held.status === 'fulfilled', 'the held call');
    await until(() => next.status === 'fulfilled', 'the queued call, on the replacement');
    expect(next.value).toEqual(['next']);
    expect(server.open).toBe(1);
    expect(pool.stat().totalConns).toBe(1);
    expectNothingPending(pool);
  });
});

describe('health', () => {
  it('pings idle connections; one that does not answer within pingTimeout is cut, its slot freed', async () => {
    useFakeClock();
    const pool = rpc({ healthCheckPeriod: 1_000, pingIdleAfter: 500, pingTimeout: 500 });
    await pool.call('echo', []);
    const pings = server.pings;
    await advance(1_000);
    await until(() => server.pings === pings + 1, 'the keep-alive ping');
    expect(pool.stat()).toMatchObject({ totalConns: 1, healthCheckDestroyCount: 0 });
    server.muted = true;
    await advance(1_000);
    await until(() => server.pings === pings + 2, 'the second ping');
    await advance(500, 100);
    await until(() => pool.stat().totalConns === 0, 'the silent connection to be cut');
    expect(pool.stat().healthCheckDestroyCount).toBe(1);
    server.muted = false;
    expect(await pool.call('echo', [1])).toEqual([1]);
  });

  it('does not ping a connection with requests in flight', async () => {
    useFakeClock();
    const pool = rpc({ healthCheckPeriod: 1_000, pingIdleAfter: 0, pingTimeout: 500 });
    const held = track(pool.call('hold'));
    await until(() => server.held === 1, 'the call to reach the server');
    const pings = server.pings;
    await advance(3_000);
    expect(server.pings).toBe(pings);
    server.releaseHeld();
    await until(() => held.status === 'fulfilled', 'the held call');
  });
});

describe('dials that fail', () => {
  it('queued requests reject with the dial error once no connection is open or opening', async () => {
    const port = await freePort();
    const pool = jar.add(
      new JsonRpcPool({
        url: `ws://127.0.0.1:${port}`,
        maxConns: 2,
        maxInFlightPerConn: 1,
        healthCheckPeriod: Infinity,
      }),
    );
    const calls = [pool.call('echo'), pool.call('echo'), pool.call('echo')];
    for (const call of calls) await wsErrorOf(call, 'WSPOOL_ERR_CONNECT_FAILED');
    expect(pool.stat()).toMatchObject({ failedConnectCount: 2, totalConns: 0, queuedRequests: 0 });
    expectNothingPending(pool);
  });

  it('the background refill of minConns backs off exponentially instead of storming a dead server', async () => {
    useFakeClock();
    const port = await freePort();
    const pool = jar.add(
      new JsonRpcPool({ url: `ws://127.0.0.1:${port}`, minConns: 1, healthCheckPeriod: Infinity }),
    );
    await until(() => pool.stat().failedConnectCount === 1, 'the first fill to fail');
    for (let i = 0; i < 100; i++) {
      await vi.advanceTimersByTimeAsync(100);
      await until(() => pool.stat().constructingConns === 0, 'the refill dial to fail');
    }
    // 10 s: a dial per 100 ms tick would be 100; backoff from 100 ms doubling allows about 7.
    const failed = pool.stat().failedConnectCount;
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(failed).toBeLessThanOrEqual(9);
  });
});

describe('a server that accepts and then drops every socket', () => {
  it('the first early close is replaced at once, repeats back off: no redial storm', async () => {
    useFakeClock();
    let accepted = 0;
    // Each socket is closed a few event-loop turns after the upgrade: after the pool has taken it
    // in as a channel (a close during the dial already counts as a failed dial).
    const dropper = await startScriptedServer((ws) => {
      accepted++;
      let n = 0;
      const later = (): void => {
        if (++n < 30) setImmediate(later);
        else ws.close(4003, 'go away');
      };
      setImmediate(later);
    });
    try {
      const pool = jar.add(
        new JsonRpcPool({ url: dropper.url, minConns: 1, maxConns: 2, healthCheckPeriod: Infinity }),
      );
      await until(() => accepted === 1, 'the first dial');
      const start = Date.now();
      for (let dials = 2; dials <= 13; dials++) {
        await until(() => pool.stat().totalConns === 1, 'the pool to take the connection in');
        await until(() => pool.stat().totalConns === 0, 'the dropped socket to leave');
        await vi.advanceTimersToNextTimerAsync();
        await until(() => accepted === dials, `redial ${dials}`);
      }
      // Without backoff every redial fires after 0 ms and no simulated time passes at all.
      expect(Date.now() - start).toBeGreaterThan(10_000);
    } finally {
      await jar.closeAll();
      await dropper.close();
    }
  });
});
