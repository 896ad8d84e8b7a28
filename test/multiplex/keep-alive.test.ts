// The connection keepalive and onError in the multiplexed pool: a request in flight on a connection
// whose peer stopped answering rejects with the keepalive's PING_TIMEOUT as cause (not after
// requestTimeout); background failures — refill dials, health pings, keepalive deaths of idle
// connections, beforeClose throws — reach onError, and errors that reject a caller never do.
// Fake clock (the library's seam only), real sockets.
import { describe, expect, it, vi } from 'vitest';
import {
  JsonRpcPool,
  WsPoolError,
  type BackgroundErrorInfo,
  type JsonRpcPoolConfig,
} from '../../src/index.js';
import { freePort } from '../helpers/index.js';
import { startRpcServer } from './json-rpc-server.js';
import { PoolJar, track, turns, until, useFakeClock, useSuiteServer, wsErrorOf } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(
  () => startRpcServer(),
  jar,
  (s) => {
    s.muted = false;
    s.releaseHeld();
  },
);

interface Reported {
  error: WsPoolError;
  info: BackgroundErrorInfo;
}

/** A pool whose onError reports are collected in `reported`. */
function rpc(config: Partial<JsonRpcPoolConfig> = {}): { pool: JsonRpcPool; reported: Reported[] } {
  const reported: Reported[] = [];
  const pool = jar.add(
    new JsonRpcPool({
      url: server.url,
      healthCheckPeriod: Infinity,
      onError: (error, info) => reported.push({ error, info }),
      ...config,
    }),
  );
  return { pool, reported };
}

/** Advance the fake clock by `ms` in steps, letting real I/O (pings, pongs) land in between. */
async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
    await turns(3);
  }
}

describe('keepalive in the multiplexed pool', () => {
  it('rejects a request in flight with CONNECTION_CLOSED caused by PING_TIMEOUT, long before requestTimeout', async () => {
    useFakeClock();
    const { pool, reported } = rpc({ keepAliveInterval: 1_000, pingTimeout: 500, requestTimeout: Infinity });
    await pool.call('echo', []);
    server.muted = true;
    const hanging = track(pool.call('hang'));
    const pings = server.pings;
    await advance(1_400);
    expect(server.pings).toBe(pings + 1);
    expect(hanging.status).toBe('pending');
    await advance(100);
    await until(() => hanging.status === 'rejected', 'the call in flight to fail');
    expect(hanging.error).toMatchObject({
      code: 'WSPOOL_ERR_CONNECTION_CLOSED',
      cause: { code: 'WSPOOL_ERR_PING_TIMEOUT' },
    });
    expect(pool.stat()).toMatchObject({ totalConns: 0, healthCheckDestroyCount: 1 });
    expect(reported).toEqual([]); // the caller saw it
    server.muted = false;
    expect(await pool.call('echo', [2])).toEqual([2]);
  });

  it('does not ping a connection whose replies keep arriving', async () => {
    useFakeClock();
    const { pool } = rpc({ keepAliveInterval: 1_000, pingTimeout: 500 });
    const pings = server.pings;
    for (let i = 0; i < 10; i++) {
      await pool.call('echo', [i]);
      await advance(500);
    }
    expect(server.pings).toBe(pings);
  });

  it('pings an idle connection once per period, not once by the keepalive and once by the health check', async () => {
    useFakeClock();
    const { pool } = rpc({ keepAliveInterval: 1_000, healthCheckPeriod: 1_000, pingIdleAfter: 100 });
    await pool.call('echo', []);
    const pings = server.pings;
    await advance(10_000);
    expect(server.pings - pings).toBeGreaterThanOrEqual(9);
    expect(server.pings - pings).toBeLessThanOrEqual(11);
  });
});

describe('onError in the multiplexed pool', () => {
  it("reports a failed refill dial ('refill'), with the URL redacted", async () => {
    const port = await freePort();
    const { reported } = rpc({ url: `ws://user:secret@127.0.0.1:${port}/?token=abc`, minConns: 1 });
    await until(() => reported.length > 0, 'the refill failure to be reported');
    expect(reported[0]!.info.phase).toBe('refill');
    expect(reported[0]!.info.url).not.toMatch(/secret|abc/);
    expect(reported[0]!.error.message).not.toMatch(/secret|abc/);
    expect(reported[0]!.error).toBeInstanceOf(WsPoolError);
    expect(reported[0]!.error.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
  });

  it('never reports a dial error that rejected a caller', async () => {
    const port = await freePort();
    const { pool, reported } = rpc({ url: `ws://127.0.0.1:${port}` });
    await wsErrorOf(pool.call('echo', []), 'WSPOOL_ERR_CONNECT_FAILED');
    await turns(5);
    expect(reported).toEqual([]);
  });

  it("reports a health ping that got no pong ('health-check')", async () => {
    useFakeClock();
    const { pool, reported } = rpc({
      healthCheckPeriod: 1_000,
      pingIdleAfter: 100,
      pingTimeout: 500,
      keepAliveInterval: Infinity,
    });
    await pool.call('echo', []);
    server.muted = true;
    await advance(1_600);
    await until(() => reported.length === 1, 'the failed health ping to be reported');
    expect(reported[0]!.info.phase).toBe('health-check');
    expect(reported[0]!.error.code).toBe('WSPOOL_ERR_PING_TIMEOUT');
    expect(pool.stat().healthCheckDestroyCount).toBe(1);
  });

  it("reports an idle connection its keepalive found dead ('health-check')", async () => {
    useFakeClock();
    const { pool, reported } = rpc({ keepAliveInterval: 1_000, pingTimeout: 500 });
    await pool.call('echo', []);
    server.muted = true;
    await advance(1_500);
    await until(() => reported.length === 1, 'the keepalive death to be reported');
    expect(reported[0]!.info.phase).toBe('health-check');
    expect(reported[0]!.error.code).toBe('WSPOOL_ERR_PING_TIMEOUT');
    expect(pool.stat()).toMatchObject({ totalConns: 0, healthCheckDestroyCount: 1 });
  });

  it("reports a beforeClose hook that throws during close() ('close'), and close still completes", async () => {
    const hookError = new Error('logout failed');
    const { pool, reported } = rpc({
      beforeClose: () => {
        throw hookError;
      },
    });
    await pool.call('echo', []);
    await pool.close();
    expect(reported).toHaveLength(1);
    expect(reported[0]!.info.phase).toBe('close');
    expect(reported[0]!.error).toBeInstanceOf(WsPoolError);
    expect(reported[0]!.error.cause).toBe(hookError);
    expect(reported[0]!.error.code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
    expect(server.open).toBe(0);
  });

  it('ignores a throw inside onError', async () => {
    const port = await freePort();
    let calls = 0;
    jar.add(
      new JsonRpcPool({
        url: `ws://127.0.0.1:${port}`,
        minConns: 1,
        healthCheckPeriod: Infinity,
        onError: () => {
          calls++;
          throw new Error('onError is buggy');
        },
      }),
    );
    await until(() => calls > 0, 'onError to be called');
    await turns(5); // an unhandled rejection or uncaught exception would fail the test (setup.ts)
  });
});
