// Inbound side of a Connection against a real `ws` server the test drives frame by frame: typed
// reads, FIFO readers, errors that keep the consumed message, timeouts and aborts that consume
// nothing, iteration, reads after the peer closed, and the bounded inbox under a flood.
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { connect, type Connection } from '../../src/index.js';
import {
  atFakeDate,
  ConnectionJar,
  connectPeer,
  startPeerServer,
  track,
  turn,
  until,
  useFakeClock,
  wsErrorOf,
  useSuiteServer,
} from './support.js';

const jar = new ConnectionJar();
const server = useSuiteServer(() => startPeerServer(), jar);

async function open(options: Parameters<typeof connectPeer>[1] = {}) {
  const pair = await connectPeer(server, options);
  jar.add(pair.conn);
  return pair;
}

/** Resolves once `conn` holds `n` unread messages (they arrive over a real socket). */
function buffered(conn: Connection, n: number): Promise<void> {
  return until(() => conn.pendingMessages >= n, `${n} buffered messages`);
}

describe('typed reads', () => {
  it('read, readMessage, readBinary and readJSON return the next message by kind', async () => {
    const { conn, peer } = await open();
    peer.ws.send('hello');
    peer.ws.send(Buffer.from([1, 2, 3]));
    peer.ws.send('text again');
    peer.ws.send(Buffer.from([9]));
    peer.ws.send('{"x":1,"y":[true,null]}');
    peer.ws.send(Buffer.from('{"utf8":"in a binary frame ✓"}'));
    await buffered(conn, 6);

    expect(await conn.read()).toBe('hello');
    const any = await conn.read();
    expect(any).toBeInstanceOf(Uint8Array);
    expect([...(any as Uint8Array)]).toEqual([1, 2, 3]);
    expect(await conn.readMessage()).toBe('text again');
    const bin = await conn.readBinary();
    expect(bin).toBeInstanceOf(Uint8Array);
    expect([...bin]).toEqual([9]);
    expect(await conn.readJSON()).toEqual({ x: 1, y: [true, null] });
    expect(await conn.readJSON<{ utf8: string }>()).toEqual({ utf8: 'in a binary frame ✓' });
    expect(conn.pendingMessages).toBe(0);
  });

  it('updates lastUsedAt on read', async () => {
    const { conn, peer } = await open();
    peer.ws.send('x');
    await buffered(conn, 1);
    await atFakeDate(conn.createdAt + 5_000, () => conn.read());
    expect(conn.lastUsedAt).toBe(conn.createdAt + 5_000);
  });
});

describe('concurrent readers', () => {
  it('are served in call order, whatever their kind', async () => {
    const { conn, peer } = await open();
    const reads = [conn.read(), conn.readMessage(), conn.readJSON(), conn.readBinary(), conn.read()];
    peer.ws.send('one');
    peer.ws.send('two');
    peer.ws.send('[3]');
    peer.ws.send(Buffer.from([4]));
    peer.ws.send('five');
    const [a, b, c, d, e] = await Promise.all(reads);
    expect(a).toBe('one');
    expect(b).toBe('two');
    expect(c).toEqual([3]);
    expect([...(d as Uint8Array)]).toEqual([4]);
    expect(e).toBe('five');
  });

  it('keep call order across a burst larger than the readers waiting', async () => {
    const { conn, peer } = await open();
    const early = Array.from({ length: 50 }, () => conn.readMessage());
    for (let i = 0; i < 100; i++) peer.ws.send(`m${i}`);
    const late = Array.from({ length: 50 }, () => conn.readMessage());
    const got = await Promise.all([...early, ...late]);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });
});

describe('plain readers and readers with a timeout or signal, mixed', () => {
  it('keep call order; one that gives up is skipped and the plain reader after it takes its message', async () => {
    const { conn, peer } = await open();
    const abort = new AbortController();
    const first = conn.readMessage(); // plain, and first: nothing waits ahead of it
    const timed = conn.readMessage({ timeout: 60_000 });
    const abortable = conn.readMessage({ signal: abort.signal });
    const plain = conn.readMessage(); // plain, behind the two above
    abort.abort(new Error('gave up'));
    await expect(abortable).rejects.toThrow('gave up');
    for (const text of ['one', 'two', 'three']) peer.ws.send(text);
    expect(await Promise.all([first, timed, plain])).toEqual(['one', 'two', 'three']);
    // With nobody waiting, a plain read made right after a timed one still comes second.
    const again = [conn.readMessage({ timeout: 60_000 }), conn.readMessage()];
    await expect(conn.readMessage({ signal: abort.signal })).rejects.toThrow('gave up'); // consumes nothing
    peer.ws.send('four');
    peer.ws.send('five');
    expect(await Promise.all(again)).toEqual(['four', 'five']);
    expect(conn.pendingMessages).toBe(0);
  });

  it('all reject in call order when the socket closes', async () => {
    const { conn, peer } = await open();
    const order: string[] = [];
    const reads = ['plain', 'timed', 'plain-behind'].map((name, i) =>
      conn.readMessage(i === 1 ? { timeout: 60_000 } : undefined).catch((error: unknown) => {
        order.push(name);
        return error;
      }),
    );
    peer.ws.close(4000, 'bye');
    const errors = await Promise.all(reads);
    expect(order).toEqual(['plain', 'timed', 'plain-behind']);
    for (const error of errors)
      expect(error).toMatchObject({ code: 'WSPOOL_ERR_CONNECTION_CLOSED', closeCode: 4000 });
  });
});

describe('read errors keep the consumed message', () => {
  it('readMessage on a binary frame rejects UNEXPECTED_MESSAGE_TYPE with the bytes; the next read gets the next message', async () => {
    const { conn, peer } = await open();
    const waiting = conn.readMessage(); // a reader queued before the frame arrives
    peer.ws.send(Buffer.from([1, 2]));
    peer.ws.send('next');
    const error = await wsErrorOf(waiting, 'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE');
    expect(error.data).toBeInstanceOf(Uint8Array);
    expect([...(error.data as Uint8Array)]).toEqual([1, 2]);
    expect(await conn.read()).toBe('next');
  });

  it('readBinary on a text frame rejects UNEXPECTED_MESSAGE_TYPE with the text; the next read gets the next message', async () => {
    const { conn, peer } = await open();
    peer.ws.send('i am text');
    peer.ws.send(Buffer.from([7]));
    await buffered(conn, 2); // the frame is already queued when the read is made
    const error = await wsErrorOf(conn.readBinary(), 'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE');
    expect(error.data).toBe('i am text');
    expect([...(await conn.readBinary())]).toEqual([7]);
  });

  it('readJSON on invalid JSON rejects INVALID_JSON with the message and its parse error', async () => {
    const { conn, peer } = await open();
    peer.ws.send('not json {');
    peer.ws.send(Buffer.from([0xff, 0xfe])); // binary, not UTF-8
    peer.ws.send('{"ok":true}');
    const bad = await wsErrorOf(conn.readJSON(), 'WSPOOL_ERR_INVALID_JSON');
    expect(bad.data).toBe('not json {');
    expect(bad.cause).toBeInstanceOf(SyntaxError);
    const notUtf8 = await wsErrorOf(conn.readJSON(), 'WSPOOL_ERR_INVALID_JSON');
    expect([...(notUtf8.data as Uint8Array)]).toEqual([0xff, 0xfe]);
    expect(await conn.readJSON()).toEqual({ ok: true });
  });
});

describe('read timeout', () => {
  it('rejects READ_TIMEOUT after `timeout` ms and consumes nothing: the late message goes to the next read', async () => {
    const { conn, peer } = await open();
    useFakeClock();
    const timed = track(conn.read({ timeout: 1_000 }));
    const behind = conn.readMessage(); // queued behind the timed reader, no timeout

    await vi.advanceTimersByTimeAsync(999);
    expect(timed.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(timed.status).toBe('rejected');
    expect(timed.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
    expect(conn.pendingMessages).toBe(0);

    peer.ws.send('late');
    peer.ws.send('later');
    expect(await behind).toBe('late'); // the timed-out reader left the queue
    expect(await conn.read({ timeout: 1_000 })).toBe('later');
    expect(vi.getTimerCount()).toBe(0); // the satisfied read's timer was cleared
  });

  it('returns a queued message at once even with timeout 0', async () => {
    const { conn, peer } = await open();
    peer.ws.send('ready');
    await buffered(conn, 1);
    expect(await conn.read({ timeout: 0 })).toBe('ready');
    await wsErrorOf(conn.read({ timeout: 0 }), 'WSPOOL_ERR_READ_TIMEOUT');
  });
});

describe('read abort', () => {
  it('rejects with signal.reason, consumes nothing, and removes its abort listener', async () => {
    const { conn, peer } = await open();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const aborted = track(conn.read({ signal: controller.signal }));
    const behind = conn.read();
    controller.abort(reason);
    await turn();
    expect(aborted.status).toBe('rejected');
    expect(aborted.error).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

    peer.ws.send('for the next reader');
    expect(await behind).toBe('for the next reader');
  });

  it('with an already-aborted signal rejects even when a message is queued, leaving the message', async () => {
    const { conn, peer } = await open();
    peer.ws.send('keep me');
    await buffered(conn, 1);
    const reason = new DOMException('stop', 'AbortError');
    await expect(conn.read({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(conn.readMessage({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(conn.pendingMessages).toBe(1);
    expect(await conn.readMessage()).toBe('keep me');
  });

  it('a read satisfied by a message removes its abort listener, and its deadline expires nothing', async () => {
    const { conn, peer } = await open();
    useFakeClock();
    const controller = new AbortController();
    const reading = conn.read({ signal: controller.signal, timeout: 60_000 });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    peer.ws.send('x');
    expect(await reading).toBe('x');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // The connection's one deadline timer is not cleared per read (that would be a timer per
    // message): it fires at the old deadline, finds nothing due and does not re-arm.
    expect(vi.getTimerCount()).toBe(1);
    const next = track(conn.read());
    await vi.advanceTimersByTimeAsync(60_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(next.status).toBe('pending');
    controller.abort(); // too late to matter
    peer.ws.send('y');
    await until(() => next.status === 'fulfilled', 'the next read');
    expect(next.value).toBe('y');
  });

  it('many timed reads share one timer, and each still times out on its own deadline', async () => {
    const { conn, peer } = await open();
    useFakeClock();
    for (let i = 0; i < 50; i++) {
      const reading = conn.readMessage({ timeout: 1_000 });
      peer.ws.send(`m${i}`);
      expect(await reading).toBe(`m${i}`);
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(vi.getTimerCount()).toBe(1);
    const long = track(conn.read({ timeout: 500 }));
    await vi.advanceTimersByTimeAsync(499);
    expect(long.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(long.status).toBe('rejected');
    expect(long.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
    peer.ws.send('kept');
    expect(await conn.read()).toBe('kept'); // the timed-out read consumed nothing
  });
});

describe('iteration', () => {
  it.each([1000, 1001])('messages() yields every message and ends on a normal close (%i)', async (code) => {
    const { conn, peer } = await open();
    peer.ws.send('a');
    peer.ws.send(Buffer.from([2]));
    peer.ws.send('c');
    peer.ws.close(code, 'done');
    const got: unknown[] = [];
    for await (const message of conn.messages()) {
      got.push(typeof message === 'string' ? message : [...message]);
    }
    expect(got).toEqual(['a', [2], 'c']);
    expect(await conn.closed).toEqual({ code, reason: 'done', wasClean: true });
  });

  it('for await over the connection throws CONNECTION_CLOSED after the last message on close 4000', async () => {
    const { conn, peer } = await open();
    peer.ws.send('1');
    peer.ws.send('2');
    peer.ws.close(4000, 'app error');
    const got: unknown[] = [];
    let thrown: unknown;
    try {
      for await (const message of conn) got.push(message);
    } catch (error) {
      thrown = error;
    }
    expect(got).toEqual(['1', '2']);
    expect(thrown).toMatchObject({
      code: 'WSPOOL_ERR_CONNECTION_CLOSED',
      closeCode: 4000,
      closeReason: 'app error',
    });
  });

  it('messages({ timeout }) throws READ_TIMEOUT from the loop', async () => {
    const { conn, peer } = await open();
    peer.ws.send('only');
    const got: unknown[] = [];
    useFakeClock();
    const loop = (async () => {
      for await (const message of conn.messages({ timeout: 500 })) got.push(message);
    })();
    const outcome = track(loop);
    await until(() => got.length === 1, 'the first message');
    await vi.advanceTimersByTimeAsync(500);
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toMatchObject({ code: 'WSPOOL_ERR_READ_TIMEOUT' });
  });
});

describe('reads after the peer closed', () => {
  it('keeps the messages received before a 4000 close readable, then rejects CONNECTION_CLOSED', async () => {
    const { conn, peer } = await open();
    peer.ws.send('first');
    peer.ws.send(Buffer.from([2]));
    peer.ws.send('{"third":3}');
    peer.ws.close(4000, 'going away for a reason');

    const info = await conn.closed;
    expect(info).toEqual({ code: 4000, reason: 'going away for a reason', wasClean: true });
    expect(conn.isOpen).toBe(false);
    expect(conn.pendingMessages).toBe(3);

    expect(await conn.readMessage()).toBe('first');
    expect([...(await conn.readBinary())]).toEqual([2]);
    expect(await conn.readJSON()).toEqual({ third: 3 });
    for (let i = 0; i < 2; i++) {
      const error = await wsErrorOf(conn.read(), 'WSPOOL_ERR_CONNECTION_CLOSED');
      expect(error.closeCode).toBe(4000);
      expect(error.closeReason).toBe('going away for a reason');
    }
    // `closed` is settled for good and never rejects.
    await expect(conn.closed).resolves.toEqual(info);
  });

  it('rejects readers already waiting when the peer closes', async () => {
    const { conn, peer } = await open();
    const waiting = [conn.read(), conn.readJSON({ timeout: 60_000 })];
    peer.ws.close(4002, 'bye');
    for (const read of waiting) {
      const error = await wsErrorOf(read, 'WSPOOL_ERR_CONNECTION_CLOSED');
      expect(error.closeCode).toBe(4002);
    }
  });

  it('rejects waiting readers with code 1006 when the peer drops the TCP connection', async () => {
    const { conn, peer } = await open();
    const waiting = conn.read();
    peer.ws.terminate();
    const error = await wsErrorOf(waiting, 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(error.closeCode).toBe(1006);
    expect(await conn.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });
});

describe('bounded inbox under a flood', () => {
  it('reads 5000 messages in exact order with maxBufferedMessages 64, pausing the socket instead of buffering', async () => {
    const COUNT = 5_000;
    const LIMIT = 64;
    const PAD = 'x'.repeat(2_048); // 5000 x 2 KiB: more than loopback kernel buffers hold
    // Capture the client-side ws through the dialer seam to observe its pause state.
    let clientWs: WebSocket | undefined;
    const { conn, peer } = await open({
      maxBufferedMessages: LIMIT,
      dialer: (url, { protocols, ...options }) => (clientWs = new WebSocket(url, protocols, options)),
    });
    let maxPending = 0;
    clientWs!.on('message', () => (maxPending = Math.max(maxPending, conn.pendingMessages)));

    for (let i = 0; i < COUNT; i++) peer.ws.send(`${i}:${PAD}`);
    // The client stops reading once its inbox is full; the rest backs up into the server's buffer.
    await until(
      () => conn.pendingMessages >= LIMIT && peer.ws.bufferedAmount > 1024 * 1024,
      'the flood to back up at the server',
    );
    // Let the kernel buffers settle: the backlog stops shrinking once the client's window is full.
    let backlog = -1;
    for (let stable = 0; stable < 10;) {
      stable = peer.ws.bufferedAmount === backlog ? stable + 1 : 0;
      backlog = peer.ws.bufferedAmount;
      await turn();
    }
    // The client holds about the limit, not the flood: megabytes wait at the server instead.
    expect(clientWs!.isPaused).toBe(true);
    expect(backlog).toBeGreaterThan(1024 * 1024);
    expect(conn.pendingMessages).toBeLessThan(LIMIT + 100);

    // Read slowly: yield to the event loop (and so to the socket) every few messages.
    const misplaced: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const message = await conn.readMessage();
      if (message !== `${i}:${PAD}`) misplaced.push(`#${i}: ${message.slice(0, 12)}`);
      if (i % 16 === 0) await turn();
    }
    expect(misplaced).toEqual([]);
    expect(conn.pendingMessages).toBe(0);
    // The excess over the limit is at most the frames of one socket read already being parsed when
    // the pause happened: a read is at most 64 KiB, about 32 frames of 2 KiB.
    expect(maxPending).toBeGreaterThanOrEqual(LIMIT);
    expect(maxPending).toBeLessThan(LIMIT + 100);
    expect(clientWs!.isPaused).toBe(false); // drained below the limit: reading again
    expect(peer.ws.bufferedAmount).toBe(0);
  });

  it('never drops: a reader arriving after the socket was paused gets every message, then the close', async () => {
    const { conn, peer } = await open({ maxBufferedMessages: 4 });
    for (let i = 0; i < 200; i++) peer.ws.send(`${i}:${'y'.repeat(4_096)}`);
    peer.ws.close(1000);
    await buffered(conn, 4);
    const got: number[] = [];
    for await (const message of conn.messages()) got.push(Number((message as string).split(':')[0]));
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await conn.closed).code).toBe(1000);
  });
});

describe('reads through connect()', () => {
  it('reads a greeting the server sends right after the upgrade', async () => {
    const greeter = await startPeerServer({ onPeer: (peer) => peer.ws.send('welcome') });
    try {
      const conn = jar.add(await connect(greeter.url));
      expect(await conn.readMessage({ timeout: 5_000 })).toBe('welcome');
    } finally {
      await jar.closeAll();
      await greeter.close();
    }
  });
});
