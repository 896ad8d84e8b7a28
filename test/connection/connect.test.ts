// connect(): URL and option validation, every way a dial fails (refused, DNS, timeout, HTTP status,
// TLS, abort), credential redaction, and what reaches the server (subprotocols, headers, dialer).
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { connect, WsPoolError, type Connection, type DialOptions } from '../../src/index.js';
import {
  freePort,
  startHttpStatusServer,
  startSilentTcpServer,
  startTlsEchoServer,
  type HttpStatusServer,
  type SilentTcpServer,
  type TlsTestWsServer,
} from '../helpers/index.js';
import {
  atFakeDate,
  ConnectionJar,
  startPeerServer,
  track,
  until,
  useFakeClock,
  wsErrorOf,
  type PeerServer,
} from './support.js';

let server: PeerServer;
let unauthorized: HttpStatusServer;
let silent: SilentTcpServer;
const jar = new ConnectionJar();

beforeAll(async () => {
  [server, unauthorized, silent] = await Promise.all([
    startPeerServer({ handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false) }),
    startHttpStatusServer(401, { 'www-authenticate': 'Bearer' }),
    startSilentTcpServer(),
  ]);
});
afterEach(async () => {
  vi.useRealTimers();
  await jar.closeAll();
});
afterAll(() => Promise.all([server.close(), unauthorized.close(), silent.close()]));

describe('URL validation', () => {
  it.each<[string, unknown]>([
    ['a string that is not a URL', 'not a url'],
    ['a relative path', '/ws'],
    ['an http: URL', 'http://127.0.0.1:8080/ws'],
    ['an https: URL', 'https://example.com/ws'],
    ['a URL with a fragment', 'ws://127.0.0.1:8080/ws#part'],
    ['a number', 8080],
    ['null', null],
    ['undefined', undefined],
    ['an object', { href: 'ws://127.0.0.1' }],
  ])('rejects %s with INVALID_URL (as a rejection, not a throw)', async (_what, url) => {
    let promise: Promise<Connection> | undefined;
    expect(() => (promise = connect(url as string))).not.toThrow();
    const error = await wsErrorOf(promise!, 'WSPOOL_ERR_INVALID_URL');
    expect(error.message).toMatch(/"?ws:"?/); // says what to pass instead
  });

  it('accepts a URL object', async () => {
    const conn = jar.add(await connect(new URL(server.url)));
    expect(conn.isOpen).toBe(true);
  });
});

describe('option validation', () => {
  it.each<[string, Record<string, unknown>]>([
    ['connectTimeout', { connectTimeout: -1 }],
    ['connectTimeout', { connectTimeout: 0 }],
    ['bogus', { bogus: true }],
    ['maxConn', { maxConn: 2 }],
    ['maxBufferedMessages', { maxBufferedMessages: 0 }],
    ['maxBufferedMessages', { maxBufferedMessages: 1.5 }],
    ['protocols', { protocols: 5 }],
    ['protocols', { protocols: ['ok', 7] }],
    ['headers', { headers: 'x-a: 1' }],
    ['headers.x-a', { headers: { 'x-a': 1 } }],
    ['maxPayload', { maxPayload: 0 }],
    ['sendHighWaterMark', { sendHighWaterMark: -1 }],
    ['perMessageDeflate', { perMessageDeflate: 'yes' }],
    ['closeTimeout', { closeTimeout: Number.NaN }],
    ['signal', { signal: {} }],
    ['tls', { tls: 'insecure' }],
    ['tls.rejectUnauthorized', { tls: { rejectUnauthorized: 'no' } }],
    ['verify', { tls: { verify: false } }],
    ['dialer', { dialer: 'ws' }],
    ['wsOptions', { wsOptions: [] }],
  ])('rejects an invalid `%s` with INVALID_CONFIG naming it, without dialling', async (field, options) => {
    const before = server.peers.length;
    const error = await wsErrorOf(connect(server.url, options), 'WSPOOL_ERR_INVALID_CONFIG');
    expect(error.message).toContain(`\`${field}\``);
    expect(server.peers.length).toBe(before);
  });

  it('rejects non-object options', async () => {
    await wsErrorOf(connect(server.url, null as never), 'WSPOOL_ERR_INVALID_CONFIG');
  });
});

describe('dial failures', () => {
  it('a port with nothing listening rejects CONNECT_FAILED with the ECONNREFUSED cause', async () => {
    const port = await freePort();
    const error = await wsErrorOf(connect(`ws://127.0.0.1:${port}/x`), 'WSPOOL_ERR_CONNECT_FAILED');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(error.message).toContain(`ws://127.0.0.1:${port}/x`);
    expect(error.status).toBeUndefined();
  });

  it('an unresolvable host rejects CONNECT_FAILED with the resolver error as cause', async () => {
    const error = await wsErrorOf(
      connect('ws://nonexistent.invalid/ws', { connectTimeout: 10_000 }),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    // NXDOMAIN where a resolver answers; EAI_AGAIN/EAI_FAIL in a sandbox without DNS.
    expect(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']).toContain(
      (error.cause as NodeJS.ErrnoException).code,
    );
  });

  it('an HTTP 401 answer to the upgrade rejects CONNECT_FAILED with status 401', async () => {
    const error = await wsErrorOf(connect(`${unauthorized.url}/ws`), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/HTTP 401/);
    expect(error.message).toMatch(/credentials|token/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it.each([403, 404, 500])('an HTTP %i answer rejects CONNECT_FAILED with that status', async (status) => {
    const http = await startHttpStatusServer(status);
    try {
      const error = await wsErrorOf(connect(http.url), 'WSPOOL_ERR_CONNECT_FAILED');
      expect(error.status).toBe(status);
    } finally {
      await http.close();
    }
  });

  it('a server that accepts TCP but never answers the upgrade rejects CONNECT_TIMEOUT at connectTimeout', async () => {
    const accepted = silent.accepted;
    useFakeClock();
    const dialing = track(connect(silent.url, { connectTimeout: 200 }));
    await until(() => silent.accepted > accepted, 'the TCP connection to be accepted');
    await vi.advanceTimersByTimeAsync(199);
    expect(dialing.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(dialing.status).toBe('rejected');
    expect(dialing.error).toBeInstanceOf(WsPoolError);
    expect(dialing.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_TIMEOUT' });
    expect((dialing.error as Error).message).toContain('200 ms');
    // The half-open socket is gone.
    await until(() => silent.connections === 0, 'the server to see the socket close');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the default connectTimeout is 10 s', async () => {
    useFakeClock();
    const dialing = track(connect(silent.url));
    await until(() => silent.connections > 0, 'the TCP connection to be accepted');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(dialing.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(dialing.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_TIMEOUT' });
    await until(() => silent.connections === 0, 'the server to see the socket close');
  });

  it('a dialer that throws rejects CONNECT_FAILED with the throw as cause', async () => {
    const boom = new Error('no transport');
    const error = await wsErrorOf(
      connect(server.url, {
        dialer: () => {
          throw boom;
        },
      }),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    expect(error.cause).toBe(boom);
  });
});

describe('abort', () => {
  it('an abort during the dial rejects with signal.reason and leaves no socket', async () => {
    const accepted = silent.accepted;
    const controller = new AbortController();
    const reason = new Error('user navigated away');
    const dialing = track(connect(silent.url, { signal: controller.signal, connectTimeout: 60_000 }));
    await until(() => silent.accepted > accepted, 'the TCP connection to be accepted');
    controller.abort(reason);
    await until(() => dialing.status !== 'pending', 'the dial to settle');
    expect(dialing.status).toBe('rejected');
    expect(dialing.error).toBe(reason);
    await until(() => silent.connections === 0, 'the server to see the socket close');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an already-aborted signal rejects with its reason without dialling', async () => {
    const accepted = silent.accepted;
    const reason = new DOMException('too late', 'AbortError');
    await expect(connect(silent.url, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(silent.accepted).toBe(accepted);
  });

  it('an abort after the connection opened does not affect it', async () => {
    const controller = new AbortController();
    const conn = jar.add(await connect(server.url, { signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    controller.abort();
    await conn.sendMessage('still open');
    expect(conn.isOpen).toBe(true);
  });
});

describe('redaction', () => {
  const SECRETS = ['secretpw', 'SECRET123'];

  function expectNoSecrets(error: unknown): void {
    expect(error).toBeInstanceOf(WsPoolError);
    const e = error as WsPoolError;
    const cause = e.cause as Error | undefined;
    const texts = [
      e.message,
      String(e),
      JSON.stringify(e),
      e.stack ?? '',
      cause?.message ?? '',
      cause ? String(cause) : '',
      cause?.stack ?? '',
      JSON.stringify(cause ?? null),
    ];
    for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
  }

  const withSecrets = (base: string): string => {
    const url = new URL(base);
    return `ws://user:secretpw@${url.host}/p?token=SECRET123&mode=plain`;
  };

  it('keeps credentials and query values out of a 401 error', async () => {
    const error = await wsErrorOf(connect(withSecrets(unauthorized.url)), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(error.status).toBe(401);
    expectNoSecrets(error);
    expect(error.message).toContain('token=***');
  });

  it('keeps credentials and query values out of a refused-connection error', async () => {
    const port = await freePort();
    const error = await wsErrorOf(
      connect(withSecrets(`ws://127.0.0.1:${port}`)),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expectNoSecrets(error);
  });

  it('keeps credentials and query values out of a connect-timeout error', async () => {
    const error = await wsErrorOf(
      connect(withSecrets(silent.url), { connectTimeout: 50 }),
      'WSPOOL_ERR_CONNECT_TIMEOUT',
    );
    expectNoSecrets(error);
  });

  it('keeps credentials out of an INVALID_URL error', async () => {
    expectNoSecrets(
      await wsErrorOf(connect('http://user:secretpw@host/?token=SECRET123'), 'WSPOOL_ERR_INVALID_URL'),
    );
    expectNoSecrets(
      await wsErrorOf(connect('ws://user:secretpw@[bad/?token=SECRET123'), 'WSPOOL_ERR_INVALID_URL'),
    );
  });

  it('redacts conn.url on success, while the server still gets the credentials', async () => {
    const conn = jar.add(await connect(withSecrets(server.url)));
    const peer = server.peers[server.peers.length - 1];
    expect(conn.url).not.toContain('secretpw');
    expect(conn.url).not.toContain('SECRET123');
    expect(conn.url).not.toContain('user:');
    expect(conn.url).toContain('token=***');
    expect(conn.url).toContain('mode=***');
    expect(conn.url).toContain(`127.0.0.1:${new URL(server.url).port}/p`);
    // The dial itself used the real URL: userinfo becomes Basic auth.
    expect(peer?.headers.authorization).toBe(`Basic ${Buffer.from('user:secretpw').toString('base64')}`);
  });
});

describe('TLS', () => {
  let tlsServer: TlsTestWsServer;
  beforeAll(async () => {
    tlsServer = await startTlsEchoServer();
  });
  afterAll(() => tlsServer.close());

  it('refuses a self-signed certificate by default', async () => {
    const error = await wsErrorOf(connect(tlsServer.url), 'WSPOOL_ERR_CONNECT_FAILED');
    expect(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']).toContain(
      (error.cause as NodeJS.ErrnoException).code,
    );
    expect(error.message).toMatch(/tls\.ca/);
  });

  it('accepts it with tls.ca, and round-trips over wss', async () => {
    const conn = jar.add(await connect(tlsServer.url, { tls: { ca: tlsServer.ca } }));
    await conn.sendMessage('over tls');
    expect(await conn.readMessage()).toBe('over tls');
    await conn.sendBinary(new Uint8Array([1, 2]));
    expect([...(await conn.readBinary())]).toEqual([1, 2]);
  });

  it('checks the host name against the certificate (servername overrides it)', async () => {
    const port = new URL(tlsServer.url).port;
    // The certificate names localhost and 127.0.0.1; a wrong SNI/host name fails verification.
    const error = await wsErrorOf(
      connect(`wss://127.0.0.1:${port}`, { tls: { ca: tlsServer.ca, servername: 'wrong.example' } }),
      'WSPOOL_ERR_CONNECT_FAILED',
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const conn = jar.add(await connect(`wss://localhost:${port}`, { tls: { ca: tlsServer.ca } }));
    expect(conn.isOpen).toBe(true);
  });
});

describe('what reaches the server', () => {
  it('offers the subprotocols and exposes the one the server picked', async () => {
    const conn = jar.add(await connect(server.url, { protocols: ['v1', 'v2'] }));
    const peer = server.peers[server.peers.length - 1];
    expect(conn.protocol).toBe('v2');
    const offered = String(peer?.headers['sec-websocket-protocol']).split(',');
    expect(offered.map((p) => p.trim())).toEqual(['v1', 'v2']);
  });

  it('has an empty protocol when none was offered', async () => {
    const conn = jar.add(await connect(server.url));
    expect(conn.protocol).toBe('');
  });

  it('sends the headers, merged over wsOptions.headers', async () => {
    const conn = jar.add(
      await connect(server.url, {
        headers: { 'x-api-key': 'k-123', 'x-both': 'from-headers' },
        wsOptions: { headers: { 'x-ws-only': 'ws', 'x-both': 'from-wsOptions' } },
      }),
    );
    const peer = server.peers[server.peers.length - 1];
    expect(peer?.headers['x-api-key']).toBe('k-123');
    expect(peer?.headers['x-ws-only']).toBe('ws');
    expect(peer?.headers['x-both']).toBe('from-headers');
    expect(conn.isOpen).toBe(true);
  });

  it('uses a custom dialer with the URL and the resolved options', async () => {
    const calls: { url: URL; options: DialOptions }[] = [];
    const conn = jar.add(
      await connect(`${server.url}/custom?x=1`, {
        protocols: 'v2',
        headers: { 'x-dialed': 'yes' },
        maxPayload: 4096,
        dialer: (url, options) => {
          calls.push({ url, options });
          const { protocols, ...rest } = options;
          return new WebSocket(url, protocols, rest);
        },
      }),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBeInstanceOf(URL);
    expect(calls[0]?.url.href).toBe(`${server.url}/custom?x=1`);
    expect(calls[0]?.options).toMatchObject({
      protocols: 'v2',
      maxPayload: 4096,
      perMessageDeflate: false,
      headers: { 'x-dialed': 'yes' },
    });
    expect(conn.protocol).toBe('v2');
    const peer = server.peers[server.peers.length - 1];
    expect(peer?.headers['x-dialed']).toBe('yes');
    await conn.sendMessage('via dialer');
    await until(() => peer?.received.length === 1, 'the message at the server');
    expect(peer?.received).toEqual(['via dialer']);
  });

  it('reports createdAt and lastUsedAt as epoch ms', async () => {
    const conn = jar.add(await atFakeDate(1_700_000_000_000, () => connect(server.url)));
    expect(conn.createdAt).toBe(1_700_000_000_000);
    expect(conn.lastUsedAt).toBe(conn.createdAt);
    expect(conn.bufferedAmount).toBe(0);
    expect(conn.pendingMessages).toBe(0);
  });
});
