// The connection keepalive inside the exclusive Pool: a borrowed connection whose peer stops
// answering ends the borrower's `for await` with a typed error (the pool's pingTimeout applies),
// and the keepalive and the pool's health pings never ping one idle connection twice over.
// Fake clock (the library's seam only), real sockets.
import { describe, expect, it, vi } from 'vitest';
import { WsPoolError } from '../../src/index.js';
import { PoolJar, startPeerServer, track, turns, until, useFakeClock, whoami, within } from './support.js';
import { useSuiteServer } from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

/** Advance the fake clock by `ms` in steps, letting real I/O (pings, pongs) land in between. */
async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
    await turns(3);
  }
}

describe('keepalive in the exclusive pool', () => {
  it("ends a borrower's for-await with CONNECTION_CLOSED caused by PING_TIMEOUT, after the pool's pingTimeout", async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      keepAliveInterval: 1_000,
      pingTimeout: 500,
      healthCheckPeriod: Infinity,
    });
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    const id = await whoami(conn);
    server.peer(id).muted = true;
    const loop = track(
      (async () => {
        for await (const message of conn) void message;
      })(),
    );
    await advance(1_400);
    expect(server.peer(id).pings).toBe(1);
    expect(loop.status).toBe('pending');
    await advance(100); // 1_500: the pool's pingTimeout, not the 5_000 default
    await until(() => loop.status === 'rejected', 'the for-await to end');
    const error = loop.error as WsPoolError;
    expect(error.code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
    expect(error.cause).toMatchObject({ code: 'WSPOOL_ERR_PING_TIMEOUT' });
    conn.release();
    await until(() => pool.stat().totalConns === 0, 'the dead connection to leave the pool');
  });

  it('does not ping an idle connection that keeps receiving, though it discards what it receives', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      keepAliveInterval: 1_000,
      healthCheckPeriod: 1_000,
      pingIdleAfter: 600,
    });
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    const peer = server.peer(await whoami(conn));
    conn.release();
    for (let i = 0; i < 10; i++) {
      peer.ws.send(`push ${i}`);
      await until(() => pool.stat().discardedMessages === i + 1, 'the push to be discarded');
      await advance(500);
    }
    expect(peer.pings).toBe(0);
    // Quiet from now on: pinged again.
    await advance(1_000);
    await until(() => peer.pings > 0, 'a ping once the pushes stop');
  });

  it('pings an idle connection once per period, not once by the keepalive and once by the health check', async () => {
    useFakeClock();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      keepAliveInterval: 1_000,
      healthCheckPeriod: 1_000,
      pingIdleAfter: 100,
    });
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    const peer = server.peer(await whoami(conn));
    conn.release();
    await advance(10_000);
    // One ping per second from whichever comes first; both together would make ~20.
    expect(peer.pings).toBeGreaterThanOrEqual(9);
    expect(peer.pings).toBeLessThanOrEqual(11);
    expect(pool.stat()).toMatchObject({ totalConns: 1, healthCheckDestroyCount: 0 });
  });
});

describe('an idle connection found dead by its keepalive', () => {
  it('counts as a failed health check and goes to onError (phase health-check), as in the multiplexed pool', async () => {
    useFakeClock();
    const seen: { error: WsPoolError; phase: string }[] = [];
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      keepAliveInterval: 1_000,
      pingTimeout: 500,
      healthCheckPeriod: Infinity,
      onError: (error, info) => void seen.push({ error, phase: info.phase }),
    });
    const conn = await within(pool.acquire(), 5_000, 'acquire');
    server.peer(await whoami(conn)).muted = true;
    conn.release();
    await advance(1_600);
    await until(() => pool.stat().totalConns === 0, 'the dead connection to leave the pool');
    expect(pool.stat().healthCheckDestroyCount).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.phase).toBe('health-check');
    expect(seen[0]!.error.code).toBe('WSPOOL_ERR_PING_TIMEOUT');
  });
});
