// Bounds at their limit, through a pool, with the outcome the API documents:
// - maxPayload: a message of exactly maxPayload bytes is delivered; one byte more closes the socket
//   (1009) and the borrower's reads reject CONNECTION_CLOSED; the slot is freed on release.
// - maxBufferedMessages: at the limit the socket is paused (the server's sends back up), never
//   dropping; reads drain it in order; what the borrower leaves unread is discarded at release.
// - maxWaiting: that many acquires queue; one more rejects POOL_EXHAUSTED at once, changing nothing.
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MultiplexPool, WsPoolError, createPool, type Codec } from '../../src/index.js';
import { startScriptedServer, startTcpProxy, type TcpProxy, type TestWsServer } from '../helpers/index.js';
import { until } from '../connection/support.js';
import { assertNoSecrets, audit, secretUrl, settleWithin } from '../faults/support.js';

/** Text commands: `echo:<text>`, `size:<n>` (reply n bytes), `flood:<count>:<bytes>`. */
let server: TestWsServer;
let proxy: TcpProxy;
let lastSocket: WebSocket | undefined;

beforeAll(async () => {
  server = await startScriptedServer((ws) => {
    lastSocket = ws;
    ws.on('message', (data: Buffer) => {
      const [op, a, b] = data.toString().split(':');
      if (op === 'echo') ws.send(a ?? '');
      else if (op === 'size') ws.send('x'.repeat(Number(a)));
      else if (op === 'flood') for (let i = 0; i < Number(a); i++) ws.send(`${i}:`.padEnd(Number(b), '.'));
    });
  });
  proxy = await startTcpProxy(server.port);
});
afterAll(async () => {
  assertNoSecrets(2);
  await proxy.close();
  await server.close();
});

async function failure(promise: Promise<unknown>, code: string): Promise<WsPoolError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WsPoolError);
  expect((error as WsPoolError).code).toBe(code);
  audit.error(error);
  return error as WsPoolError;
}

describe('maxPayload at its limit', () => {
  it('exactly maxPayload is delivered; one byte more closes with 1009, reads reject, the slot frees', async () => {
    const LIMIT = 4096;
    const pool = await createPool({ url: secretUrl(proxy), minConns: 1, maxConns: 2, maxPayload: LIMIT });
    const conn = await pool.acquire();
    await conn.sendMessage(`size:${LIMIT}`);
    expect(await conn.readMessage({ timeout: 2_000 })).toHaveLength(LIMIT);
    await conn.sendMessage(`size:${LIMIT + 1}`);
    const error = await failure(conn.readMessage({ timeout: 2_000 }), 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect((error.cause as { code?: string }).code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(conn.isOpen).toBe(false);
    await failure(conn.sendMessage('more'), 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(pool.stat()).toMatchObject({ acquiredConns: 1, totalConns: 1 });
    conn.release(); // a closed connection is destroyed on release, its slot freed
    expect(pool.stat()).toMatchObject({ acquiredConns: 0, totalConns: 0 });
    // The pool serves on with a new connection.
    await pool.withConnection(async (next) => {
      await next.sendMessage('echo:fine');
      expect(await next.readMessage({ timeout: 2_000 })).toBe('fine');
    });
    expect(pool.stat().newConnsCount).toBe(2);
    await pool.close();
  });
});

describe('maxBufferedMessages at its limit', () => {
  it('the socket pauses at the limit (server sends back up), nothing is dropped, order is kept', async () => {
    const LIMIT = 16;
    const COUNT = 2500; // 40 MB: more than the loopback TCP buffers and the proxy can hold
    const SIZE = 16 * 1024;
    const pool = await createPool({ url: secretUrl(proxy), minConns: 1, maxBufferedMessages: LIMIT });
    const conn = await pool.acquire();
    await conn.sendMessage(`flood:${COUNT}:${SIZE}`);
    // The inbox fills to the limit (plus at most what was already parsed from the last TCP chunk)…
    await until(() => conn.pendingMessages >= LIMIT, 'the inbox to fill', 5_000);
    const serverSide = lastSocket!;
    // …and stops there: the paused socket backs the server's sends up instead of buffering here.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = conn.pendingMessages;
    expect(held).toBeGreaterThanOrEqual(LIMIT);
    expect(held).toBeLessThanOrEqual(LIMIT + 8); // one 64 KiB chunk holds at most ~4 such frames
    expect(serverSide.bufferedAmount).toBeGreaterThan(SIZE);
    // Reads drain it in order, every message, once.
    for (let i = 0; i < COUNT; i++) {
      const message = await conn.readMessage({ timeout: 5_000 });
      expect(message.slice(0, message.indexOf(':'))).toBe(String(i));
      expect(conn.pendingMessages).toBeLessThanOrEqual(LIMIT + 8);
    }
    // Left unread at release: discarded and counted; the next borrower starts clean.
    await conn.sendMessage(`flood:5:16`);
    await until(() => conn.pendingMessages === 5, 'five more', 5_000);
    const discarded = pool.stat().discardedMessages;
    conn.release();
    expect(pool.stat().discardedMessages).toBe(discarded + 5);
    const next = await pool.acquire();
    expect(next.pendingMessages).toBe(0);
    next.release();
    await pool.close();
  });
});

describe('maxWaiting at its limit', () => {
  it('maxWaiting acquires queue; one more rejects POOL_EXHAUSTED at once with stat unchanged; FIFO after', async () => {
    const pool = await createPool({ url: secretUrl(proxy), minConns: 1, maxConns: 1, maxWaiting: 2 });
    const held = await pool.acquire();
    const order: number[] = [];
    const queued = [1, 2].map((n) =>
      pool.acquire().then((conn) => {
        order.push(n);
        conn.release();
      }),
    );
    expect(pool.stat()).toMatchObject({ pendingAcquires: 2, acquiredConns: 1, totalConns: 1 });
    const before = pool.stat();
    const started = performance.now();
    const error = await failure(pool.acquire(), 'WSPOOL_ERR_POOL_EXHAUSTED');
    expect(performance.now() - started).toBeLessThan(50); // at once, not after a wait
    expect(error.message).toContain('maxWaiting = 2');
    expect(pool.stat()).toEqual(before);
    held.release();
    await Promise.all(queued);
    expect(order).toEqual([1, 2]);
    // maxWaiting 0: never queue; the pool is usable again once free.
    const strict = await createPool({ url: secretUrl(proxy), minConns: 1, maxConns: 1, maxWaiting: 0 });
    const only = await strict.acquire();
    await failure(strict.acquire(), 'WSPOOL_ERR_POOL_EXHAUSTED');
    only.release();
    const again = await settleWithin(strict.acquire(), 2_000);
    expect(again !== 'lost' && again.ok).toBe(true);
    if (again !== 'lost' && again.ok) again.value.release();
    await strict.close();
    await pool.close();
  });
});

describe('the multiplexed pool at its limits', () => {
  // Requests are `{"id":n,"op":"echo:…"|"size:n"|"hold"}`; replies `{"id":n,"v":…}`.
  let rpcServer: TestWsServer;
  let rpcProxy: TcpProxy;
  const held: (() => void)[] = [];
  beforeAll(async () => {
    rpcServer = await startScriptedServer((ws) => {
      ws.on('message', (data: Buffer) => {
        const { id, op } = JSON.parse(data.toString()) as { id: number; op: string };
        const [verb, arg] = op.split(':');
        const reply = (v: string): void => ws.send(JSON.stringify({ id, v }));
        if (verb === 'echo') reply(arg ?? '');
        else if (verb === 'size') reply('x'.repeat(Number(arg)));
        else held.push(() => reply('released'));
      });
    });
    rpcProxy = await startTcpProxy(rpcServer.port);
  });
  afterAll(async () => {
    await rpcProxy.close();
    await rpcServer.close();
  });
  const codec: Codec<string, string> = {
    encode: (op, id) => JSON.stringify({ id, op }),
    decode: (frame) => {
      const o = JSON.parse(String(frame)) as { id?: number; v?: string };
      return typeof o.id === 'number' ? { id: o.id, ok: true, value: String(o.v) } : undefined;
    },
  };

  it('maxPayload: a reply of exactly the limit is delivered; one byte more fails that connection’s requests CONNECTION_CLOSED; the pool serves on', async () => {
    const LIMIT = 4096;
    const overhead = JSON.stringify({ id: 1, v: '' }).length; // replies carry a small envelope
    const mux = new MultiplexPool({
      url: secretUrl(rpcProxy),
      codec,
      maxConns: 1,
      maxPayload: LIMIT + overhead + 8,
    });
    const fits = await mux.request(`size:${LIMIT}`, { timeout: 2_000 });
    expect(fits).toHaveLength(LIMIT);
    const others = [mux.request('hold'), mux.request('hold')];
    const tooBig = mux.request(`size:${LIMIT + overhead + 16}`, { timeout: 2_000 });
    for (const p of [tooBig, ...others]) await failure(p, 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(mux.stat()).toMatchObject({ inFlight: 0, queuedRequests: 0 });
    expect(await mux.request('echo:fine', { timeout: 2_000 })).toBe('fine');
    expect(mux.stat().newConnsCount).toBe(2);
    held.length = 0;
    await mux.close();
  });

  it('maxWaiting: with every slot in flight, that many requests queue; one more rejects POOL_EXHAUSTED at once, stat unchanged', async () => {
    const mux = new MultiplexPool({
      url: secretUrl(rpcProxy),
      codec,
      maxConns: 1,
      maxInFlightPerConn: 2,
      maxWaiting: 3,
      requestTimeout: 10_000,
    });
    const inFlight = [mux.request('hold'), mux.request('hold')];
    await until(() => held.length === 2, 'two requests in flight on the server', 3_000);
    const queued = [mux.request('echo:q1'), mux.request('echo:q2'), mux.request('echo:q3')];
    expect(mux.stat()).toMatchObject({ inFlight: 2, queuedRequests: 3 });
    const before = mux.stat();
    const started = performance.now();
    const error = await failure(mux.request('echo:one too many'), 'WSPOOL_ERR_POOL_EXHAUSTED');
    expect(performance.now() - started).toBeLessThan(50);
    expect(error.message).toContain('maxWaiting');
    expect(mux.stat()).toEqual(before);
    for (const release of held.splice(0)) release();
    expect(await Promise.all(inFlight)).toEqual(['released', 'released']);
    expect(await Promise.all(queued)).toEqual(['q1', 'q2', 'q3']); // FIFO
    await mux.close();
  });
});
