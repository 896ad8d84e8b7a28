// Resource hygiene: once connections and servers are closed, nothing the library created is left
// (sockets, servers, DNS requests, ref'ed timers), and under fake timers not even an unref'ed timer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../../src/index.js';
import {
  expectNoNewHandles,
  freePort,
  snapshotHandles,
  startHttpStatusServer,
  startSilentTcpServer,
  startTlsEchoServer,
} from '../helpers/index.js';
import {
  connectPeer,
  rawSocket,
  rejectionOf,
  startPeerServer,
  track,
  until,
  useFakeClock,
  within,
} from './support.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('no leftover resources', () => {
  it('after a mix of successful, failed, timed-out, aborted and force-closed connections', async () => {
    const before = snapshotHandles();

    const peers = await startPeerServer({ autoPong: true });
    const http401 = await startHttpStatusServer(401);
    const silent = await startSilentTcpServer();
    const tls = await startTlsEchoServer();
    const deadPort = await freePort();

    // Open, use, close.
    const a = await connectPeer(peers);
    await a.conn.sendMessage('hi');
    a.peer.ws.send('back');
    expect(await a.conn.read({ timeout: 5_000 })).toBe('back');
    await a.conn.ping();
    await a.conn.close();

    // Peer closes with reads, pings and a timed read pending.
    const b = await connectPeer(peers);
    const pending = [b.conn.read(), b.conn.read({ timeout: 60_000 }), b.conn.ping({ timeout: 60_000 })];
    b.peer.ws.close(4000, 'bye');
    for (const p of pending) await rejectionOf(p);

    // A read that times out (tiny real timeout: only the outcome matters here).
    const c = await connectPeer(peers);
    await rejectionOf(c.conn.read({ timeout: 5 }));
    await c.conn.close();

    // closeTimeout terminates a peer that never answers the close frame.
    const d = await connectPeer(peers, { closeTimeout: 20 });
    rawSocket(d.peer.ws).pause();
    await d.conn.close();
    expect((await d.conn.closed).wasClean).toBe(false);

    // Oversized message: ws fails the connection.
    const e = await connectPeer(peers, { maxPayload: 8 });
    e.peer.ws.send('more than eight bytes');
    await e.conn.closed;

    // Failed dials of every kind.
    await rejectionOf(connect(http401.url));
    await rejectionOf(connect(`ws://127.0.0.1:${deadPort}`));
    await rejectionOf(connect(silent.url, { connectTimeout: 20 }));
    await rejectionOf(connect(tls.url));
    const controller = new AbortController();
    const aborted = track(connect(silent.url, { signal: controller.signal }));
    await until(() => silent.connections > 0, 'the silent server to accept');
    controller.abort();
    await until(() => aborted.status === 'rejected', 'the aborted dial');

    // TLS success.
    const f = await connect(tls.url, { tls: { ca: tls.ca } });
    await f.close();

    await Promise.all([peers.close(), http401.close(), silent.close(), tls.close()]);
    await expectNoNewHandles(before);
  });

  it('under fake timers: every timer the library armed is cleared once things settle', async () => {
    const peers = await startPeerServer({ autoPong: false });
    const silent = await startSilentTcpServer();
    useFakeClock();
    const before = snapshotHandles();

    // connectTimeout timer cleared on success; the keepalive timer is armed while the connection is open.
    const a = await connectPeer(peers, { connectTimeout: 60_000 });
    expect(vi.getTimerCount()).toBe(1);
    // The connection's read-deadline timer stays armed after the read (it is shared by every read,
    // not cleared per message); it and the ping timer are cleared on close.
    const reading = a.conn.read({ timeout: 60_000 });
    a.peer.ws.send('x');
    expect(await reading).toBe('x');
    const pinging = track(a.conn.ping({ timeout: 60_000 }));
    expect(vi.getTimerCount()).toBe(3);
    // close(): wspool's closeTimeout timer and ws's own close timer, both cleared by the handshake.
    await within(a.conn.close(), 5_000, 'close()');
    expect(pinging.status).toBe('rejected');

    // connectTimeout timer cleared when the dial fails by timeout and by abort.
    const timing = track(connect(silent.url, { connectTimeout: 1_000 }));
    await until(() => silent.connections > 0, 'the silent server to accept');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(timing.error).toMatchObject({ code: 'WSPOOL_ERR_CONNECT_TIMEOUT' });
    const controller = new AbortController();
    const aborted = track(connect(silent.url, { signal: controller.signal }));
    controller.abort();
    await until(() => aborted.status === 'rejected', 'the aborted dial');

    expect(vi.getTimerCount()).toBe(0);
    await expectNoNewHandles(before);
    vi.useRealTimers();
    await Promise.all([peers.close(), silent.close()]);
  });
});
