// MultiplexPool.close() raced against a health ping in progress on a path that went dark (a TCP
// proxy black-holing both directions): the ping never gets its pong and the closing handshake
// never completes, yet close({ timeout }) resolves at its timeout and close() within closeTimeout,
// never at pingTimeout. Fake clock (the library's seam only), real sockets.
import { describe, expect, it, vi } from 'vitest';
import { JsonRpcPool } from '../../src/index.js';
import { startTcpProxy, type TcpProxy } from '../helpers/index.js';
import { startRpcServer } from './json-rpc-server.js';
import { PoolJar, track, turns, until, useFakeClock, useSuiteServer, within } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startRpcServer(), jar);

/** Advance the fake clock by `ms` in steps, letting real I/O land in between. */
async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
    await turns(3);
  }
}

/** A pool through a proxy whose one idle connection is being health-pinged into a black hole. */
async function pingingIntoTheDark(
  proxy: TcpProxy,
  closeTimeout: number,
): Promise<{ pool: JsonRpcPool; pings: number }> {
  useFakeClock();
  const pool = new JsonRpcPool({
    url: `ws://127.0.0.1:${proxy.port}`,
    healthCheckPeriod: 1_000,
    pingIdleAfter: 100,
    pingTimeout: 60_000,
    keepAliveInterval: Infinity,
    closeTimeout,
  });
  await pool.call('echo', []);
  const pings = server.pings;
  proxy.blackhole();
  await advance(1_000); // the pass starts its ping; no pong can come back
  return { pool, pings };
}

async function heal(proxy: TcpProxy): Promise<void> {
  vi.useRealTimers();
  proxy.pass();
  await within(proxy.whenIdle(), 5_000, 'the tunnel to close');
  await within(proxy.close(), 5_000, 'the proxy to close');
}

describe('close() against a health ping in progress', () => {
  it('close({ timeout }) resolves at its timeout, not at pingTimeout', async () => {
    const proxy = await startTcpProxy(Number(new URL(server.url).port));
    try {
      const { pool, pings } = await pingingIntoTheDark(proxy, 30_000);
      const closing = track(pool.close({ timeout: 200 }));
      await advance(100);
      expect(closing.status).toBe('pending'); // the handshake cannot complete in the dark
      await advance(100);
      await until(() => closing.status === 'fulfilled', 'close({ timeout: 200 }) to resolve');
      expect(pool.stat().totalConns).toBe(0);
      expect(server.pings).toBe(pings); // the ping is still held in the proxy: never answered
    } finally {
      await heal(proxy);
    }
  });

  it('close() resolves within closeTimeout, not at pingTimeout', async () => {
    const proxy = await startTcpProxy(Number(new URL(server.url).port));
    try {
      const { pool } = await pingingIntoTheDark(proxy, 2_000);
      const closing = track(pool.close());
      await advance(1_900);
      expect(closing.status).toBe('pending');
      await advance(100);
      await until(() => closing.status === 'fulfilled', 'close() to resolve');
      expect(vi.getTimerCount()).toBe(0); // no ping timer, no health timer left
    } finally {
      await heal(proxy);
    }
  });
});
