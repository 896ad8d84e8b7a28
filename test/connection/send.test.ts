// Outbound side of a Connection against a real `ws` server on 127.0.0.1: frame types, argument
// checks, JSON serialisation failures and send backpressure (sendHighWaterMark).
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { kSendNow, kTerminate } from '../../src/connection/internal.js';
import {
  atFakeDate,
  ConnectionJar,
  connectPeer,
  rawSocket,
  settlesWithin,
  startPeerServer,
  track,
  until,
  within,
  wsErrorOf,
  useSuiteServer,
} from './support.js';

const jar = new ConnectionJar();
// Echoes each message with its frame type, and records it.
const server = useSuiteServer(
  () =>
    startPeerServer({
      onPeer: (peer) =>
        peer.ws.on('message', (data, isBinary) => {
          if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(data, { binary: isBinary });
        }),
    }),
  jar,
);

describe('send round trips', () => {
  it('sends strings as text frames and bytes as binary frames, and reads them back with their type', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    const backing = new Uint8Array([0, 0, 7, 8, 9, 0]);

    await conn.send('héllo wörld ✓');
    await conn.send(new Uint8Array([1, 2, 3]));
    await conn.send(new Uint8Array([4, 5]).buffer);
    await conn.send(backing.subarray(2, 5)); // a view: only its own bytes go out
    await conn.sendMessage('plain text');
    await conn.sendBinary(Buffer.from([0xff, 0x00]));
    await conn.sendBinary(new Uint8Array([6]).buffer);
    await conn.sendJSON({ a: 1, b: [true, null, 'x'], c: { d: 'é' } });

    // What the server saw, frame type included.
    await until(() => peer.received.length === 8, 'the server to receive 8 frames');
    expect(peer.received[0]).toBe('héllo wörld ✓');
    expect(peer.received[1]).toEqual(Buffer.from([1, 2, 3]));
    expect(peer.received[2]).toEqual(Buffer.from([4, 5]));
    expect(peer.received[3]).toEqual(Buffer.from([7, 8, 9]));
    expect(peer.received[4]).toBe('plain text');
    expect(peer.received[5]).toEqual(Buffer.from([0xff, 0x00]));
    expect(peer.received[6]).toEqual(Buffer.from([6]));
    expect(peer.received[7]).toBe('{"a":1,"b":[true,null,"x"],"c":{"d":"é"}}');

    // The echoes, read back: text stays text, binary stays binary.
    expect(await conn.read()).toBe('héllo wörld ✓');
    const bin = await conn.read();
    expect(bin).toBeInstanceOf(Uint8Array);
    expect([...(bin as Uint8Array)]).toEqual([1, 2, 3]);
    expect([...(await conn.readBinary())]).toEqual([4, 5]);
    expect([...(await conn.readBinary())]).toEqual([7, 8, 9]);
    expect(await conn.readMessage()).toBe('plain text');
    expect([...(await conn.readBinary())]).toEqual([0xff, 0x00]);
    expect([...(await conn.readBinary())]).toEqual([6]);
    expect(await conn.readJSON()).toEqual({ a: 1, b: [true, null, 'x'], c: { d: 'é' } });
    expect(conn.pendingMessages).toBe(0);
  });

  it('writes text up to 1024 units as one chunk and longer text as two, with the same bytes either way', async () => {
    let clientWs: WebSocket | undefined;
    const { conn, peer } = await connectPeer(server, {
      dialer: (url, { protocols, ...options }) => (clientWs = new WebSocket(url, protocols, options)),
    });
    jar.add(conn);
    const socket = rawSocket(clientWs!);
    const single = vi.spyOn(socket, '_write');
    const vector = vi.spyOn(socket as unknown as { _writev: () => void }, '_writev');
    // Multi-byte characters, a surrogate pair and a lone surrogate (sent as U+FFFD either way),
    // padded to just below, at and just above the limit.
    const texts = [1, 1023, 1024, 1025, 5000].map((length) => 'é✓😀\ud800'.padEnd(length, 'ab'));
    const chunksPerSend: number[] = [];
    for (const text of texts) {
      const [writes, writevs] = [single.mock.calls.length, vector.mock.calls.length];
      await conn.sendMessage(text);
      // One write() of one buffer, or one writev() of header and payload.
      expect(single.mock.calls.length - writes + (vector.mock.calls.length - writevs)).toBe(1);
      chunksPerSend.push(vector.mock.calls.length > writevs ? 2 : 1);
    }
    expect(chunksPerSend).toEqual([1, 1, 1, 2, 2]);
    await until(() => peer.received.length === texts.length, 'the server to receive every text frame');
    expect(peer.received).toEqual(texts.map((text) => Buffer.from(text).toString()));
    for (const text of texts) expect(await conn.readMessage()).toBe(Buffer.from(text).toString());
  });

  it('hands a short text to ws as bytes while the socket is idle, and as a string once writes queue', async () => {
    let clientWs: WebSocket | undefined;
    const { conn, peer } = await connectPeer(server, {
      dialer: (url, { protocols, ...options }) => (clientWs = new WebSocket(url, protocols, options)),
    });
    jar.add(conn);
    const sent = vi.spyOn(clientWs!, 'send');
    await conn.sendMessage('idle');
    expect(Buffer.isBuffer(sent.mock.calls[0]?.[0])).toBe(true);

    // The peer stops reading; large frames fill the kernel buffers until writes queue in the socket.
    peer.ws.removeAllListeners('message');
    peer.ws.on('message', (data: Buffer, isBinary) => peer.received.push(isBinary ? data : data.toString()));
    const socket = rawSocket(peer.ws);
    socket.pause();
    const big = new Uint8Array(256 * 1024);
    for (let i = 0; conn.bufferedAmount === 0 && i < 1_000; i++) await conn.send(big);
    expect(conn.bufferedAmount).toBeGreaterThan(0);
    sent.mockClear();
    await conn.sendMessage('queued');
    expect(sent.mock.calls[0]?.[0]).toBe('queued'); // ws frames it; the writev coalesces the backlog
    socket.resume();
    await until(() => peer.received.includes('queued'), 'the queued text at the server');
    expect(peer.received[0]).toBe('idle');
    expect(peer.received.at(-1)).toBe('queued');
  });

  it('round-trips an empty text frame and an empty binary frame', async () => {
    const { conn } = await connectPeer(server);
    jar.add(conn);
    await conn.send('');
    await conn.send(new Uint8Array(0));
    expect(await conn.read()).toBe('');
    const empty = await conn.read();
    expect(empty).toBeInstanceOf(Uint8Array);
    expect((empty as Uint8Array).byteLength).toBe(0);
  });

  it('updates lastUsedAt on send', async () => {
    const { conn } = await connectPeer(server);
    jar.add(conn);
    expect(conn.lastUsedAt).toBe(conn.createdAt);
    await atFakeDate(conn.createdAt + 5_000, () => conn.sendMessage('x'));
    expect(conn.lastUsedAt).toBe(conn.createdAt + 5_000);
  });
});

describe('send argument checks', () => {
  it('rejects a value that is neither text nor bytes and sends nothing', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    const bad: [string, Promise<void>][] = [
      ['send(number)', conn.send(42 as never)],
      ['send(object)', conn.send({ a: 1 } as never)],
      ['send(null)', conn.send(null as never)],
      ['send(Uint16Array)', conn.send(new Uint16Array([1]) as never)],
      ['sendMessage(bytes)', conn.sendMessage(Buffer.from('x') as never)],
      ['sendBinary(string)', conn.sendBinary('x' as never)],
    ];
    for (const [what, promise] of bad) {
      const error = await wsErrorOf(promise, 'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE');
      expect(error.message, what).toMatch(/send(Message|Binary)?\(\)/);
    }
    // Nothing went out: the first frame the server sees is the marker sent afterwards.
    await conn.sendMessage('marker');
    expect(await conn.readMessage()).toBe('marker');
    expect(peer.received).toEqual(['marker']);
  });

  it('sendJSON rejects BigInt, cyclic and unrepresentable values with INVALID_JSON and sends nothing', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    const withBigInt = { n: 10n };
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;

    const bigErr = await wsErrorOf(conn.sendJSON(withBigInt), 'WSPOOL_ERR_INVALID_JSON');
    expect(bigErr.data).toBe(withBigInt);
    expect(bigErr.cause).toBeInstanceOf(TypeError);
    expect(bigErr.message).toMatch(/BigInt/);

    const cycErr = await wsErrorOf(conn.sendJSON(cyclic), 'WSPOOL_ERR_INVALID_JSON');
    expect(cycErr.data).toBe(cyclic);
    expect(cycErr.cause).toBeInstanceOf(TypeError);

    const undefErr = await wsErrorOf(conn.sendJSON(undefined), 'WSPOOL_ERR_INVALID_JSON');
    expect(undefErr.data).toBeUndefined();
    await wsErrorOf(
      conn.sendJSON(() => 1),
      'WSPOOL_ERR_INVALID_JSON',
    );

    await conn.sendJSON({ ok: true });
    expect(await conn.readJSON()).toEqual({ ok: true });
    expect(peer.received).toEqual(['{"ok":true}']);
  });
});

describe('send backpressure', () => {
  const HWM = 64 * 1024;
  const FRAME = 64 * 1024;
  // A client frame of 64 KiB carries a 14-byte header (2 + 8-byte length + 4-byte mask).
  const BOUND = HWM + FRAME + 14;

  /**
   * Sends 64 KiB frames one after another, each awaited as a producer would, until one stays
   * unresolved: the kernel buffers of both ends are full and bufferedAmount is at the mark. A send
   * still pending after 50 ms is watched 250 ms more (sampling bufferedAmount) before it counts as
   * held, so a send that is merely slow on a loaded machine does not end the fill early.
   */
  async function fillUntilStuck(
    send: (frame: Uint8Array) => Promise<void>,
    bufferedAmount: () => number,
  ): Promise<{ resolved: number; stuck: Promise<void>; maxBuffered: number }> {
    let maxBuffered = 0;
    let resolved = 0;
    // Loopback kernel buffers hold a few MiB; 1000 frames (64 MiB) means backpressure never came.
    for (let i = 0; i < 1_000; i++) {
      const promise = send(new Uint8Array(FRAME).fill(i & 0xff));
      const outcome = track(promise);
      let settled = await settlesWithin(outcome, 50);
      if (!settled) {
        const confirmUntil = performance.now() + 250;
        while (outcome.status === 'pending' && performance.now() < confirmUntil) {
          maxBuffered = Math.max(maxBuffered, bufferedAmount());
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        settled = outcome.status !== 'pending';
      }
      maxBuffered = Math.max(maxBuffered, bufferedAmount());
      if (!settled) return { resolved, stuck: promise, maxBuffered };
      if (outcome.status === 'rejected') throw outcome.error;
      resolved++;
    }
    throw new Error('send() never stopped resolving although the peer does not read');
  }

  it('stops resolving once bufferedAmount reaches sendHighWaterMark, and resolves every send when the peer reads again', async () => {
    const { conn, peer } = await connectPeer(server, { sendHighWaterMark: HWM });
    jar.add(conn);
    peer.ws.removeAllListeners('message'); // no echo: only the client -> server direction matters
    peer.ws.on('message', (data: Buffer, isBinary) => peer.received.push(isBinary ? data : data.toString()));
    const socket = rawSocket(peer.ws);
    socket.pause(); // the peer stops reading

    const { resolved, stuck, maxBuffered } = await fillUntilStuck(
      (frame) => conn.send(frame),
      () => conn.bufferedAmount,
    );
    // The send is held (for 300 ms of real time by now) while the peer does not read, and the
    // buffer stayed bounded by the mark plus the one frame in flight the whole time.
    expect(resolved).toBeGreaterThan(0); // the kernel took the first frames
    expect(conn.bufferedAmount).toBeGreaterThanOrEqual(FRAME); // the held frame is still ours
    expect(maxBuffered).toBeLessThanOrEqual(BOUND);

    // The peer reads again: the held send resolves and every frame arrives, in order, intact.
    socket.resume();
    await within(stuck, 5_000, 'the held send after the peer resumed');
    await until(() => peer.received.length === resolved + 1, 'every frame at the server');
    peer.received.forEach((frame, i) => {
      expect(Buffer.isBuffer(frame)).toBe(true);
      expect((frame as Buffer).length).toBe(FRAME);
      expect((frame as Buffer)[0]).toBe(i & 0xff);
      expect((frame as Buffer)[FRAME - 1]).toBe(i & 0xff);
    });
    // Below the mark again: the next send resolves.
    await within(conn.sendMessage('after'), 5_000, 'a send after the backlog drained');
  });

  it('resolves sends at once while bufferedAmount stays below the mark, even if the peer is not reading', async () => {
    const { conn, peer } = await connectPeer(server); // default mark: 1 MiB
    jar.add(conn);
    rawSocket(peer.ws).pause();
    for (let i = 0; i < 16; i++) {
      const outcome = track(conn.send(`message ${i}`));
      await Promise.resolve(); // a microtask, not an I/O turn: no flush can have happened
      await Promise.resolve();
      expect(outcome.status).toBe('fulfilled');
    }
    rawSocket(peer.ws).resume();
    for (let i = 0; i < 16; i++) expect(await conn.readMessage()).toBe(`message ${i}`);
  });

  it('compares bytes, not UTF-16 units, with the mark: multi-byte text is held back like binary', async () => {
    const MARK = 4 * 1024 * 1024;
    const { conn, peer } = await connectPeer(server, { sendHighWaterMark: MARK });
    jar.add(conn);
    peer.ws.removeAllListeners('message'); // no echo
    rawSocket(peer.ws).pause();
    // Fill the kernel buffers until the socket itself holds 2 MiB: from then on nothing moves.
    while (conn.bufferedAmount < MARK / 2) {
      await conn.send(new Uint8Array(FRAME));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // '€' is 1 UTF-16 unit and 3 UTF-8 bytes: well under the mark in units, well over it in bytes.
    const room = MARK - conn.bufferedAmount;
    const text = '€'.repeat(Math.floor(room * 0.75));
    expect(text.length).toBeLessThan(room);
    expect(Buffer.byteLength(text)).toBeGreaterThan(room);
    const sent = track(conn.sendMessage(text));
    expect(await settlesWithin(sent, 200)).toBe(false); // held: the socket is over the mark
    expect(conn.bufferedAmount).toBeGreaterThanOrEqual(MARK);
    rawSocket(peer.ws).resume();
    await within(conn.sendMessage('after'), 10_000, 'the held send after the peer resumed');
    expect(sent.status).toBe('fulfilled');
  });

  it('settles a send held back by backpressure when the peer goes away, and rejects later sends', async () => {
    const { conn, peer } = await connectPeer(server, { sendHighWaterMark: HWM });
    jar.add(conn);
    rawSocket(peer.ws).pause();
    const { stuck } = await fillUntilStuck(
      (frame) => conn.send(frame),
      () => conn.bufferedAmount,
    );
    peer.ws.terminate();
    // Node completes a write that was in flight on a destroyed socket without an error, so the held
    // send may resolve; what matters is that it never hangs, and that a rejection is typed.
    const outcome = track(stuck);
    expect(await settlesWithin(outcome, 5_000)).toBe(true);
    if (outcome.status === 'rejected') {
      expect(outcome.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECTION_CLOSED' });
    }
    const info = await conn.closed;
    expect(info.wasClean).toBe(false);
    await wsErrorOf(conn.send('late'), 'WSPOOL_ERR_CONNECTION_CLOSED');
  });
});

describe('send on a closed connection', () => {
  it('rejects every send kind with CONNECTION_CLOSED carrying the close code', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    await conn.close(4001, 'bye');
    for (const promise of [
      conn.send('x'),
      conn.sendMessage('x'),
      conn.sendBinary(new Uint8Array(1)),
      conn.sendJSON({}),
    ]) {
      const error = await wsErrorOf(promise, 'WSPOOL_ERR_CONNECTION_CLOSED');
      expect(error.closeCode).toBe(4001);
      expect(error.closeReason).toBe('bye');
    }
    await until(() => peer.closedWith !== undefined, 'the server to see the close');
    expect(peer.received).toEqual([]);
  });
});

describe('frames sent in one turn on the multiplexed hot path', () => {
  // The multiplexed pools write with kSendNow; the socket is corked for the rest of the turn, so
  // the frames of one turn leave in one write instead of one system call each.
  it('are held until the turn ends, then written together, in order', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    for (let i = 0; i < 50; i++) conn[kSendNow](`frame ${i}`);
    // Corked: the bytes wait in the socket's buffer. Uncorked, a write to an idle socket on
    // loopback is handed to the kernel at once and this is 0.
    expect(conn.bufferedAmount).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(conn.bufferedAmount).toBe(0);
    await until(() => peer.received.length === 50, 'the server to get all 50 frames');
    expect(peer.received).toEqual(Array.from({ length: 50 }, (_, i) => `frame ${i}`));
  });

  it('are flushed every 64 frames in a long turn, so the peer can start on them', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    for (let i = 0; i < 64; i++) conn[kSendNow](`frame ${i}`);
    // The 64th frame flushed the turn so far: on loopback the kernel takes it at once.
    expect(conn.bufferedAmount).toBe(0);
    conn[kSendNow]('frame 64');
    expect(conn.bufferedAmount).toBeGreaterThan(0); // held again until the turn ends
    await until(() => peer.received.length === 65, 'the server to get all 65 frames');
    expect(peer.received).toEqual(Array.from({ length: 65 }, (_, i) => `frame ${i}`));
  });

  it('keep their place before a close started in the same turn', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    conn[kSendNow]('before the close');
    const closed = conn.close(4002, 'done');
    await closed;
    await until(() => peer.closedWith !== undefined, 'the server to see the close');
    expect(peer.received).toEqual(['before the close']);
    expect(peer.closedWith).toEqual({ code: 4002, reason: 'done' });
  });

  it('are dropped without an error when the socket is destroyed in the same turn', async () => {
    const { conn, peer } = await connectPeer(server);
    jar.add(conn);
    const errors: unknown[] = [];
    const onError = (error: unknown): void => void errors.push(error);
    process.on('uncaughtException', onError);
    try {
      conn[kSendNow]('never leaves');
      void conn[kTerminate]();
      const info = await conn.closed;
      expect(info.wasClean).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([]);
      await until(() => peer.closedWith !== undefined, 'the server to see the socket go');
      expect(peer.received).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});
