// Bad input at the pool's surface: every config field with a wrong type or out of range, invalid
// URLs, values sendJSON cannot serialise, use of a handle after release/destroy, handles of two
// pools, bad acquire options. Each must be a clear typed error (a WsPoolError whose code and message
// name the problem) and change nothing: stat() and the socket count stay as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JsonRpcPool,
  MultiplexPool,
  Pool,
  WsPoolError,
  createPool,
  type Codec,
  type MultiplexPoolConfig,
  type PoolConfig,
  type PooledConnection,
  type ReadOptions,
} from '../../src/index.js';
import {
  startEchoServer,
  startScriptedServer,
  startTcpProxy,
  type TcpProxy,
  type TestWsServer,
} from '../helpers/index.js';
import { SECRETS, audit, assertNoSecrets, secretUrl } from '../faults/support.js';
import { until } from '../helpers/async.js';

let server: TestWsServer;
let proxy: TcpProxy;
let url: string;

beforeAll(async () => {
  server = await startEchoServer();
  proxy = await startTcpProxy(server.port);
  url = secretUrl(proxy);
});
afterAll(async () => {
  assertNoSecrets();
  await proxy.close();
  await server.close();
});

/** The synchronous throw of `fn`, asserted to be a WsPoolError with `code`, and audited. */
function thrown(fn: () => unknown, code: string): WsPoolError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(WsPoolError);
  expect((error as WsPoolError).code).toBe(code);
  audit.error(error);
  return error as WsPoolError;
}

/** The rejection of `promise`, asserted to be a WsPoolError with `code`, and audited. */
async function rejected(promise: Promise<unknown>, code: string): Promise<WsPoolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WsPoolError);
  expect((error as WsPoolError).code).toBe(code);
  audit.error(error);
  return error as WsPoolError;
}

const fn = (): void => undefined;

/** `[field, bad value]`: every pool and connect option, wrong type and wrong range. */
const BAD_FIELDS: [string, unknown][] = [
  ['minConns', -1],
  ['minConns', 1.5],
  ['minConns', '2'],
  ['minConns', NaN],
  ['minConns', null],
  ['maxConns', 0],
  ['maxConns', Infinity],
  ['maxConns', '4'],
  ['maxConnLifetime', 0],
  ['maxConnLifetime', '1000'],
  ['maxConnLifetime', NaN],
  ['maxConnLifetimeJitter', -1],
  ['maxConnLifetimeJitter', Infinity],
  ['maxConnLifetimeJitter', '10'],
  ['maxConnIdleTime', 0],
  ['maxConnIdleTime', -5],
  ['maxConnIdleTime', {}],
  ['healthCheckPeriod', 0],
  ['healthCheckPeriod', '60000'],
  ['pingTimeout', 0],
  ['pingTimeout', true],
  ['pingIdleAfter', -1],
  ['pingIdleAfter', NaN],
  ['pingIdleAfter', '0'],
  ['acquireTimeout', -1],
  ['acquireTimeout', NaN],
  ['acquireTimeout', '5s'],
  ['maxWaiting', -1],
  ['maxWaiting', 0.5],
  ['maxWaiting', '10'],
  ['beforeConnect', 'fn'],
  ['afterConnect', 1],
  ['beforeAcquire', {}],
  ['afterRelease', true],
  ['beforeClose', null],
  ['trackLeaks', 'yes'],
  ['trackLeaks', 1],
  ['protocols', 42],
  ['protocols', [1, 2]],
  ['headers', 'Authorization: x'],
  ['headers', []],
  ['headers', { 'x-n': 1 }],
  ['connectTimeout', 0],
  ['connectTimeout', -1],
  ['connectTimeout', '10s'],
  ['maxPayload', 0],
  ['maxPayload', 1.5],
  ['maxPayload', '16MiB'],
  ['maxBufferedMessages', 0],
  ['maxBufferedMessages', -1],
  ['maxBufferedMessages', 'many'],
  ['sendHighWaterMark', -1],
  ['sendHighWaterMark', 0.5],
  ['sendHighWaterMark', '1MiB'],
  ['perMessageDeflate', 'yes'],
  ['perMessageDeflate', 1],
  ['tls', 'secure'],
  ['tls', []],
  ['tls', { rejectUnauthorized: 'no' }],
  ['tls', { servername: 5 }],
  ['tls', { verify: true }],
  ['tls', { ca: 42 }],
  ['tls', { cert: {} }],
  ['tls', { key: true }],
  ['tls', { ca: [Buffer.from('x'), 7] }],
  ['wsOptions', 'x'],
  ['wsOptions', []],
  ['closeTimeout', -1],
  ['closeTimeout', NaN],
  ['closeTimeout', 'soon'],
  ['dialer', 'ws'],
  ['dialer', {}],
  ['signal', new AbortController().signal],
  ['maxConn', 3], // a typo of maxConns
];

describe('every config field, wrong type or range: INVALID_CONFIG naming it, nothing dialled', () => {
  it.each(BAD_FIELDS)('%s = %o', async (field, value) => {
    const accepted = server.accepted;
    const config = { url, [field]: value } as unknown as PoolConfig;
    const error = thrown(() => new Pool(config), 'WSPOOL_ERR_INVALID_CONFIG');
    // The message names the field (a sub-field like `tls.ca` for the nested ones).
    // (an unknown key inside `tls` is named by itself, as one of "the tls options").
    expect(error.message).toMatch(new RegExp(`\`(${field}(\\.[\\w-]+)?|verify)\``));
    // The accepted range; for a name that is not an option, the closest one or the list of them.
    expect(error.message).toMatch(
      /expected .+, got .+|^Unknown \w+ option `\w+`(: did you mean `\w+`\?|; the \w+ options are: )/,
    );
    await rejected(createPool(config), 'WSPOOL_ERR_INVALID_CONFIG');
    expect(server.accepted).toBe(accepted);
  });

  it('a config that is not an object, or has no url', () => {
    for (const bad of [null, undefined, 'ws://127.0.0.1:1', 42, []]) {
      thrown(() => new Pool(bad as unknown as PoolConfig), 'WSPOOL_ERR_INVALID_CONFIG');
    }
    const error = thrown(() => new Pool({}), 'WSPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toContain('`url`');
  });
});

describe('invalid URLs: INVALID_URL, never echoing credentials', () => {
  const BAD_URLS: unknown[] = [
    42,
    null,
    {},
    '',
    'not a url',
    '127.0.0.1:8080',
    `http://user:${SECRETS[0]}@127.0.0.1:1/feed?token=${SECRETS[1]}`,
    `https://user:${SECRETS[0]}@127.0.0.1:1/feed?token=${SECRETS[1]}`,
    `ftp://user:${SECRETS[0]}@127.0.0.1:1/?token=${SECRETS[1]}`,
    `ws://user:${SECRETS[0]}@127.0.0.1:1/feed?token=${SECRETS[1]}#fragment`,
    `ws://user:${SECRETS[0]}@[::1/feed?token=${SECRETS[1]}`,
    `ws://user:${SECRETS[0]}@127.0.0.1:99999/?token=${SECRETS[1]}`,
    new URL(`http://user:${SECRETS[0]}@127.0.0.1:1/?token=${SECRETS[1]}`),
  ];
  // Labelled by index: a title printing the URL would put the secrets in the test log itself.
  it.each(BAD_URLS.map((u, i) => [i, u]))('bad URL #%i', async (_i, bad) => {
    const accepted = server.accepted;
    const error = thrown(() => new Pool({ url: bad as string }), 'WSPOOL_ERR_INVALID_URL');
    expect(error.message).toMatch(/ws:/); // says what to pass instead
    await rejected(createPool({ url: bad as string }), 'WSPOOL_ERR_INVALID_URL');
    expect(server.accepted).toBe(accepted);
  });
});

describe('misuse of a borrowed connection: typed errors, no state change', () => {
  let pool: Pool;
  beforeAll(async () => {
    pool = await createPool({ url, minConns: 1, maxConns: 2 });
  });
  afterAll(() => pool.close());

  it('sendJSON of BigInt, a cycle, undefined, a function, a symbol: INVALID_JSON with the value; the connection still works', async () => {
    const conn = await pool.acquire();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const values: unknown[] = [10n, { n: 1n }, cyclic, undefined, fn, Symbol('s')];
    const before = pool.stat();
    for (const value of values) {
      const error = await rejected(conn.sendJSON(value), 'WSPOOL_ERR_INVALID_JSON');
      expect(error.data).toBe(value);
      expect(error.message).toMatch(/sendJSON\(\)/);
    }
    expect(pool.stat()).toEqual(before);
    expect(conn.isOpen).toBe(true);
    await conn.sendJSON({ ok: true });
    expect(await conn.readJSON({ timeout: 1_000 })).toEqual({ ok: true });
    conn.release();
  });

  async function everyMethodReleased(conn: PooledConnection): Promise<void> {
    const code = 'WSPOOL_ERR_CONN_RELEASED';
    await rejected(conn.send('x'), code);
    await rejected(conn.sendMessage('x'), code);
    await rejected(conn.sendBinary(new Uint8Array(1)), code);
    await rejected(conn.sendJSON({}), code);
    await rejected(conn.read(), code);
    await rejected(conn.readMessage({ timeout: 10 }), code);
    await rejected(conn.readBinary(), code);
    await rejected(conn.readJSON(), code);
    await rejected(conn.ping(), code);
    await rejected(conn.exchange('x'), code);
    await rejected(conn.exchangeJSON({}), code);
    await rejected(conn.messages().next(), code);
    await rejected(conn[Symbol.asyncIterator]().next(), code);
    for (const getter of [
      'url',
      'protocol',
      'createdAt',
      'lastUsedAt',
      'bufferedAmount',
      'pendingMessages',
    ]) {
      thrown(() => (conn as unknown as Record<string, unknown>)[getter], code);
    }
    expect(conn.isOpen).toBe(false);
    expect(conn.isActive).toBe(false);
    // Releasing or destroying again is a no-op, not an error.
    conn.release();
    conn.destroy();
    await conn[Symbol.asyncDispose]();
  }

  it('use after release: every method rejects CONN_RELEASED; the pool is unchanged', async () => {
    const conn = await pool.acquire();
    const pendingRead = conn.readMessage();
    conn.release();
    await rejected(pendingRead, 'WSPOOL_ERR_CONN_RELEASED'); // a read pending at release, too
    const before = pool.stat();
    await everyMethodReleased(conn);
    expect(pool.stat()).toEqual(before);
    // The connection itself is fine for its next borrower.
    const next = await pool.acquire();
    await next.sendMessage('still fine');
    expect(await next.readMessage({ timeout: 1_000 })).toBe('still fine');
    next.release();
  });

  it('use after destroy: the same; the slot was freed once', async () => {
    const conn = await pool.acquire();
    const total = pool.stat().totalConns;
    conn.destroy();
    const before = pool.stat();
    expect(before.totalConns).toBe(total - 1);
    await everyMethodReleased(conn);
    expect(pool.stat()).toEqual(before);
  });

  it('a handle only ever returns to its own pool: releasing a handle of pool A leaves pool B unchanged', async () => {
    // The API has no pool.release(handle): a handle carries its pool, so "releasing it into another
    // pool" cannot be expressed. What can be checked is that pools never share state through handles.
    const other = await createPool({ url, minConns: 1, maxConns: 1 });
    const a = await pool.acquire();
    const b = await other.acquire();
    const otherBefore = other.stat();
    a.release();
    a.release();
    expect(other.stat()).toEqual(otherBefore);
    const poolBefore = pool.stat();
    b.release();
    expect(pool.stat()).toEqual(poolBefore);
    await other.close();
    // After its pool closed, a handle of that pool is inert; the other pool is unaffected.
    await everyMethodReleased(b);
    expect(pool.stat()).toEqual(poolBefore);
  });

  it('bad read and ping options: INVALID_CONFIG naming the option, no message consumed', async () => {
    const conn = await pool.acquire();
    await conn.sendMessage('kept');
    await until(() => conn.pendingMessages === 1, 'the echo to arrive');
    const reads = [
      (o: unknown) => conn.read(o as ReadOptions),
      (o: unknown) => conn.readMessage(o as ReadOptions),
      (o: unknown) => conn.readBinary(o as ReadOptions),
      (o: unknown) => conn.readJSON(o as ReadOptions),
      (o: unknown) => conn.ping(o as ReadOptions),
    ];
    for (const options of [{ timeout: -1 }, { timeout: NaN }, { timeout: '100' }, { signal: {} }, 'x']) {
      for (const call of reads) {
        const error = await rejected(call(options), 'WSPOOL_ERR_INVALID_CONFIG');
        expect(error.message).toMatch(/`(timeout|signal|options)`/);
      }
    }
    expect(conn.pendingMessages).toBe(1);
    expect(await conn.readMessage({ timeout: 0 })).toBe('kept'); // a message waiting: timeout 0 is fine
    conn.release();
  });

  it('bad acquire options: INVALID_CONFIG naming the option, no connection taken', async () => {
    // An idle connection is available, so a missing check would hand it out instead of failing.
    await pool.withConnection(() => Promise.resolve());
    for (const options of [
      { timeout: -1 },
      { timeout: NaN },
      { timeout: '100' },
      { signal: {} },
      { signal: 'x' },
    ]) {
      const before = pool.stat();
      const error = await rejected(
        pool.acquire(options as unknown as Parameters<Pool['acquire']>[0]),
        'WSPOOL_ERR_INVALID_CONFIG',
      );
      expect(error.message).toMatch(/`(timeout|signal)`/);
      expect(pool.stat()).toEqual(before);
    }
  });
});

// ---- the multiplexed pools ------------------------------------------------------------------------

const codec: Codec<string, string> = {
  encode: (req, id) => JSON.stringify({ id, p: req }),
  decode: (frame) => {
    const o = JSON.parse(String(frame)) as { id?: number; p?: string };
    return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.p) } : undefined;
  },
};

/** Options of the exclusive pool only: a multiplexed pool rejects them by name, whatever the value. */
const CHECKOUT_ONLY = new Set(['beforeAcquire', 'afterRelease', 'acquireTimeout', 'trackLeaks']);

const BAD_MULTIPLEX_FIELDS: [string, unknown][] = [
  ['codec', undefined],
  ['codec', null],
  ['codec', {}],
  ['codec', { encode: 1, decode: () => undefined }],
  ['codec', { encode: () => '', decode: 'x' }],
  ['maxInFlightPerConn', 0],
  ['maxInFlightPerConn', 1.5],
  ['maxInFlightPerConn', '8'],
  ['requestTimeout', 0],
  ['requestTimeout', -1],
  ['requestTimeout', NaN],
  ['requestTimeout', '5s'],
  ['onMessage', 'log'],
  ['beforeAcquire', fn],
  ['acquireTimeout', 1_000],
];

describe('MultiplexPool and JsonRpcPool: every config field, wrong type or range', () => {
  const shared = BAD_FIELDS.filter(([field]) => !CHECKOUT_ONLY.has(field));
  it.each([...shared, ...BAD_MULTIPLEX_FIELDS])('%s = %o', (field, value) => {
    const accepted = server.accepted;
    const config = { url, codec, [field]: value } as unknown as MultiplexPoolConfig<string, string>;
    if (field === 'codec' && value === undefined) delete (config as { codec?: unknown }).codec;
    const error = thrown(() => new MultiplexPool(config), 'WSPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toMatch(new RegExp(`\`(${field}(\\.[\\w-]+)?|verify)\``));
    if (field !== 'codec') {
      const { codec: _codec, ...rest } = config;
      thrown(
        () => new JsonRpcPool(rest as ConstructorParameters<typeof JsonRpcPool>[0]),
        'WSPOOL_ERR_INVALID_CONFIG',
      );
    }
    expect(server.accepted).toBe(accepted);
  });

  it('JsonRpcPool refuses a codec (it has its own); both refuse bad URLs', () => {
    const error = thrown(
      () => new JsonRpcPool({ url, codec } as unknown as ConstructorParameters<typeof JsonRpcPool>[0]),
      'WSPOOL_ERR_INVALID_CONFIG',
    );
    expect(error.message).toContain('`codec`');
    for (const bad of ['', 'http://127.0.0.1:1/', `ftp://user:${SECRETS[0]}@h/?token=${SECRETS[1]}`, 42]) {
      thrown(() => new MultiplexPool({ url: bad as string, codec }), 'WSPOOL_ERR_INVALID_URL');
      thrown(() => new JsonRpcPool({ url: bad as string }), 'WSPOOL_ERR_INVALID_URL');
    }
  });
});

describe('MultiplexPool and JsonRpcPool: bad calls are typed errors that change nothing', () => {
  let mux: MultiplexPool<string, string>;
  let rpc: JsonRpcPool;
  let rpcServer: TestWsServer;
  beforeAll(async () => {
    mux = new MultiplexPool({ url, codec, minConns: 1 });
    rpcServer = await startScriptedServer((ws) =>
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { id?: number; params?: unknown };
        if (m.id !== undefined) ws.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: m.params }));
      }),
    );
    rpc = new JsonRpcPool({ url: secretUrl(rpcServer.port), minConns: 1 });
    expect(await mux.request('warm', { timeout: 2_000 })).toBe('warm');
    expect(await rpc.call('warm', [1], { timeout: 2_000 })).toEqual([1]);
  });
  afterAll(async () => {
    await mux.close();
    await rpc.close();
    await rpcServer.close();
  });

  it('params JSON cannot represent (BigInt, cycles): INVALID_JSON, nothing sent or counted, the pool serves on', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const before = rpc.stat();
    await rejected(rpc.call('m', [10n]), 'WSPOOL_ERR_INVALID_JSON');
    await rejected(rpc.call('m', cyclic), 'WSPOOL_ERR_INVALID_JSON');
    await rejected(rpc.notify('m', { big: 1n }), 'WSPOOL_ERR_INVALID_JSON');
    await rejected(
      rpc.callBatch([
        { method: 'ok', params: [1] },
        { method: 'm', params: [2n] },
      ]),
      'WSPOOL_ERR_INVALID_JSON',
    );
    expect(rpc.stat()).toEqual(before);
    expect(await rpc.call('m', [2], { timeout: 2_000 })).toEqual([2]);
  });

  it('bad request options: INVALID_CONFIG naming the option, nothing queued or sent', async () => {
    for (const options of [
      { timeout: -1 },
      { timeout: NaN },
      { timeout: '100' },
      { signal: {} },
      { signal: 'x' },
    ]) {
      const before = mux.stat();
      const error = await rejected(
        mux.request('x', options as unknown as Parameters<MultiplexPool<string, string>['request']>[1]),
        'WSPOOL_ERR_INVALID_CONFIG',
      );
      expect(error.message).toMatch(/`(timeout|signal)`/);
      expect(mux.stat()).toEqual(before);
      await rejected(
        rpc.call('m', [], options as unknown as Parameters<JsonRpcPool['call']>[2]),
        'WSPOOL_ERR_INVALID_CONFIG',
      );
    }
  });

  it('use after close: POOL_CLOSED for every call', async () => {
    const closing = new MultiplexPool({ url, codec });
    await closing.close();
    await rejected(closing.request('x'), 'WSPOOL_ERR_POOL_CLOSED');
    await rejected(closing.send('x'), 'WSPOOL_ERR_POOL_CLOSED');
    const closedRpc = new JsonRpcPool({ url });
    await closedRpc.close();
    await rejected(closedRpc.call('m'), 'WSPOOL_ERR_POOL_CLOSED');
    await rejected(closedRpc.notify('m'), 'WSPOOL_ERR_POOL_CLOSED');
    await rejected(closedRpc.callBatch([{ method: 'm' }]), 'WSPOOL_ERR_POOL_CLOSED');
  });
});
