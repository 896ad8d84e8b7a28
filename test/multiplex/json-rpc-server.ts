// A JSON-RPC 2.0 server on 127.0.0.1:0 for the multiplexed pool's tests. It answers out of order
// (a random delay per response, up to `maxDelay` ms), and its methods are the knobs:
//
// | method | answer |
// |---|---|
// | `echo` | `result` = params |
// | `add` | `result` = params[0] + params[1] |
// | `fail` | error `{ code: -32000, message: 'failed on purpose', data: { params } }` |
// | `hang` | never |
// | `hold` | held until `releaseHeld()`: a reply that comes late, on cue |
// | `sleep` | after `params[0]` ms (real time) |
// | `drop` | the server cuts this socket (no close frame): every call in flight on it is lost |
// | `push` | first a notification `{ method: params[0], params: params[1] }`, then `result` = 'pushed' |
// | `whoami` | `result` = the connection's number (1-based, in accept order) |
//
// Batches (arrays) are answered as one array, entries shuffled (or, with `separateBatchReplies`, one
// frame per entry, shuffled). Notifications (no id) are recorded, batched ones included.
import timers from 'node:timers';
import WebSocket from 'ws';
import { startScriptedServer, type TestWsServer } from '../helpers/index.js';

// Captured at load, before a test fakes the globals: the server keeps real time.
const realSetTimeout = timers.setTimeout;
const realClearTimeout = timers.clearTimeout;

interface RpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export interface RpcServerOptions {
  /** Each response waits a random 0..maxDelay ms (real time), so replies overtake each other. @default 0 */
  maxDelay?: number;
}

/** Pings are answered by hand, so that `muted` can make the server stop answering them. */

export interface RpcServer {
  readonly url: string;
  /** Sockets open now. */
  readonly open: number;
  /** Most sockets open at once. */
  readonly peak: number;
  /** Sockets accepted since start. */
  readonly accepted: number;
  /** Calls received (requests with an id, batch entries included). */
  readonly calls: number;
  /** Notifications received (requests without an id). */
  readonly notifications: RpcRequest[];
  /** The open sockets, in accept order. */
  readonly sockets: WebSocket[];
  /** Random delay bound; change it between steps. */
  maxDelay: number;
  /** Sizes of the batch frames (arrays) received, in order. */
  readonly batchSizes: number[];
  /** Answer a batch with one frame per entry instead of one array. */
  separateBatchReplies: boolean;
  /** Pings received. */
  readonly pings: number;
  /** While true, pings go unanswered (a dead path that still holds the TCP connection). */
  muted: boolean;
  /** `hold` calls received and not answered yet. */
  readonly held: number;
  /** Answer every `hold` call received so far; returns how many. */
  releaseHeld(): number;
  /** Cut every open socket without a close frame (the client sees 1006). */
  dropAll(): void;
  /** Send a frame to every open socket (a server push). */
  broadcast(frame: string | Buffer): void;
  close(): Promise<void>;
}

export async function startRpcServer(opts: RpcServerOptions = {}): Promise<RpcServer> {
  const sockets: WebSocket[] = [];
  const notifications: RpcRequest[] = [];
  const held: { ws: WebSocket; id: unknown }[] = [];
  const pendingTimers = new Set<ReturnType<typeof setTimeout>>();
  let accepted = 0;
  let peak = 0;
  let calls = 0;
  let pings = 0;

  function later(ms: number, fn: () => void): void {
    const timer = realSetTimeout(() => {
      pendingTimers.delete(timer);
      fn();
    }, ms);
    pendingTimers.add(timer);
  }

  function sendIfOpen(ws: WebSocket, frame: string): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  }

  /** The response object for one call, or undefined when it is answered some other way. */
  function answer(ws: WebSocket, req: RpcRequest, connection: number, deferred: boolean): object | undefined {
    const { id, method, params } = req;
    const args = Array.isArray(params) ? (params as unknown[]) : [];
    switch (method) {
      case 'echo':
        return { jsonrpc: '2.0', id, result: params ?? null };
      case 'add':
        return { jsonrpc: '2.0', id, result: (args[0] as number) + (args[1] as number) };
      case 'fail':
        return {
          jsonrpc: '2.0',
          id,
          error: { code: -32000, message: 'failed on purpose', data: { params } },
        };
      case 'whoami':
        return { jsonrpc: '2.0', id, result: connection };
      case 'hang':
        return undefined;
      case 'hold':
        held.push({ ws, id });
        return undefined;
      case 'sleep':
        if (!deferred) return { jsonrpc: '2.0', id, result: 'slept' };
        later(Number(args[0] ?? 0), () =>
          sendIfOpen(ws, JSON.stringify({ jsonrpc: '2.0', id, result: 'slept' })),
        );
        return undefined;
      case 'drop':
        ws.terminate();
        return undefined;
      case 'push':
        sendIfOpen(ws, JSON.stringify({ jsonrpc: '2.0', method: args[0], params: args[1] }));
        return { jsonrpc: '2.0', id, result: 'pushed' };
      default:
        return { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } };
    }
  }

  const server: TestWsServer = await startScriptedServer(
    (ws) => {
      accepted++;
      const connection = accepted;
      sockets.push(ws);
      peak = Math.max(peak, sockets.length);
      ws.on('close', () => {
        const index = sockets.indexOf(ws);
        if (index !== -1) sockets.splice(index, 1);
      });
      ws.on('ping', (data: Buffer) => {
        pings++;
        if (!rpc.muted && ws.readyState === WebSocket.OPEN) ws.pong(data);
      });
      ws.on('message', (data: Buffer) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(data.toString());
        } catch {
          sendIfOpen(
            ws,
            JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }),
          );
          return;
        }
        if (Array.isArray(parsed)) {
          rpc.batchSizes.push(parsed.length);
          const out: object[] = [];
          for (const req of parsed as RpcRequest[]) {
            if (req.id === undefined) {
              notifications.push(req);
              continue;
            }
            calls++;
            const response = answer(ws, req, connection, false);
            if (response) out.push(response);
          }
          out.sort(() => Math.random() - 0.5);
          if (rpc.separateBatchReplies) for (const response of out) respond(ws, JSON.stringify(response));
          else if (out.length > 0) respond(ws, JSON.stringify(out));
          return;
        }
        const req = parsed as RpcRequest;
        if (req.id === undefined) {
          notifications.push(req);
          return;
        }
        calls++;
        const response = answer(ws, req, connection, true);
        if (response) respond(ws, JSON.stringify(response));
      });
    },
    { autoPong: false },
  );

  function respond(ws: WebSocket, frame: string): void {
    const bound = rpc.maxDelay;
    if (bound <= 0) sendIfOpen(ws, frame);
    else later(Math.random() * bound, () => sendIfOpen(ws, frame));
  }

  const rpc: RpcServer = {
    url: server.url,
    get open() {
      return sockets.length;
    },
    get peak() {
      return peak;
    },
    get accepted() {
      return accepted;
    },
    get calls() {
      return calls;
    },
    notifications,
    sockets,
    maxDelay: opts.maxDelay ?? 0,
    batchSizes: [],
    separateBatchReplies: false,
    get pings() {
      return pings;
    },
    muted: false,
    get held() {
      return held.length;
    },
    releaseHeld() {
      const n = held.length;
      for (const { ws, id } of held.splice(0))
        sendIfOpen(ws, JSON.stringify({ jsonrpc: '2.0', id, result: 'late' }));
      return n;
    },
    dropAll() {
      for (const ws of [...sockets]) ws.terminate();
    },
    broadcast(frame) {
      for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    },
    async close() {
      for (const timer of pendingTimers) realClearTimeout(timer);
      pendingTimers.clear();
      await server.close();
    },
  };
  return rpc;
}
