// Credentials in URLs (userinfo, query values, a token in the fragment, added by beforeConnect,
// percent-encoded) never appear in errors — message, stack, `cause` chain, any field, as util.inspect
// renders them for a log — nor in `url` fields, `leaks()` or diagnostics payloads. Every error the
// file provokes and every payload published goes through the audit grep (test/faults/support.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  JsonRpcPool,
  MultiplexPool,
  Pool,
  WsPoolError,
  connect,
  createPool,
  type Codec,
  type PoolConfig,
} from '../../src/index.js';
import {
  freePort,
  startEchoServer,
  startHttpStatusServer,
  startSilentTcpServer,
  startTcpProxy,
  startTlsEchoServer,
  type TcpProxy,
  type TestWsServer,
} from '../helpers/index.js';
import {
  SECRETS,
  SECRET_PASSWORD,
  SECRET_TOKEN,
  assertNoSecrets,
  audit,
  secretUrl,
  subscribeDiagnostics,
  unsubscribeDiagnostics,
} from '../faults/support.js';

let server: TestWsServer;
let proxy: TcpProxy;

beforeAll(async () => {
  subscribeDiagnostics();
  server = await startEchoServer();
  proxy = await startTcpProxy(server.port);
});
afterAll(async () => {
  unsubscribeDiagnostics();
  assertNoSecrets(10);
  await proxy.close();
  await server.close();
});

/** The rejection of `promise`, a WsPoolError, audited; its inspected form (what a logger prints). */
async function failure(promise: Promise<unknown>, code?: string): Promise<WsPoolError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WsPoolError);
  if (code) expect((error as WsPoolError).code).toBe(code);
  audit.error(error);
  return error as WsPoolError;
}

/** Where the message shows the URL, it shows it masked (so the check above is not vacuous). */
function showsMaskedUrl(error: Error): void {
  expect(error.message).toContain('***');
}

const base: Omit<PoolConfig, 'url'> = { connectTimeout: 300, closeTimeout: 200 };

describe('errors of every dial failure, through the pool', () => {
  it('refused (nothing listening), reset (proxy refuses), HTTP 401/403/404, connect timeout', async () => {
    const dead = await freePort();
    const e1 = await failure(
      new Pool({ ...base, url: secretUrl(dead) }).acquire(),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    showsMaskedUrl(e1);

    proxy.refuse(true);
    const e2 = await failure(
      new Pool({ ...base, url: secretUrl(proxy) }).acquire(),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    showsMaskedUrl(e2);
    proxy.refuse(false);

    for (const status of [401, 403, 404]) {
      const http = await startHttpStatusServer(status);
      const pool = new Pool({ ...base, url: secretUrl(http.port) });
      const e = await failure(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
      expect(e.status).toBe(status);
      showsMaskedUrl(e);
      await pool.close();
      await http.close();
    }

    const silent = await startSilentTcpServer();
    const pool = new Pool({ ...base, url: secretUrl(silent.port) });
    const e3 = await failure(pool.acquire(), 'WSPOOL_ERR_CONNECT_TIMEOUT');
    showsMaskedUrl(e3);
    // An acquire timeout carries the last dial error as its cause: audited with it.
    const e4 = await failure(pool.acquire({ timeout: 50 }), 'WSPOOL_ERR_ACQUIRE_TIMEOUT');
    await pool.close();
    await silent.close();
    void e4;
  });

  it('createPool: the first fill fails, and the pool it closes; TLS verification failure', async () => {
    const dead = await freePort();
    await failure(createPool({ ...base, url: secretUrl(dead), minConns: 2 }), 'WSPOOL_ERR_CONNECT_FAILED');
    const tls = await startTlsEchoServer();
    const e = await failure(createPool({ ...base, url: secretUrl(tls.port, 'wss'), minConns: 1 }));
    expect(e.code).toBe('WSPOOL_ERR_CONNECT_FAILED');
    showsMaskedUrl(e);
    await tls.close();
  });

  it('a token added by beforeConnect (query and password) is masked like one in the config', async () => {
    const dead = await freePort();
    const pool = new Pool({
      ...base,
      url: `ws://user@127.0.0.1:${dead}/feed`,
      beforeConnect: (ctx) => {
        ctx.url.password = SECRET_PASSWORD;
        ctx.url.searchParams.set('token', SECRET_TOKEN);
      },
    });
    const e = await failure(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    showsMaskedUrl(e);
    await pool.close();
    // And on success: the open/close payloads of such a connection.
    const ok = await createPool({
      ...base,
      url: `ws://127.0.0.1:${proxy.port}/feed`,
      minConns: 1,
      beforeConnect: (ctx) => {
        ctx.url.searchParams.set('token', SECRET_TOKEN);
      },
    });
    await ok.withConnection(async (conn) => {
      audit.text('conn.url', conn.url);
      await conn.sendMessage('x');
      await conn.readMessage({ timeout: 1_000 });
    });
    await ok.close();
  });

  it('percent-encoded credentials are masked in every spelling', async () => {
    const encoded = 'P%40SS%20W0RD'; // "P@SS W0RD"
    const dead = await freePort();
    const pool = new Pool({ ...base, url: `ws://user:${encoded}@127.0.0.1:${dead}/?token=A%2BB%3DC` });
    const e = await failure(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    const rendered = `${e.message}\n${e.stack ?? ''}\n${String(e.cause)}`;
    for (const form of [encoded, 'P@SS W0RD', 'A%2BB%3DC', 'A+B=C']) expect(rendered).not.toContain(form);
    expect(pool.url).not.toContain(encoded);
    await pool.close();
  });

  it('a token in the URL fragment (#access_token=…) does not appear in the INVALID_URL error', () => {
    let error: unknown;
    try {
      new Pool({ url: `ws://127.0.0.1:1/feed#access_token=${SECRET_TOKEN}` });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'WSPOOL_ERR_INVALID_URL' });
    audit.error(error);
    expect((error as Error).message).not.toContain(SECRET_TOKEN);
  });

  it('an error from a custom dialer (or an agent) that quotes the URL is scrubbed, cause included', async () => {
    const pool = new Pool({
      ...base,
      url: secretUrl(proxy),
      dialer: (url) => {
        throw new Error(`proxy agent could not reach ${url.href}`);
      },
    });
    const e = await failure(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    // The detail survives, masked, and readable: scrubbing the one-character `v=1` must not turn every
    // "1" of the host and port into "***".
    expect(e.message).toContain(`proxy agent could not reach ws://***:***@127.0.0.1:${proxy.port}/feed?***`);
    await pool.close();
    // The same when the dialer's socket emits the error asynchronously.
    const pool2 = new Pool({
      ...base,
      url: secretUrl(proxy),
      dialer: (url, options) => {
        const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`, options);
        ws.once('upgrade', () => ws.emit('error', new Error(`upstream refused ${url.href}`)));
        return ws;
      },
    });
    await failure(pool2.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    await pool2.close();
  });
});

describe('hooks that quote the URL', () => {
  it('beforeConnect and afterConnect errors quoting the URL are scrubbed in the message and the cause', async () => {
    const before = new Pool({
      ...base,
      url: secretUrl(proxy),
      beforeConnect: (ctx) => {
        throw new Error(`token refresh failed for ${ctx.url.href}`);
      },
    });
    const e1 = await failure(before.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(e1.message).toContain('token refresh failed for ws://***:***@');
    await before.close();
    const after = new Pool({
      ...base,
      url: secretUrl(proxy),
      afterConnect: (conn) => {
        throw `auth rejected on ${secretUrl(proxy)} (${conn.url})`; // eslint-disable-line @typescript-eslint/only-throw-error
      },
    });
    const e2 = await failure(after.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(e2.message).toContain('auth rejected on ws://***:***@');
    await after.close();
  });

  it('an error that quotes no secret stays the very same cause object', async () => {
    const mine = new Error('no token today');
    const pool = new Pool({
      ...base,
      url: secretUrl(proxy),
      beforeConnect: () => {
        throw mine;
      },
    });
    const e = await failure(pool.acquire(), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(e.cause).toBe(mine);
    await pool.close();
  });
});

describe('url fields, leaks() and diagnostics of working pools', () => {
  it('pool.url, handle.url, leaks(), and every payload of a busy pool', async () => {
    const pool = await createPool({
      ...base,
      url: secretUrl(proxy),
      minConns: 2,
      maxConns: 4,
      trackLeaks: true,
    });
    audit.text('pool.url', pool.url);
    expect(pool.url).toContain('***');
    const held = await pool.acquire();
    audit.text('handle.url', held.url);
    for (const leak of pool.leaks()) audit.text('leaks()', JSON.stringify(leak));
    expect(pool.leaks()).toHaveLength(1);
    held.release();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        pool.withConnection(async (conn) => {
          await conn.sendMessage(`m${i}`);
          expect(await conn.readMessage({ timeout: 1_000 })).toBe(`m${i}`);
        }),
      ),
    );
    await pool.close();
    await failure(pool.acquire(), 'WSPOOL_ERR_POOL_CLOSED');
    expect(audit.byChannel['wspool:connection:open']).toBeGreaterThan(0);
    expect(audit.byChannel['wspool:connection:close']).toBeGreaterThan(0);
    expect(audit.byChannel['wspool:pool:acquire']).toBeGreaterThan(0);
  });

  it('an error on an open connection (a message over maxPayload): payload and read error', async () => {
    const pool = await createPool({ ...base, url: secretUrl(proxy), minConns: 1, maxPayload: 8 });
    const conn = await pool.acquire();
    await conn.sendMessage('longer than eight bytes'); // echoed back: too large
    await failure(conn.readMessage({ timeout: 1_000 }), 'WSPOOL_ERR_CONNECTION_CLOSED');
    conn.release();
    await pool.close();
  });

  it('the standalone connect() masks the same way', async () => {
    const dead = await freePort();
    const e = await failure(connect(secretUrl(dead)), 'WSPOOL_ERR_CONNECT_FAILED');
    showsMaskedUrl(e);
    const conn = await connect(secretUrl(proxy));
    audit.text('connection.url', conn.url);
    expect(conn.url).toBe(`ws://***:***@127.0.0.1:${proxy.port}/feed?token=***&v=***`);
    await conn.close();
  });

  it('the audit caught nothing, and it would have: a planted secret is found', () => {
    expect(audit.leaks).toEqual([]);
    const probe = new (audit.constructor as new () => typeof audit)();
    probe.error(new WsPoolError('WSPOOL_ERR_CONNECT_FAILED', 'x', { cause: new Error(`at ${SECRETS[0]}`) }));
    expect(probe.leaks).toHaveLength(1);
  });
});

describe('the multiplexed pools mask the same way', () => {
  const codec: Codec<string, string> = {
    encode: (req, id) => JSON.stringify({ id, p: req }),
    decode: (frame) => {
      const o = JSON.parse(String(frame)) as { id?: number; p?: string };
      return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.p) } : undefined;
    },
  };

  it('dial failures (refused, HTTP 401, timeout, a hook quoting the URL), url, and request payloads', async () => {
    const dead = await freePort();
    const refused = new MultiplexPool({ ...base, url: secretUrl(dead), codec });
    showsMaskedUrl(await failure(refused.request('x'), 'WSPOOL_ERR_CONNECT_FAILED'));
    audit.text('mux.url', refused.url);
    expect(refused.url).toContain('***');
    await refused.close();

    const http = await startHttpStatusServer(401);
    const rpc = new JsonRpcPool({ ...base, url: secretUrl(http.port) });
    const e401 = await failure(rpc.call('m'), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(e401.status).toBe(401);
    showsMaskedUrl(e401);
    await rpc.close();
    await http.close();

    const silent = await startSilentTcpServer();
    const slow = new MultiplexPool({ ...base, url: secretUrl(silent.port), codec });
    showsMaskedUrl(await failure(slow.request('x'), 'WSPOOL_ERR_CONNECT_TIMEOUT'));
    await slow.close();
    await silent.close();

    const hooked = new MultiplexPool({
      ...base,
      url: secretUrl(proxy),
      codec,
      beforeConnect: (ctx) => {
        throw new Error(`cannot refresh ${ctx.url.href}`);
      },
    });
    await failure(hooked.request('x'), 'WSPOOL_ERR_CONNECT_FAILED');
    await hooked.close();

    const requestsBefore = audit.byChannel['wspool:request:start'] ?? 0;
    const ok = new MultiplexPool({ ...base, url: secretUrl(proxy), codec, minConns: 1 });
    expect(await Promise.all([ok.request('a'), ok.request('b')])).toEqual(['a', 'b']);
    proxy.blackhole(); // no reply in time: a request timeout (the late reply arrives once healed)
    await failure(ok.request('late', { timeout: 50 }), 'WSPOOL_ERR_REQUEST_TIMEOUT');
    proxy.pass();
    await ok.close();
    await failure(ok.request('x'), 'WSPOOL_ERR_POOL_CLOSED');
    expect(audit.byChannel['wspool:request:start'] ?? 0).toBeGreaterThan(requestsBefore);
  });
});
