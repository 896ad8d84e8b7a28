// Liveness and shutdown of a Connection against real `ws` servers: ping round trips and timeouts,
// maxPayload, and close() (handshake, idempotence, closeTimeout, validation, `await using`).
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WsPoolError, type Connection } from '../../src/index.js';
import {
  ConnectionJar,
  connectPeer,
  rawSocket,
  settlesWithin,
  startPeerServer,
  track,
  turn,
  until,
  useFakeClock,
  within,
  wsErrorOf,
  type PeerServer,
} from './support.js';

let server: PeerServer;
let silent: PeerServer; // never answers pings
const jar = new ConnectionJar();

beforeAll(async () => {
  server = await startPeerServer();
  silent = await startPeerServer({ autoPong: false });
});
afterEach(async () => {
  vi.useRealTimers();
  await jar.closeAll();
});
afterAll(() => Promise.all([server.close(), silent.close()]));

async function open(target: PeerServer = server, options: Parameters<typeof connectPeer>[1] = {}) {
  const pair = await connectPeer(target, options);
  jar.add(pair.conn);
  return pair;
}

describe('ping', () => {
  it('resolves with the round trip in ms', async () => {
    const { conn } = await open();
    const rtt = await conn.ping();
    expect(typeof rtt).toBe('number');
    expect(Number.isFinite(rtt)).toBe(true);
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(5_000);
  });

  it('matches concurrent pings to their own pongs', async () => {
    const { conn } = await open();
    const rtts = await Promise.all(Array.from({ length: 10 }, () => conn.ping({ timeout: 5_000 })));
    expect(rtts).toHaveLength(10);
    for (const rtt of rtts) expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('rejects PING_TIMEOUT after the default 5 s when the peer never pongs, and leaves no timer', async () => {
    const { conn } = await open(silent);
    useFakeClock();
    const pinging = track(conn.ping());
    await vi.advanceTimersByTimeAsync(4_999);
    expect(pinging.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(pinging.status).toBe('rejected');
    expect(pinging.error).toBeInstanceOf(WsPoolError);
    expect(pinging.error).toMatchObject({ code: 'WSPOOL_ERR_PING_TIMEOUT' });
    expect(vi.getTimerCount()).toBe(0);
    expect(conn.isOpen).toBe(true); // a ping timeout reports; discarding the connection is the caller's call
  });

  it('honours a custom timeout', async () => {
    const { conn } = await open(silent);
    useFakeClock();
    const pinging = track(conn.ping({ timeout: 250 }));
    await vi.advanceTimersByTimeAsync(249);
    expect(pinging.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(pinging.error).toMatchObject({ code: 'WSPOOL_ERR_PING_TIMEOUT' });
  });

  it('does not time out at once when the timeout exceeds the 2^31-1 ms timer limit', async () => {
    const { conn } = await open(silent);
    const pinging = track(conn.ping({ timeout: 2 ** 31 }));
    expect(await settlesWithin(pinging, 30)).toBe(false);
    await conn.close();
    expect(pinging.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECTION_CLOSED' });
  });

  it('rejects with signal.reason on abort, before or during the wait', async () => {
    const { conn } = await open(silent);
    const reason = new Error('no longer needed');
    await expect(conn.ping({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const controller = new AbortController();
    const pinging = conn.ping({ signal: controller.signal });
    controller.abort(reason);
    await expect(pinging).rejects.toBe(reason);
  });

  it('rejects a pending ping with CONNECTION_CLOSED when the connection closes', async () => {
    const { conn, peer } = await open(silent);
    const pinging = conn.ping({ timeout: 60_000 });
    peer.ws.close(4003, 'maintenance');
    const error = await wsErrorOf(pinging, 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(error.closeCode).toBe(4003);
  });

  it('rejects on a closed connection', async () => {
    const { conn } = await open();
    await conn.close();
    const error = await wsErrorOf(conn.ping(), 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(error.closeCode).toBe(1000);
  });
});

describe('maxPayload', () => {
  it('closes the socket with 1009 on a larger message; earlier messages stay readable, then reads reject', async () => {
    const { conn, peer } = await open(server, { maxPayload: 1_000 });
    peer.ws.send('small');
    peer.ws.send('x'.repeat(1_000)); // exactly the limit: accepted
    peer.ws.send('y'.repeat(1_001));
    const info = await within(conn.closed, 5_000, 'the close after an oversized message');
    expect(info.wasClean).toBe(false);
    await until(() => peer.closedWith !== undefined, 'the server to see the close');
    expect(peer.closedWith?.code).toBe(1009);

    expect(await conn.read()).toBe('small');
    expect(await conn.read()).toHaveLength(1_000);
    const error = await wsErrorOf(conn.read(), 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect((error.cause as { code?: string }).code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  });

  it('rejects a read already waiting when the oversized message arrives', async () => {
    const { conn, peer } = await open(server, { maxPayload: 64 });
    const waiting = conn.readBinary();
    peer.ws.send(Buffer.alloc(65));
    await wsErrorOf(waiting, 'WSPOOL_ERR_CONNECTION_CLOSED');
    expect(conn.isOpen).toBe(false);
  });
});

describe('close()', () => {
  it('closes with the given code and reason, seen by the server; a second call has the same outcome', async () => {
    const { conn, peer } = await open();
    const first = conn.close(4001, 'done for today');
    const second = conn.close(4999, 'ignored: already closing');
    expect(conn.isOpen).toBe(false);
    await Promise.all([first, second]);
    expect(await conn.closed).toEqual({ code: 4001, reason: 'done for today', wasClean: true });
    await until(() => peer.closedWith !== undefined, 'the server to see the close');
    expect(peer.closedWith).toEqual({ code: 4001, reason: 'done for today' });
    await conn.close(); // and a third, after the fact
    expect(await conn.closed).toEqual({ code: 4001, reason: 'done for today', wasClean: true });
  });

  it('defaults to 1000 and an empty reason; afterwards isOpen is false and every operation rejects', async () => {
    const { conn, peer } = await open();
    const waiting = conn.read();
    await conn.close();
    expect(conn.isOpen).toBe(false);
    expect(await conn.closed).toEqual({ code: 1000, reason: '', wasClean: true });
    await until(() => peer.closedWith !== undefined, 'the server to see the close');
    expect(peer.closedWith).toEqual({ code: 1000, reason: '' });
    for (const op of [
      waiting,
      conn.read(),
      conn.readMessage(),
      conn.readJSON(),
      conn.ping(),
      conn.send('x'),
    ]) {
      const error = await wsErrorOf(op, 'WSPOOL_ERR_CONNECTION_CLOSED');
      expect(error.closeCode).toBe(1000);
    }
  });

  it('resolves at once with the peer’s close when the peer closed first', async () => {
    const { conn, peer } = await open();
    peer.ws.close(4005, 'server shutdown');
    await conn.closed;
    await conn.close(4001, 'too late');
    expect(await conn.closed).toEqual({ code: 4005, reason: 'server shutdown', wasClean: true });
  });

  it.each([
    [999, 'code'],
    [1001, 'code'],
    [1005, 'code'],
    [1006, 'code'],
    [2999, 'code'],
    [5000, 'code'],
    [3000.5, 'code'],
  ])(
    'rejects close code %s with INVALID_CONFIG naming `%s`, leaving the connection open',
    async (code, field) => {
      const { conn } = await open();
      const error = await wsErrorOf(conn.close(code), 'WSPOOL_ERR_INVALID_CONFIG');
      expect(error.message).toContain(`\`${field}\``);
      expect(conn.isOpen).toBe(true);
      await conn.sendMessage('still works');
    },
  );

  it('rejects a reason over 123 bytes with INVALID_CONFIG naming `reason`', async () => {
    const { conn } = await open();
    const error = await wsErrorOf(conn.close(4000, 'é'.repeat(62)), 'WSPOOL_ERR_INVALID_CONFIG'); // 124 bytes
    expect(error.message).toContain('`reason`');
    expect(conn.isOpen).toBe(true);
    await conn.close(4000, 'é'.repeat(61)); // 122 bytes: fine
    expect((await conn.closed).reason).toBe('é'.repeat(61));
  });

  it('terminates after closeTimeout (default 5 s) when the peer never answers the close frame', async () => {
    const { conn, peer } = await open();
    rawSocket(peer.ws).pause(); // the peer stops reading: our close frame is never answered
    useFakeClock();
    const closing = track(conn.close(4001, 'bye'));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(closing.status).toBe('pending');
    expect(conn.isOpen).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const info = await within(conn.closed, 5_000, 'the close after closeTimeout');
    expect(info).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(await settlesWithin(closing, 5_000)).toBe(true);
    expect(closing.status).toBe('fulfilled');
    expect(vi.getTimerCount()).toBe(0); // wspool's and ws's close timers are both gone
  });

  it('honours a custom closeTimeout', async () => {
    const { conn, peer } = await open(server, { closeTimeout: 150 });
    rawSocket(peer.ws).pause();
    useFakeClock();
    const closing = track(conn.close());
    await vi.advanceTimersByTimeAsync(149);
    expect(closing.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect((await within(conn.closed, 5_000, 'the close')).wasClean).toBe(false);
  });

  it('does not terminate at once when closeTimeout exceeds the 2^31-1 ms timer limit', async () => {
    const { conn, peer } = await open(server, { closeTimeout: 2 ** 31 });
    rawSocket(peer.ws).pause();
    const closed = track(conn.closed);
    const closing = conn.close();
    expect(await settlesWithin(closed, 30)).toBe(false);
    rawSocket(peer.ws).resume(); // the peer reads the close frame and answers it
    await closing;
    expect(await conn.closed).toEqual({ code: 1000, reason: '', wasClean: true });
  });

  it('completes the handshake at once when a full inbox had paused the socket, keeping the backlog readable', async () => {
    const COUNT = 300;
    const { conn, peer } = await open(server, { maxBufferedMessages: 8 });
    for (let i = 0; i < COUNT; i++) peer.ws.send(`${i}:${'z'.repeat(8_192)}`);
    // At 8 unread messages the inbox pauses the socket; the rest (and later the peer's close frame)
    // waits in the kernel buffers behind them.
    await until(() => conn.pendingMessages >= 8, 'the socket to pause on a full inbox');
    for (let t = 0; t < 10; t++) await turn();
    expect(conn.pendingMessages).toBeLessThan(COUNT);
    useFakeClock(); // no closeTimeout can fire: the handshake alone must end the close
    await within(conn.close(4002, 'enough'), 5_000, 'close() on a paused socket');
    expect(await conn.closed).toEqual({ code: 4002, reason: 'enough', wasClean: true });
    const got: number[] = [];
    for (;;) {
      try {
        got.push(Number((await conn.readMessage()).split(':')[0]));
      } catch (error) {
        expect(error).toMatchObject({ code: 'WSPOOL_ERR_CONNECTION_CLOSED', closeCode: 4002 });
        break;
      }
    }
    expect(got).toEqual(Array.from({ length: COUNT }, (_, i) => i));
  });

  it('does not pause on a full inbox once closing, so messages still in flight cannot stall the handshake', async () => {
    const COUNT = 300;
    const { conn, peer } = await open(server, { maxBufferedMessages: 8 });
    for (let i = 0; i < COUNT; i++) peer.ws.send(`${i}:${'w'.repeat(8_192)}`);
    useFakeClock();
    // Same tick: none of the 300 messages has been read yet; they fill the inbox during the close.
    await within(conn.close(), 5_000, 'close() with messages in flight');
    expect(await conn.closed).toEqual({ code: 1000, reason: '', wasClean: true });
    expect(conn.pendingMessages).toBe(COUNT);
  });

  it('`await using` closes the connection at the end of the scope', async () => {
    let kept: Connection | undefined;
    let peerClosed: () => boolean = () => false;
    {
      await using conn = (await connectPeer(server)).conn;
      const peer = server.peers[server.peers.length - 1];
      peerClosed = () => peer?.closedWith !== undefined;
      kept = conn;
      await conn.sendMessage('inside');
      expect(conn.isOpen).toBe(true);
    }
    expect(kept.isOpen).toBe(false);
    expect(await kept.closed).toEqual({ code: 1000, reason: '', wasClean: true });
    await until(peerClosed, 'the server to see the close');
    await wsErrorOf(kept.read(), 'WSPOOL_ERR_CONNECTION_CLOSED');
  });

  it('a peer that drops without a close frame gives 1006, wasClean false, and close() still resolves', async () => {
    const { conn, peer } = await open();
    peer.ws.terminate();
    expect(await conn.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    await conn.close();
    expect(conn.isOpen).toBe(false);
    expect(await conn.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });
});
