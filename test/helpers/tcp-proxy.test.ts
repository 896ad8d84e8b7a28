import { once } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import {
  expectNoNewHandles,
  freePort,
  nextMessage,
  openClient,
  snapshotHandles,
  trackTimers,
  startEchoServer,
  startScriptedServer,
  startTcpProxy,
  terminateClient,
  waitForClose,
  type HandleSnapshot,
  type TimerTracker,
  type TcpProxy,
  type TestWsServer,
} from './index.js';

async function roundTrip(ws: WebSocket, text: string): Promise<string | Buffer> {
  const reply = nextMessage(ws);
  ws.send(text);
  return reply;
}

/** Opens a raw TCP socket through the proxy and waits until the proxy has it as a tunnel. */
async function rawClient(proxy: TcpProxy): Promise<net.Socket> {
  const socket = net.connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('TcpProxy', () => {
  let before: HandleSnapshot;
  let timers: TimerTracker;
  let echo: TestWsServer;
  let serverSide: WebSocket[];
  let proxy: TcpProxy;

  beforeEach(async () => {
    before = snapshotHandles();
    timers = trackTimers();
    serverSide = [];
    echo = await startEchoServer({ onConnection: (ws) => serverSide.push(ws) });
    proxy = await startTcpProxy(echo.port);
  });

  afterEach(async () => {
    await proxy.close();
    await echo.close();
    try {
      await expectNoNewHandles(before, { timers });
    } finally {
      timers.stop();
    }
  });

  it('pass() forwards text and binary both ways and counts tunnels', async () => {
    expect(proxy.url()).toBe(`ws://127.0.0.1:${proxy.port}/`);
    const ws = await openClient(proxy.url('/echo'));
    expect(await roundTrip(ws, 'hello')).toBe('hello');
    const bin = nextMessage(ws);
    ws.send(Buffer.from([1, 2, 3]));
    expect(await bin).toEqual(Buffer.from([1, 2, 3]));
    expect(proxy.accepted).toBe(1);
    expect(proxy.active).toBe(1);

    ws.close(1000, 'bye');
    expect(await waitForClose(ws)).toEqual({ code: 1000, reason: 'bye' });
    await proxy.whenIdle();
    expect(proxy.active).toBe(0);
    expect(proxy.accepted).toBe(1);
  });

  it('blackhole() holds traffic both ways without closing anything; pass() releases it in order', async () => {
    const control = await startTcpProxy(echo.port);
    try {
      const held = await openClient(proxy.url());
      const live = await openClient(control.url());
      let pongs = 0;
      let messages = 0;
      let closed = false;
      held.on('pong', () => pongs++);
      held.on('message', () => messages++);
      held.on('close', () => (closed = true));

      proxy.blackhole();
      held.ping();
      held.send('held');
      await proxy.waitFor((p) => p.pendingBytes > 0);
      // The same traffic through a passing tunnel to the same server completes many times over.
      for (let i = 0; i < 20; i++) expect(await roundTrip(live, `m${i}`)).toBe(`m${i}`);
      const livePong = once(live, 'pong');
      live.ping();
      await livePong;

      expect(pongs).toBe(0);
      expect(messages).toBe(0);
      expect(closed).toBe(false);
      expect(held.readyState).toBe(WebSocket.OPEN);
      expect(proxy.active).toBe(1);
      expect(echo.connections).toBe(2);

      const pong = once(held, 'pong');
      const reply = nextMessage(held);
      proxy.pass();
      await pong;
      expect(await reply).toBe('held');
      await terminateClient(live);
    } finally {
      await control.close();
    }
  });

  it('blackhole() keeps a client close from reaching the server until pass()', async () => {
    const control = await startTcpProxy(echo.port);
    try {
      const client = await openClient(proxy.url());
      const live = await openClient(control.url());
      const [serverWs] = serverSide;
      let serverSawClose = false;
      serverWs!.on('close', () => (serverSawClose = true));

      proxy.blackhole();
      await terminateClient(client);
      for (let i = 0; i < 20; i++) await roundTrip(live, 'x');
      expect(serverSawClose).toBe(false);
      expect(echo.connections).toBe(2);

      const serverClose = waitForClose(serverWs!);
      proxy.pass();
      expect((await serverClose).code).toBe(1006);
      await proxy.whenIdle();
      await terminateClient(live);
    } finally {
      await control.close();
    }
  });

  it('latency(ms) delays each direction and preserves order across a latency change', async () => {
    const ms = 60;
    proxy.latency(ms);
    const ws = await openClient(proxy.url());
    const t0 = performance.now();
    expect(await roundTrip(ws, 'ping')).toBe('ping');
    // One delay upstream, one downstream.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * ms - 1);

    const received: string[] = [];
    const all = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        received.push(data.toString());
        if (received.length === 100) resolve();
      });
    });
    let sent = 0;
    for (let i = 0; i < 50; i++) {
      ws.send(String(i));
      sent += 6 + String(i).length; // a masked client frame: 2 header + 4 mask bytes + payload
    }
    // Once the proxy holds all of them, chunks it reads are due at once, yet must queue behind.
    await proxy.waitFor((p) => p.pendingBytes >= sent);
    proxy.latency(0);
    for (let i = 50; i < 100; i++) ws.send(String(i));
    await all;
    expect(received).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });

  it('keeps real time under vi.useFakeTimers()', async () => {
    const ws = await openClient(proxy.url());
    vi.useFakeTimers();
    try {
      proxy.latency(5);
      expect(await roundTrip(ws, 'still moving')).toBe('still moving');
    } finally {
      vi.useRealTimers();
    }
  });

  it('cutAll() resets every tunnel: 1006 on both WebSocket ends, ECONNRESET on a raw socket', async () => {
    const ws = await openClient(proxy.url());
    const raw = await rawClient(proxy);
    await proxy.waitFor((p) => p.active === 2);
    const rawError = once(raw, 'error');
    const clientClose = waitForClose(ws);
    const serverClose = waitForClose(serverSide[0]!);

    proxy.cutAll();
    expect((await clientClose).code).toBe(1006);
    expect((await serverClose).code).toBe(1006);
    const [err] = (await rawError) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNRESET');
    await proxy.whenIdle();
    // The listener still accepts after a cut.
    const again = await openClient(proxy.url());
    expect(await roundTrip(again, 'back')).toBe('back');
  });

  it('refuse() resets new connections only; refuse(false) lets them in again', async () => {
    const existing = await openClient(proxy.url());
    proxy.refuse();
    const err = await openClient(proxy.url()).then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.code === 'ECONNRESET' || /socket hang up/.test(err!.message)).toBe(true);
    expect(proxy.accepted).toBe(2);
    expect(echo.accepted).toBe(1);
    expect(await roundTrip(existing, 'alive')).toBe('alive');

    proxy.refuse(false);
    const fresh = await openClient(proxy.url());
    expect(await roundTrip(fresh, 'in')).toBe('in');
    expect(echo.accepted).toBe(2);
  });

  it('stall() accepts but never completes the upgrade; stall(false) forwards what was held', async () => {
    proxy.stall();
    const stalled = new WebSocket(proxy.url());
    let opened = false;
    stalled.on('open', () => (opened = true));
    await proxy.waitFor((p) => p.accepted === 1);
    // Direct handshakes to the same server complete meanwhile.
    for (let i = 0; i < 5; i++) await terminateClient(await openClient(echo.url));
    expect(opened).toBe(false);
    expect(stalled.readyState).toBe(WebSocket.CONNECTING);
    expect(echo.accepted).toBe(5);
    expect(proxy.active).toBe(1);

    const open = once(stalled, 'open');
    proxy.stall(false);
    await open;
    expect(await roundTrip(stalled, 'late')).toBe('late');
  });

  it('a stalled client that gives up is dropped without reaching the server', async () => {
    proxy.stall();
    const stalled = new WebSocket(proxy.url());
    stalled.on('error', () => {});
    await proxy.waitFor((p) => p.active === 1);
    await terminateClient(stalled);
    await proxy.whenIdle();
    proxy.stall(false);
    expect(echo.accepted).toBe(0);
  });

  it('idleTimeout(ms) closes an idle tunnel with FIN but not a busy one', async () => {
    proxy.idleTimeout(300);
    const idle = await openClient(proxy.url());
    const busy = await openClient(proxy.url());
    const raw = await rawClient(proxy);
    let rawErrors = 0;
    raw.on('error', () => rawErrors++);
    raw.resume();
    const rawEnd = once(raw, 'end');
    const idleClose = waitForClose(idle);

    let stop = false;
    let trips = 0;
    const busyClosed = waitForClose(busy);
    const traffic = (async () => {
      // Back-to-back round trips: the busy tunnel is never quiet for more than a moment.
      while (!stop && busy.readyState === WebSocket.OPEN) {
        await Promise.race([roundTrip(busy, 'tick'), busyClosed]);
        trips++;
      }
    })();
    const { code } = await idleClose;
    await rawEnd; // a FIN, not a reset
    stop = true;
    await traffic;

    expect(code).toBe(1006);
    expect(rawErrors).toBe(0);
    expect(trips).toBeGreaterThan(0);
    expect(busy.readyState).toBe(WebSocket.OPEN);
    expect(await roundTrip(busy, 'alive')).toBe('alive');
    raw.destroy();
    proxy.idleTimeout(0);
  });

  it('setTarget(port) sends new tunnels to another backend; live ones stay', async () => {
    const a = await startScriptedServer((ws) => ws.send('A'));
    const b = await startScriptedServer((ws) => ws.send('B'));
    const p = await startTcpProxy(a.port);
    try {
      const first = new WebSocket(p.url());
      const greetA = nextMessage(first);
      expect(await greetA).toBe('A');
      p.setTarget(b.port);
      expect(p.target).toEqual({ host: '127.0.0.1', port: b.port });
      const second = new WebSocket(p.url());
      expect(await nextMessage(second)).toBe('B');
      expect(a.connections).toBe(1);
      expect(b.connections).toBe(1);

      // A target with nothing listening: the proxy resets the client, whose dial fails.
      p.setTarget(await freePort());
      await expect(openClient(p.url())).rejects.toThrow(/ECONNRESET|socket hang up/);
    } finally {
      await p.close();
      await a.close();
      await b.close();
    }
  });

  it('close() leaves no timer even with delayed chunks queued, and rejects unmet waiters', async () => {
    const ws = await openClient(proxy.url());
    ws.on('error', () => {});
    proxy.latency(60_000);
    ws.send('never delivered');
    await proxy.waitFor((p) => p.pendingBytes > 0);
    // The delay is an owned timer: the tracker sees it until close() clears it.
    expect(timers.pending().filter((site) => site.includes('tcp-tunnel.ts'))).toHaveLength(1);
    const never = proxy.waitFor((p) => p.accepted > 100);
    const closed = waitForClose(ws);
    await proxy.close();
    await expect(never).rejects.toThrow(/closed/);
    await expect(proxy.waitFor((p) => p.accepted > 100)).rejects.toThrow(/closed/);
    await proxy.whenIdle();
    expect((await closed).code).toBe(1006);
    expect(proxy.active).toBe(0);
    // afterEach asserts no timer or socket is left.
  });
});
