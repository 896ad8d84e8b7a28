import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import WebSocket, { WebSocketServer, type ServerOptions } from 'ws';

/** Options passed through to `ws`'s `WebSocketServer`. */
export interface WsServerOptions {
  /** Answer pings automatically. `false` makes a server that never pongs (ws ≥ 8.16). @default true */
  autoPong?: boolean;
  verifyClient?: ServerOptions['verifyClient'];
  handleProtocols?: ServerOptions['handleProtocols'];
  /** @default false */
  perMessageDeflate?: ServerOptions['perMessageDeflate'];
  /** @default 100 MiB (ws's default) */
  maxPayload?: number;
}

/** Runs for each accepted WebSocket, after the server installed its own (no-op) `error` listener. */
export type ConnectionHandler = (ws: WebSocket, req: http.IncomingMessage) => void;

export interface EchoServerOptions extends WsServerOptions {
  /** Called for each connection, after the echo handler is attached. */
  onConnection?: ConnectionHandler;
}

/** A real `ws` server on 127.0.0.1. */
export interface TestWsServer {
  /** `ws://127.0.0.1:<port>` (or `wss://` for the TLS server), no trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly wss: WebSocketServer;
  /** Open WebSocket connections right now. */
  readonly connections: number;
  /** WebSocket connections accepted since start. */
  readonly accepted: number;
  /** Terminates every client (no close frame: they see 1006), closes the listener, resolves when all sockets are closed. Idempotent. */
  close(): Promise<void>;
}

export interface TlsTestWsServer extends TestWsServer {
  /** The self-signed certificate: pass it as the client's `ca`. */
  readonly ca: Buffer;
}

export interface RestartableWsServer extends TestWsServer {
  /** Whether the listener is up. While stopped, `connections` is 0 and `wss` is the last instance. */
  readonly running: boolean;
  /** Terminates all clients and closes the listener; the port stays reserved in `url`/`port`. Idempotent. */
  stop(): Promise<void>;
  /** Listens again on the same port (no-op when running). Rejects with EADDRINUSE if another process took it. */
  start(): Promise<void>;
}

/** A TCP listener that accepts and reads but never writes a byte. */
export interface SilentTcpServer {
  readonly url: string;
  readonly port: number;
  /** The listener, e.g. to await its `connection` event. */
  readonly server: net.Server;
  /** Sockets open right now. */
  readonly connections: number;
  /** Sockets accepted since start. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** An HTTP server answering every request and every upgrade with one fixed status. */
export interface HttpStatusServer {
  readonly url: string;
  readonly port: number;
  /** Requests (upgrades included) answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

export interface TlsFixture {
  key: Buffer;
  cert: Buffer;
  /** Same bytes as `cert`: the certificate is self-signed. */
  ca: Buffer;
}

function ignoreError(): void {
  // Test servers see resets and protocol errors on purpose; tests assert on the client side.
}

let tlsFixture: TlsFixture | undefined;

/** The committed test-only key pair of `test/fixtures/tls` (CN=localhost, SAN localhost + 127.0.0.1). */
export function loadTlsFixture(): TlsFixture {
  if (!tlsFixture) {
    const cert = readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url));
    const key = readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url));
    tlsFixture = { key, cert, ca: cert };
  }
  return tlsFixture;
}

/** Tracks raw sockets of a listener so `close()` never waits on a stray connection. */
function trackSockets(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', ignoreError);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

async function shutdown(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of sockets) s.destroy();
  await closed;
}

interface Listening {
  port: number;
  wss: WebSocketServer;
  accepted: () => number;
  close: () => Promise<void>;
}

async function listenWs(
  handler: ConnectionHandler,
  opts: WsServerOptions,
  port: number,
  tls?: TlsFixture,
): Promise<Listening> {
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }) : http.createServer();
  const sockets = trackSockets(server);
  server.on('request', (_req, res: http.ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('Upgrade Required');
  });
  const wss = new WebSocketServer({
    server,
    autoPong: opts.autoPong ?? true,
    perMessageDeflate: opts.perMessageDeflate ?? false,
    ...(opts.maxPayload !== undefined && { maxPayload: opts.maxPayload }),
    ...(opts.verifyClient && { verifyClient: opts.verifyClient }),
    ...(opts.handleProtocols && { handleProtocols: opts.handleProtocols }),
  });
  // With an external server, ws re-emits the server's errors on `wss`; listen() reports them itself.
  wss.on('error', ignoreError);
  let accepted = 0;
  wss.on('connection', (ws, req) => {
    accepted++;
    ws.on('error', ignoreError);
    handler(ws, req);
  });
  const bound = await listen(server, port);
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    wss,
    accepted: () => accepted,
    close: () =>
      (closing ??= (async () => {
        for (const ws of wss.clients) ws.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await shutdown(server, sockets);
      })()),
  };
}

function echo(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: isBinary });
  });
}

function wsServer(l: Listening, scheme: 'ws' | 'wss'): TestWsServer {
  return {
    url: `${scheme}://127.0.0.1:${l.port}`,
    port: l.port,
    wss: l.wss,
    get connections() {
      return l.wss.clients.size;
    },
    get accepted() {
      return l.accepted();
    },
    close: l.close,
  };
}

function echoHandler(opts: EchoServerOptions): ConnectionHandler {
  return (ws, req) => {
    echo(ws);
    opts.onConnection?.(ws, req);
  };
}

/** A `ws://` server that echoes every message with its type (text stays text, binary stays binary). */
export async function startEchoServer(opts: EchoServerOptions = {}): Promise<TestWsServer> {
  return wsServer(await listenWs(echoHandler(opts), opts, 0), 'ws');
}

/**
 * A `ws://` server whose connection handler is yours: script "send 3 then close 4000", "never pong"
 * (with `autoPong: false`), floods, slow readers. Each socket already has a no-op `error` listener.
 */
export async function startScriptedServer(
  onConnection: ConnectionHandler,
  opts: WsServerOptions = {},
): Promise<TestWsServer> {
  return wsServer(await listenWs(onConnection, opts, 0), 'ws');
}

/** A `wss://` echo server with the committed self-signed certificate ({@link loadTlsFixture}). */
export async function startTlsEchoServer(opts: EchoServerOptions = {}): Promise<TlsTestWsServer> {
  const tls = loadTlsFixture();
  return { ...wsServer(await listenWs(echoHandler(opts), opts, 0, tls), 'wss'), ca: tls.ca };
}

/** An echo server that can be stopped and started again on the same port (a backend restart). */
export async function startRestartableEchoServer(opts: EchoServerOptions = {}): Promise<RestartableWsServer> {
  return startRestartableScriptedServer(echoHandler(opts), opts);
}

/** A scripted server ({@link startScriptedServer}) that can be stopped and started again on the same port. */
export async function startRestartableScriptedServer(
  handler: ConnectionHandler,
  opts: WsServerOptions = {},
): Promise<RestartableWsServer> {
  let current: Listening | undefined = await listenWs(handler, opts, 0);
  let last = current;
  let accepted = 0;
  const port = current.port;
  const server: RestartableWsServer = {
    url: `ws://127.0.0.1:${port}`,
    port,
    get wss() {
      return last.wss;
    },
    get connections() {
      return current ? current.wss.clients.size : 0;
    },
    get accepted() {
      return accepted + (current ? current.accepted() : 0);
    },
    get running() {
      return current !== undefined;
    },
    async stop() {
      const l = current;
      if (!l) return;
      current = undefined;
      accepted += l.accepted();
      await l.close();
    },
    async start() {
      if (current) return;
      current = last = await listenWs(handler, opts, port);
    },
    close: () => server.stop(),
  };
  return server;
}

/** Accepts TCP connections and never answers (reads and discards): for connect/handshake timeouts. */
export async function startSilentTcpServer(): Promise<SilentTcpServer> {
  const server = net.createServer((socket) => socket.resume());
  const sockets = trackSockets(server);
  let accepted = 0;
  server.on('connection', () => accepted++);
  const port = await listen(server, 0);
  let closing: Promise<void> | undefined;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    server,
    get connections() {
      return sockets.size;
    },
    get accepted() {
      return accepted;
    },
    close: () => (closing ??= shutdown(server, sockets)),
  };
}

/**
 * Answers every WebSocket upgrade (and every plain request) with `status` and `headers`, then closes
 * the connection. A `ws` client emits `unexpected-response` (or, without a listener, an `error`
 * "Unexpected server response: <status>" and close 1006).
 */
export async function startHttpStatusServer(
  status: number,
  headers: Record<string, string> = {},
): Promise<HttpStatusServer> {
  const text = http.STATUS_CODES[status] ?? 'Unknown';
  const body = `${status} ${text}\n`;
  const all: Record<string, string> = {
    'content-type': 'text/plain',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...headers,
  };
  const server = http.createServer();
  const sockets = trackSockets(server);
  let requests = 0;
  server.on('request', (_req, res: http.ServerResponse) => {
    requests++;
    res.writeHead(status, all).end(body);
  });
  server.on('upgrade', (_req, socket: net.Socket) => {
    requests++;
    const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.end(`HTTP/1.1 ${status} ${text}\r\n${lines.join('')}\r\n${body}`);
  });
  const port = await listen(server, 0);
  let closing: Promise<void> | undefined;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    close: () => (closing ??= shutdown(server, sockets)),
  };
}

/** A port on 127.0.0.1 with nothing listening (bound, read, released): dialling it gives ECONNREFUSED. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, 0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
