import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { type ClientOptions } from 'ws';
import {
  expectNoNewHandles,
  freePort,
  loadTlsFixture,
  nextMessage,
  openClient,
  snapshotHandles,
  trackTimers,
  startEchoServer,
  startHttpStatusServer,
  startRestartableEchoServer,
  startScriptedServer,
  startSilentTcpServer,
  startTlsEchoServer,
  terminateClient,
  waitForClose,
  type HandleSnapshot,
  type TimerTracker,
} from './index.js';

async function roundTrip(ws: WebSocket, data: string | Buffer): Promise<string | Buffer> {
  const reply = nextMessage(ws);
  ws.send(data);
  return reply;
}

function failure(p: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as NodeJS.ErrnoException,
  );
}

/** Closes whatever a test registered, in reverse order, even when the test failed. */
let cleanups: (() => Promise<void>)[] = [];
function defer<T extends { close(): Promise<void> }>(resource: T): T {
  cleanups.push(() => resource.close());
  return resource;
}

let before: HandleSnapshot;
let timers: TimerTracker;
beforeEach(() => {
  before = snapshotHandles();
  timers = trackTimers();
  cleanups = [];
});
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  try {
    await expectNoNewHandles(before, { timers });
  } finally {
    timers.stop();
  }
});

describe('startEchoServer', () => {
  it('echoes text as text and binary as binary, and counts connections', async () => {
    const server = defer(await startEchoServer());
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);
    const ws = await openClient(server.url);
    const text = new Promise<[Buffer, boolean]>((resolve) =>
      ws.once('message', (d: Buffer, isBinary) => resolve([d, isBinary])),
    );
    ws.send('héllo');
    const [tData, tBinary] = await text;
    expect(tBinary).toBe(false);
    expect(tData.toString()).toBe('héllo');

    const bin = new Promise<[Buffer, boolean]>((resolve) =>
      ws.once('message', (d: Buffer, isBinary) => resolve([d, isBinary])),
    );
    ws.send(Buffer.from([0, 255, 7]));
    const [bData, bBinary] = await bin;
    expect(bBinary).toBe(true);
    expect(bData).toEqual(Buffer.from([0, 255, 7]));
    expect(server.connections).toBe(1);
    expect(server.accepted).toBe(1);
    // perMessageDeflate is off unless asked for (the ws client offers it by default).
    expect(ws.extensions).toBe('');

    const [serverWs] = server.wss.clients;
    const serverClosed = waitForClose(serverWs!);
    ws.close();
    await serverClosed;
    expect(server.connections).toBe(0);
  });

  it('autoPong: false never answers a ping, while echoes still flow', async () => {
    const silent = defer(await startEchoServer({ autoPong: false }));
    const ws = await openClient(silent.url);
    let pongs = 0;
    ws.on('pong', () => pongs++);
    ws.ping();
    for (let i = 0; i < 20; i++) expect(await roundTrip(ws, `m${i}`)).toBe(`m${i}`);
    expect(pongs).toBe(0);

    const normal = defer(await startEchoServer());
    const ws2 = await openClient(normal.url);
    const pong = once(ws2, 'pong');
    ws2.ping();
    await pong;
  });

  it('passes onConnection, verifyClient, handleProtocols, perMessageDeflate and maxPayload through', async () => {
    const seen: string[] = [];
    const server = defer(
      await startEchoServer({
        onConnection: (_ws, req: IncomingMessage) => seen.push(req.url ?? ''),
        verifyClient: (info, cb) => {
          if (info.req.url === '/deny') cb(false, 403, 'Forbidden');
          else cb(true);
        },
        handleProtocols: (offered) => (offered.has('b') ? 'b' : false),
        perMessageDeflate: true,
        maxPayload: 16,
      }),
    );

    const ws = await openClient(`${server.url}/path?q=1`);
    expect(ws.protocol).toBe('');
    expect(seen).toEqual(['/path?q=1']);
    expect(ws.extensions).toContain('permessage-deflate');

    const picked = new WebSocket(server.url, ['a', 'b']);
    await once(picked, 'open');
    expect(picked.protocol).toBe('b');

    const denied = await failure(openClient(`${server.url}/deny`));
    expect(denied.message).toBe('Unexpected server response: 403');

    const closed = waitForClose(ws);
    ws.send('x'.repeat(17));
    expect((await closed).code).toBe(1009);
  });

  it('close() terminates clients (1006) and is idempotent', async () => {
    const server = await startEchoServer();
    const ws = await openClient(server.url);
    const closed = waitForClose(ws);
    await Promise.all([server.close(), server.close()]);
    expect((await closed).code).toBe(1006);
    await failure(openClient(server.url)).then((e) => expect(e.code).toBe('ECONNREFUSED'));
  });
});

describe('startRestartableEchoServer', () => {
  it('stops (clients see 1006, dials are refused) and starts again on the same port', async () => {
    const server = defer(await startRestartableEchoServer());
    const port = server.port;
    const ws = await openClient(server.url);
    expect(server.running).toBe(true);

    const closed = waitForClose(ws);
    await server.stop();
    expect((await closed).code).toBe(1006);
    expect(server.running).toBe(false);
    expect(server.connections).toBe(0);
    expect((await failure(openClient(server.url))).code).toBe('ECONNREFUSED');

    await server.start();
    expect(server.port).toBe(port);
    const again = await openClient(`ws://127.0.0.1:${port}`);
    expect(await roundTrip(again, 'back')).toBe('back');
    expect(server.connections).toBe(1);
    expect(server.accepted).toBe(2);
  });
});

describe('startSilentTcpServer', () => {
  it('accepts TCP but never answers the upgrade', async () => {
    const server = defer(await startSilentTcpServer());
    const accepted = once(server.server, 'connection');
    const ws = new WebSocket(server.url, { handshakeTimeout: 50 });
    let opened = false;
    ws.on('open', () => (opened = true));
    const [[err]] = (await Promise.all([once(ws, 'error'), accepted])) as [[Error], unknown];
    expect(err.message).toBe('Opening handshake has timed out');
    expect(opened).toBe(false);
    expect(server.accepted).toBe(1);
  });
});

describe('startHttpStatusServer', () => {
  it('answers an upgrade with the status: unexpected-response with a listener, an error without', async () => {
    const server = defer(await startHttpStatusServer(401, { 'www-authenticate': 'Bearer' }));
    const ws = new WebSocket(server.url);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    res.resume();
    await once(res, 'end');

    const plain = new WebSocket(server.url);
    const closed = waitForClose(plain); // emitted right after 'error', in the same tick
    const [err] = (await once(plain, 'error')) as [Error];
    expect(err.message).toBe('Unexpected server response: 401');
    expect((await closed).code).toBe(1006);
    expect(server.requests).toBe(2);
  });
});

describe('startTlsEchoServer', () => {
  it('serves wss:// with the fixture certificate, trusted through `ca`', async () => {
    const server = defer(await startTlsEchoServer());
    expect(server.url).toBe(`wss://127.0.0.1:${server.port}`);
    expect(server.ca).toEqual(loadTlsFixture().cert);

    const byIp = await openClient(server.url, { ca: server.ca });
    expect(await roundTrip(byIp, 'secure')).toBe('secure');
    // ws hands these options to tls.connect; @types/ws does not list `servername`.
    const named: ClientOptions & { servername: string } = { ca: server.ca, servername: 'localhost' };
    const byName = await openClient(server.url, named);
    expect(await roundTrip(byName, 'named')).toBe('named');

    const untrusted = await failure(openClient(server.url));
    expect(untrusted.code).toMatch(/SELF_SIGNED/);
    const otherName: typeof named = { ...named, servername: 'example.com' };
    const wrongName = await failure(openClient(server.url, otherName));
    expect(wrongName.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});

describe('startScriptedServer', () => {
  it('runs the given handler: three messages, then close 4000', async () => {
    const server = defer(
      await startScriptedServer((ws) => {
        for (const m of ['one', 'two', 'three']) ws.send(m);
        ws.close(4000, 'scripted');
      }),
    );
    const ws = new WebSocket(server.url);
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    expect(await waitForClose(ws)).toEqual({ code: 4000, reason: 'scripted' });
    expect(got).toEqual(['one', 'two', 'three']);
  });

  it('takes ws options: a never-pong server', async () => {
    const server = defer(await startScriptedServer(() => {}, { autoPong: false }));
    const ws = await openClient(server.url);
    let pongs = 0;
    ws.on('pong', () => pongs++);
    ws.ping();
    // The close handshake is a round trip behind the ping: by its end a pong would have come.
    ws.close();
    await waitForClose(ws);
    expect(pongs).toBe(0);
  });
});

describe('freePort', () => {
  it('returns a port where a dial is refused', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const socket = net.connect(port, '127.0.0.1');
    const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('terminateClient', () => {
  it('closes a client fully', async () => {
    const server = defer(await startEchoServer());
    const ws = await openClient(server.url);
    await terminateClient(ws);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });
});
