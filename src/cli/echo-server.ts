/**
 * The embedded server: echoes every message, and answers JSON-RPC 2.0 requests so that all three
 * bench modes work against it — `exclusive` and `multiplex` get their frames back as sent, `jsonrpc`
 * gets `{"jsonrpc":"2.0","id":<id>,"result":<params>}`.
 *
 * `wspool bench` without a url runs it in a child process (the same CLI entry, `echo-server
 * --port 0`) so the server has its own event loop and never competes with the load generator. The
 * child reports its URL over the IPC channel and lives exactly as long as that channel: when the
 * parent exits, even by a crash, the channel closes and the child follows.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { EchoServerOptions } from './args.js';

export interface EchoServer {
  /** `ws://host:port`, no trailing slash. */
  readonly url: string;
  /** Cut every client and stop listening. Idempotent. */
  close(): Promise<void>;
}

/** How long the embedded server may take to start, and to stop before it is killed. */
const CHILD_START_TIMEOUT_MS = 10_000;
const CHILD_STOP_TIMEOUT_MS = 2_000;

/** Start the echo + JSON-RPC server in this process. */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const server = new WebSocketServer({
    host: options.host,
    port: options.port,
    perMessageDeflate: true, // negotiated only when a client offers it
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });
  await once(server, 'listening'); // rejects on 'error' (EADDRINUSE, EACCES)
  server.on('connection', onConnection);
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `ws://${host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

function onConnection(this: WebSocketServer, socket: WebSocket): void {
  socket.on('error', noop); // a client that vanishes mid-frame is not the server's problem
  socket.on('message', onMessage);
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const buffer = data as Buffer;
  if (!isBinary) {
    const reply = jsonRpcReply(buffer);
    if (reply !== undefined) {
      if (reply !== '') this.send(reply);
      return;
    }
  }
  this.send(buffer, { binary: isBinary });
}

/**
 * The answer to a JSON-RPC 2.0 request or batch: `''` when nothing is due (notifications only),
 * `undefined` when the frame is not JSON-RPC (then it is echoed). Only frames starting with `{` or
 * `[` are parsed, so plain echo traffic pays one byte comparison.
 */
export function jsonRpcReply(frame: Buffer): string | undefined {
  const first = frame[0];
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(frame.toString());
  } catch {
    return undefined;
  }
  if (Array.isArray(message)) {
    if (message.length === 0 || !message.every(isRequest)) return undefined;
    const replies = message.filter(hasId).map(answer);
    return replies.length === 0 ? '' : JSON.stringify(replies);
  }
  if (!isRequest(message)) return undefined;
  return hasId(message) ? JSON.stringify(answer(message)) : '';
}

interface JsonRpcRequest {
  jsonrpc: '2.0';
  method: string;
  id?: string | number | null;
  params?: unknown;
}

function isRequest(value: unknown): value is JsonRpcRequest {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as JsonRpcRequest).jsonrpc === '2.0' &&
    typeof (value as JsonRpcRequest).method === 'string'
  );
}

function hasId(request: JsonRpcRequest): boolean {
  return 'id' in request;
}

function answer(request: JsonRpcRequest): object {
  return { jsonrpc: '2.0', id: request.id, result: request.params ?? null };
}

/**
 * `wspool echo-server`: serve until SIGINT/SIGTERM. Run as the embedded server of `bench` (an IPC
 * channel is present), it reports its URL to the parent instead of printing it, ignores SIGINT
 * (Ctrl-C reaches the whole process group, and the parent still needs the server to finish its
 * summary) and exits when the parent disconnects.
 */
export async function runEchoServer(options: EchoServerOptions): Promise<number> {
  const server = await startEchoServer(options);
  const parent = process.send ? process : undefined;
  if (parent) {
    process.on('SIGINT', noop);
    const disconnected = once(parent, 'disconnect');
    // A parent gone while this server started has disconnected already: do not wait for it.
    if (process.connected) {
      parent.send?.({ type: 'listening', url: server.url });
      await disconnected;
    }
  } else {
    // Listening for the signals before announcing the URL: whoever acts on the URL may signal at once.
    const stopped = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    process.stdout.write(
      `wspool echo server listening on ${server.url} (echo + JSON-RPC 2.0); Ctrl-C to stop\n`,
    );
    await stopped;
  }
  await server.close();
  return 0;
}

/**
 * Start the echo server in a child process running `entry` (the CLI's own main module, the same
 * way it was started: `process.execArgv` carries a loader such as tsx in development).
 */
export async function spawnEchoServer(entry: string): Promise<EchoServer> {
  const child = fork(entry, ['echo-server', '--port', '0'], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('did not start within 10 s')), CHILD_START_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      const m = message as { type?: unknown; url?: unknown };
      if (m.type === 'listening' && typeof m.url === 'string') done(() => resolve(m.url as string));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(new Error(`exited before listening (${signal ?? `code ${code}`})`));
    const fail = (error: Error): void =>
      done(() => {
        child.kill('SIGKILL');
        reject(new Error(`The embedded echo server ${error.message}.`, { cause: error }));
      });
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', fail);
      settle();
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', fail);
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= stopChild(child, exited);
      return closing;
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function noop(): void {}
