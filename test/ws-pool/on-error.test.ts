// onError for the exclusive Pool: background failures nobody else sees (refill dials to minConns,
// health-check pings, beforeClose throws during close) arrive as WsPoolErrors with their phase and
// the redacted URL; errors that reject a caller never do; a throw inside onError is ignored.
import { describe, expect, it, vi } from 'vitest';
import { WsPoolError, createPool, type BackgroundErrorInfo } from '../../src/index.js';
import { freePort } from '../helpers/index.js';
import {
  PoolJar,
  startPeerServer,
  statOf,
  until,
  useFakeClock,
  useSuiteServer,
  whoami,
  wsErrorOf,
} from './support.js';

const jar = new PoolJar();
const server = useSuiteServer(() => startPeerServer(), jar);

/** An onError that records what it receives. */
function recorder(): {
  onError: (error: WsPoolError, info: BackgroundErrorInfo) => void;
  seen: { error: WsPoolError; info: BackgroundErrorInfo }[];
} {
  const seen: { error: WsPoolError; info: BackgroundErrorInfo }[] = [];
  return { onError: (error, info) => seen.push({ error, info }), seen };
}

describe('onError', () => {
  it('receives a failed background refill dial (phase refill), URL redacted', async () => {
    const port = await freePort();
    const { onError, seen } = recorder();
    const pool = jar.pool({ url: `ws://user:secret@127.0.0.1:${port}/?token=abc`, minConns: 1, onError });
    await until(() => seen.length > 0, 'the failed fill to be reported');
    const [{ error, info }] = seen as [(typeof seen)[number]];
    expect(error).toBeInstanceOf(WsPoolError);
    expect(error.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    expect(info.phase).toBe('refill');
    expect(info.url).not.toMatch(/secret|abc/);
    expect(info.url).toBe(pool.url);
  });

  it('is not called for the first fill createPool() rejects with, nor for a dial an acquire rejects with', async () => {
    const port = await freePort();
    const { onError, seen } = recorder();
    await wsErrorOf(
      createPool({ url: `ws://127.0.0.1:${port}`, minConns: 1, onError }),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    const pool = jar.pool({ url: `ws://127.0.0.1:${port}`, onError });
    await wsErrorOf(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    await until(() => true, 'a turn');
    expect(seen).toEqual([]);
  });

  it('receives a health-check ping failure (phase health-check)', async () => {
    useFakeClock();
    const { onError, seen } = recorder();
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      pingIdleAfter: 100,
      pingTimeout: 500,
      healthCheckPeriod: 1_000,
      onError,
    });
    const conn = await pool.acquire();
    const id = await whoami(conn);
    conn.release();
    server.peer(id).muted = true;
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => server.peer(id).pings === 1, 'the health ping');
    await vi.advanceTimersByTimeAsync(500);
    await until(() => seen.length > 0, 'the failure to be reported');
    expect(seen[0]!.info.phase).toBe('health-check');
    expect(seen[0]!.error.code).toBe('WSPOOL_ERR_PING_TIMEOUT');
    expect(statOf(pool).healthCheckDestroyCount).toBe(1);
  });

  it('receives a beforeClose throw during close (phase close), wrapped as a WsPoolError with the throw as cause', async () => {
    const { onError, seen } = recorder();
    const thrown = new Error('logout failed');
    const pool = jar.pool({
      url: server.url,
      maxConns: 1,
      onError,
      beforeClose: () => {
        throw thrown;
      },
    });
    (await pool.acquire()).release();
    await pool.close();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.info.phase).toBe('close');
    expect(seen[0]!.error).toBeInstanceOf(WsPoolError);
    expect(seen[0]!.error.cause).toBe(thrown);
    expect(seen[0]!.error.code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
    expect(seen[0]!.error.message).toMatch(/beforeClose hook threw \(logout failed\).*closed anyway/);
  });

  it('a throw inside onError is ignored: the pool carries on', async () => {
    const port = await freePort();
    let calls = 0;
    const pool = jar.pool({
      url: `ws://127.0.0.1:${port}`,
      minConns: 1,
      onError: () => {
        calls++;
        throw new Error('bad reporter');
      },
    });
    await until(() => calls > 0, 'onError to be called');
    expect(statOf(pool).totalConns).toBeLessThanOrEqual(1);
  });
});
