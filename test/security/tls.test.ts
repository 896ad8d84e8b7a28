// TLS for the pools: a wss:// server with a self-signed certificate is refused by default
// (WSPOOL_ERR_CONNECT_FAILED, the cause says why, the message says what to do) and accepted once its
// CA is passed as `tls.ca`. Through the fault proxy, with credentials in the URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonRpcPool, MultiplexPool, Pool, WsPoolError, createPool, type Codec } from '../../src/index.js';
import {
  snapshotHandles,
  startTcpProxy,
  startTlsEchoServer,
  trackTimers,
  type TcpProxy,
  type TlsTestWsServer,
} from '../helpers/index.js';
import { assertNoSecrets, audit, measureLeaks, secretUrl } from '../faults/support.js';

let tls: TlsTestWsServer;
let proxy: TcpProxy;
let url: string;

beforeAll(async () => {
  tls = await startTlsEchoServer();
  proxy = await startTcpProxy(tls.port);
  url = secretUrl(proxy, 'wss');
});
afterAll(async () => {
  assertNoSecrets(3);
  await proxy.close();
  await tls.close();
});

async function failure(promise: Promise<unknown>): Promise<WsPoolError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WsPoolError);
  audit.error(error);
  return error as WsPoolError;
}

describe('Pool over wss://', () => {
  it('refuses a self-signed certificate by default: CONNECT_FAILED, cause says why, nothing pooled', async () => {
    const pool = new Pool({ url, maxConns: 2 });
    const error = await failure(pool.acquire());
    expect(error.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(error.message).toContain('TLS verification failed');
    expect(error.message).toContain('tls.ca');
    expect(pool.stat()).toMatchObject({ totalConns: 0, failedConnectCount: 1, newConnsCount: 0 });
    await pool.close();
    // createPool's first fill reports the same, and closes what it opened.
    const viaCreate = await failure(createPool({ url, minConns: 2 }));
    expect((viaCreate.cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('accepts it with tls.ca: pooled connections serve, and close leaves nothing behind', async () => {
    const before = snapshotHandles();
    const timers = trackTimers();
    const pool = await createPool({ url, minConns: 2, maxConns: 4, tls: { ca: tls.ca } });
    expect(pool.stat()).toMatchObject({ idleConns: 2, newConnsCount: 2 });
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        pool.withConnection(async (conn) => {
          await conn.sendMessage(`secure ${i}`);
          return conn.readMessage({ timeout: 2_000 });
        }),
      ),
    );
    expect(replies).toEqual(Array.from({ length: 8 }, (_, i) => `secure ${i}`));
    expect(pool.stat().totalConns).toBeLessThanOrEqual(4);
    await pool.close();
    expect(await measureLeaks(before, timers)).toBe(0);
    timers.stop();
  });

  it('the CA does not excuse a name mismatch: servername of another host is refused', async () => {
    const pool = new Pool({ url, tls: { ca: tls.ca, servername: 'not-localhost.example' } });
    const error = await failure(pool.acquire());
    expect(error.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    await pool.close();
  });

  it('a plain ws:// pool pointed at the TLS port fails typed, fast', async () => {
    const pool = new Pool({ url: secretUrl(proxy), connectTimeout: 2_000 });
    const error = await failure(pool.acquire());
    expect(['WSPOOL_ERR_CONNECT_FAILED', 'WSPOOL_ERR_CONNECT_TIMEOUT']).toContain(error.code);
    await pool.close();
  });
});

describe('MultiplexPool and JsonRpcPool over wss://', () => {
  const codec: Codec<string, string> = {
    encode: (req, id) => JSON.stringify({ id, p: req }),
    decode: (frame) => {
      const o = JSON.parse(String(frame)) as { id?: number; p?: string };
      return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.p) } : undefined;
    },
  };

  it('refused by default: requests reject CONNECT_FAILED with the TLS cause; nothing opened', async () => {
    const mux = new MultiplexPool({ url, codec, requestTimeout: 5_000 });
    const error = await failure(mux.request('hello'));
    expect(error.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(error.message).toContain('tls.ca');
    expect(mux.stat()).toMatchObject({ totalConns: 0, newConnsCount: 0, inFlight: 0, queuedRequests: 0 });
    await mux.close();
    const rpc = new JsonRpcPool({ url, requestTimeout: 5_000 });
    const rpcError = await failure(rpc.call('ping'));
    expect((rpcError.cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    await rpc.close();
  });

  it('accepted with tls.ca: requests are answered, close leaves nothing behind', async () => {
    const before = snapshotHandles();
    const timers = trackTimers();
    const mux = new MultiplexPool({ url, codec, minConns: 1, maxConns: 2, tls: { ca: tls.ca } });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => mux.request(`secure ${i}`, { timeout: 2_000 })),
    );
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => `secure ${i}`));
    expect(mux.stat().newConnsCount).toBeGreaterThanOrEqual(1);
    await mux.close();
    expect(await measureLeaks(before, timers)).toBe(0);
    timers.stop();
  });
});
