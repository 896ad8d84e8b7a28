/**
 * The bench's load target: a `ws` server on 127.0.0.1, port 0, in its own process so that the
 * client under test and the server each get a core.
 *
 * - `/echo` (and any other path): every message is sent back as it came (text stays text).
 * - `/rpc`: a JSON-RPC 2.0 responder. Methods: `echo` (result = params, `null` if none),
 *   `add` (result = sum of numeric params), anything else → `-32601 Method not found`.
 *   Batches (arrays) get one array reply with an entry per request that has an id;
 *   notifications (no `id`) get no reply; unparsable JSON → `-32700` with `id: null`.
 *
 * Started by bench/lib/server-process.ts with `child_process.fork`; reports
 * `{ type: 'ready', port }` over IPC and exits on `{ type: 'stop' }` or when the parent goes away.
 * Run on its own (`npx tsx bench/server.ts`) it prints its URL instead.
 */
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

type JsonRpcId = string | number | null;

interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: unknown;
  error?: { code: number; message: string };
}

function failure(id: JsonRpcId, code: number, message: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function isId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === 'string' || typeof value === 'number';
}

function sum(params: unknown): number {
  const values: unknown[] = Array.isArray(params) ? params : [];
  let total = 0;
  for (const value of values) if (typeof value === 'number') total += value;
  return total;
}

/** The reply to one request object, or `undefined` for a notification. */
function answer(request: unknown): JsonRpcResponse | undefined {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return failure(null, -32600, 'Invalid Request');
  }
  const { jsonrpc, id, method, params } = request as Record<string, unknown>;
  const replyId = isId(id) ? id : null;
  if (jsonrpc !== '2.0' || typeof method !== 'string' || (id !== undefined && !isId(id))) {
    return failure(replyId, -32600, 'Invalid Request');
  }
  if (id === undefined) return undefined;
  switch (method) {
    case 'echo':
      return { jsonrpc: '2.0', id: replyId, result: params ?? null };
    case 'add':
      return { jsonrpc: '2.0', id: replyId, result: sum(params) };
    default:
      return failure(replyId, -32601, 'Method not found');
  }
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// Module-level listeners (`this` is the socket): no closure per connection on the hot path.
function onEchoMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  this.send(asBuffer(data), { binary: isBinary });
}

/**
 * Subscription keys of the notification fan-in: unique across sockets, each owned by the socket that
 * subscribed, as a node pushes a subscription's notifications on the socket that asked for it.
 */
let lastKey = 0;
/** Each key's socket, and the method its notifications carry. */
const owners = new Map<string, { socket: WebSocket; notify: string }>();

/**
 * The notification fan-in (suite 3): `bench_subscribe` (or `eth_subscribe`, for clients that
 * only speak that) answers a new key owned by this socket; the notification `bench_poke [key, n]`,
 * sent on any socket, makes the server push `n` notifications of that key on its owner's socket,
 * as `bench_subscription` (`eth_subscription`). `true` when `request` was one of these.
 */
function subscriptionMessage(socket: WebSocket, request: Record<string, unknown>): boolean {
  const { id, method, params } = request;
  if (method === 'bench_subscribe' || method === 'eth_subscribe') {
    const key = `0x${(++lastKey).toString(16)}`;
    owners.set(key, {
      socket,
      notify: method === 'eth_subscribe' ? 'eth_subscription' : 'bench_subscription',
    });
    socket.send(JSON.stringify({ jsonrpc: '2.0', id, result: key }));
    return true;
  }
  if (method === 'bench_unsubscribe' || method === 'eth_unsubscribe') {
    if (Array.isArray(params)) owners.delete(String(params[0]));
    socket.send(JSON.stringify({ jsonrpc: '2.0', id, result: true }));
    return true;
  }
  if (method !== 'bench_poke' || !Array.isArray(params)) return false;
  const [key, count] = params as [unknown, number];
  const owner = owners.get(String(key));
  const target = owner?.socket ?? socket;
  corkTurn(target);
  const frame = JSON.stringify({
    jsonrpc: '2.0',
    method: owner?.notify ?? 'bench_subscription',
    params: { subscription: key, result: { block: 42, hash: '0x5eed' } },
  });
  for (let i = 0; i < count; i++) target.send(frame);
  return true;
}

/** A socket that closed owns no subscription any more. */
function forgetKeys(this: WebSocket): void {
  for (const [key, owner] of owners) if (owner.socket === this) owners.delete(key);
}

/**
 * Replies to the requests of one turn leave in one write, as a production server's buffered
 * writer sends them: the socket is corked at the turn's first reply and uncorked once the turn's
 * work is done. Without it the server spends a system call per reply and, at about 70 k req/s on
 * this machine, becomes the ceiling every client runs into, hiding how they differ. Every contender
 * meets the same server.
 */
const kTransport = Symbol('transport');
type WithTransport = WebSocket & { [kTransport]?: Socket; corkedTurn?: boolean };

function uncorkTurn(socket: WithTransport): void {
  socket.corkedTurn = false;
  socket[kTransport]?.uncork();
}

function corkTurn(socket: WithTransport): void {
  if (socket.corkedTurn === true) return;
  socket.corkedTurn = true;
  socket[kTransport]?.cork();
  process.nextTick(uncorkTurn, socket);
}

function onRpcMessage(this: WebSocket, data: RawData): void {
  corkTurn(this);
  let parsed: unknown;
  try {
    parsed = JSON.parse(asBuffer(data).toString('utf8'));
  } catch {
    this.send(JSON.stringify(failure(null, -32700, 'Parse error')));
    return;
  }
  if (!Array.isArray(parsed)) {
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      subscriptionMessage(this, parsed as Record<string, unknown>)
    ) {
      return;
    }
    const reply = answer(parsed);
    if (reply !== undefined) this.send(JSON.stringify(reply));
    return;
  }
  if (parsed.length === 0) {
    this.send(JSON.stringify(failure(null, -32600, 'Invalid Request')));
    return;
  }
  const replies: JsonRpcResponse[] = [];
  for (const request of parsed) {
    const reply = answer(request);
    if (reply !== undefined) replies.push(reply);
  }
  if (replies.length > 0) this.send(JSON.stringify(replies));
}

function ignoreError(): void {}

// A deep accept queue (the kernel caps it at somaxconn): the at-scale test opens 10,000 sockets at once.
// Port 0 (any free one) unless given as the first argument: a restart binds the port it had.
const port = Number(process.argv[2] ?? 0);
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, backlog: 65_535 });

server.on('connection', (socket, request) => {
  socket.on('error', ignoreError);
  if (request.url === '/rpc') {
    (socket as WithTransport)[kTransport] = request.socket;
    socket.on('message', onRpcMessage);
    socket.on('close', forgetKeys);
  } else {
    socket.on('message', onEchoMessage);
  }
});

function stop(): void {
  for (const client of server.clients) client.terminate();
  server.close(() => process.exit(0));
  // Never linger: the parent is waiting for this process to go.
  setTimeout(() => process.exit(0), 1_000).unref();
}

server.on('listening', () => {
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : 0;
  if (process.send !== undefined) process.send({ type: 'ready', port: bound });
  else console.log(`bench server listening on ws://127.0.0.1:${bound} (/echo, /rpc)`);
});

process.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stop') {
    stop();
  }
});
process.on('disconnect', stop);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
