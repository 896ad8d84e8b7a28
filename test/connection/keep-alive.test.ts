// Keepalive of a standalone Connection (keepAliveInterval + pingTimeout) against real `ws` peers:
// a quiet connection is pinged, a peer that stops answering is cut so a waiting `for await` ends
// with a typed error, and a connection that hears traffic is never pinged. Time runs on the fake
// clock (the library's seam only); sockets stay real.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WsPoolError, connect } from '../../src/index.js';
import { startTcpProxy, type TcpProxy } from '../helpers/index.js';
import {
  ConnectionJar,
  connectPeer,
  startPeerServer,
  track,
  turns,
  until,
  useFakeClock,
  useSuiteServer,
  within,
  type Peer,
} from './support.js';

const jar = new ConnectionJar();
// Pongs are answered by hand so a test can make the peer go silent (`answering = false`).
let answering = true;
const server = useSuiteServer(
  () =>
    startPeerServer({
      autoPong: false,
      onPeer: (peer) =>
        peer.ws.on('ping', (data: Buffer) => {
          if (answering && peer.ws.readyState === peer.ws.OPEN) peer.ws.pong(data);
        }),
    }),
  jar,
);
afterEach(() => {
  answering = true;
});

/** Pings the peer has received so far. */
function countPings(peer: Peer): () => number {
  let n = 0;
  peer.ws.on('ping', () => n++);
  return () => n;
}

/** Advance the fake clock by `ms` in steps, letting real I/O (pings, pongs) land in between. */
async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
    await turns(3);
  }
}

describe('keepalive of a standalone connection', () => {
  it('pings a quiet connection after keepAliveInterval, and again an interval after each pong', async () => {
    useFakeClock();
    const { conn, peer } = await connectPeer(server, { keepAliveInterval: 1_000, pingTimeout: 500 });
    jar.add(conn);
    const pings = countPings(peer);
    await advance(900);
    expect(pings()).toBe(0);
    await advance(200);
    await until(() => pings() === 1, 'the first keepalive ping');
    await advance(1_000);
    await until(() => pings() === 2, 'the second keepalive ping');
    expect(conn.isOpen).toBe(true);
  });

  it('ends a waiting for-await with CONNECTION_CLOSED caused by PING_TIMEOUT when the peer stops answering', async () => {
    useFakeClock();
    const { conn, peer } = await connectPeer(server, { keepAliveInterval: 1_000, pingTimeout: 500 });
    jar.add(conn);
    const pings = countPings(peer);
    answering = false;
    const received: unknown[] = [];
    const loop = track(
      (async () => {
        for await (const message of conn) received.push(message);
      })(),
    );
    peer.ws.send('before');
    await until(() => received.length === 1, 'the message sent before the silence');
    await advance(1_000);
    await until(() => pings() === 1, 'the keepalive ping');
    expect(loop.status).toBe('pending');
    await advance(500);
    await until(() => loop.status === 'rejected', 'the for-await to end');
    const error = loop.error as WsPoolError;
    expect(error).toBeInstanceOf(WsPoolError);
    expect(error.code).toBe('WSPOOL_ERR_CONNECTION_CLOSED');
    expect(error.closeCode).toBe(1006);
    expect(error.cause).toBeInstanceOf(WsPoolError);
    expect((error.cause as WsPoolError).code).toBe('WSPOOL_ERR_PING_TIMEOUT');
    expect((error.cause as WsPoolError).message).toMatch(/half-open/);
    expect(received).toEqual(['before']);
    // Later reads reject the same way.
    const later = await conn.read().catch((e: unknown) => e);
    expect((later as WsPoolError).cause).toMatchObject({ code: 'WSPOOL_ERR_PING_TIMEOUT' });
    expect((await conn.closed).wasClean).toBe(false);
  });

  it('never pings a connection that keeps receiving, and a message arriving after the ping saves it', async () => {
    useFakeClock();
    const { conn, peer } = await connectPeer(server, { keepAliveInterval: 1_000, pingTimeout: 500 });
    jar.add(conn);
    const pings = countPings(peer);
    answering = false;
    for (let i = 0; i < 10; i++) {
      peer.ws.send(`tick ${i}`);
      await until(() => conn.pendingMessages === i + 1, 'the tick');
      await advance(500);
    }
    expect(pings()).toBe(0); // 5 s of traffic at 500 ms intervals: never quiet for 1 s
    // Quiet now (500 ms of it have passed): pinged; the pong never comes, but a message does
    // before the deadline.
    await advance(500);
    await until(() => pings() === 1, 'the keepalive ping');
    peer.ws.send('still here');
    await until(() => conn.pendingMessages === 11, 'the message after the ping');
    await advance(500);
    expect(conn.isOpen).toBe(true);
  });

  it('counts a ping from the peer as traffic', async () => {
    useFakeClock();
    const { conn, peer } = await connectPeer(server, { keepAliveInterval: 1_000, pingTimeout: 500 });
    jar.add(conn);
    const pings = countPings(peer);
    let pongs = 0;
    peer.ws.on('pong', () => pongs++);
    for (let i = 0; i < 6; i++) {
      peer.ws.ping();
      await until(() => pongs === i + 1, 'the pong to the peer');
      await advance(500);
    }
    expect(pings()).toBe(0);
  });

  it('never pings with keepAliveInterval: Infinity (and arms no timer)', async () => {
    useFakeClock();
    const { conn, peer } = await connectPeer(server, { keepAliveInterval: Infinity });
    jar.add(conn);
    const pings = countPings(peer);
    await advance(60_000, 5_000);
    expect(pings()).toBe(0);
    expect(vi.getTimerCount()).toBe(0); // no keepalive timer at all
    await conn.ping();
    expect(pings()).toBe(1);
  });

  it('clears its timer when the connection closes', async () => {
    useFakeClock();
    const { conn } = await connectPeer(server, { keepAliveInterval: 1_000 });
    expect(vi.getTimerCount()).toBe(1);
    await conn.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cuts a connection behind a black-holed network path (no FIN, no RST)', async () => {
    useFakeClock();
    let proxy: TcpProxy | undefined;
    try {
      proxy = await startTcpProxy(server.server.port);
      const peerReady = server.nextPeer();
      const conn = jar.add(
        await connect(`ws://127.0.0.1:${proxy.port}`, { keepAliveInterval: 2_000, pingTimeout: 1_000 }),
      );
      await peerReady;
      const read = track(conn.read());
      proxy.blackhole();
      await advance(3_000);
      await until(() => read.status === 'rejected', 'the read to reject');
      expect(read.error).toMatchObject({
        code: 'WSPOOL_ERR_CONNECTION_CLOSED',
        cause: { code: 'WSPOOL_ERR_PING_TIMEOUT' },
      });
    } finally {
      if (proxy !== undefined) {
        // The held reset reaches the server once the path heals; closing in the same turn as
        // pass() can leave the proxy waiting on a socket it is still resetting.
        proxy.pass();
        await within(proxy.whenIdle(), 5_000, 'the tunnel to close');
        await within(proxy.close(), 5_000, 'the proxy to close');
      }
    }
  });

  it('uses pingTimeout as the default timeout of ping()', async () => {
    useFakeClock();
    const { conn } = await connectPeer(server, { keepAliveInterval: Infinity, pingTimeout: 300 });
    jar.add(conn);
    answering = false;
    const ping = track(conn.ping());
    await advance(300);
    await until(() => ping.status === 'rejected', 'the ping to time out');
    expect(ping.error).toMatchObject({ code: 'WSPOOL_ERR_PING_TIMEOUT' });
  });

  it('rejects a keepAliveInterval or pingTimeout out of range', async () => {
    for (const keepAliveInterval of [0, -1, Number.NaN, '30s']) {
      await expect(
        connect(server.url, { keepAliveInterval } as unknown as { keepAliveInterval: number }),
      ).rejects.toMatchObject({ code: 'WSPOOL_ERR_INVALID_CONFIG', message: /keepAliveInterval/ });
    }
    await expect(connect(server.url, { pingTimeout: 0 })).rejects.toMatchObject({
      code: 'WSPOOL_ERR_INVALID_CONFIG',
      message: /pingTimeout/,
    });
  });
});
