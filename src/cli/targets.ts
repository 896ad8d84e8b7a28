/**
 * The three bench modes, each one of the library's pools driven the way its README recommends.
 * A target turns "one request" into a promise; the load generator does not know which pool it
 * drives.
 */
import { JsonRpcPool, MultiplexPool, createPool, type Codec, type ConnectOptions } from '../index.js';
import { redactUrl } from '../util/redact.js';
import type { BenchMode } from './args.js';
import { NOT_JSON_RPC } from './errors.js';

export interface TargetOptions {
  mode: BenchMode;
  url: string;
  conns: number;
  /** Per connection (from the shared connection flags). */
  connect: ConnectOptions;
  /** Per request: acquire and read (`exclusive`) or `requestTimeout` (the multiplexed pools). */
  timeoutMs: number;
  /** What one request sends: bytes only in `exclusive` mode (bench.ts checks). */
  payload: string | Uint8Array;
  /** `jsonrpc`: the method and params of every call. */
  method: string;
  params: unknown[] | Record<string, unknown>;
}

export interface Target {
  /** One request/reply; rejects with the library's typed error. */
  request: () => Promise<unknown>;
  /** The warm-up request, when it checks more than `request` does (that the server speaks the protocol). */
  probe?: () => Promise<unknown>;
  /** The pool's `stat()`, numeric fields. */
  stat(): Record<string, number>;
  /** Close the pool; with `now`, settle everything outstanding at once instead of waiting. */
  close(now?: boolean): Promise<void>;
}

/**
 * Open the pool with all `conns` connections dialled before the clock starts (so the run measures
 * the steady state, not the ramp-up), and send one request through it: an endpoint that is down,
 * refuses the handshake or does not answer fails here, with the library's typed error, instead of
 * as a run full of errors.
 */
export async function openTarget(options: TargetOptions): Promise<Target> {
  const shared: SharedConfig = {
    ...options.connect,
    url: options.url,
    minConns: options.conns,
    maxConns: options.conns,
  };
  const target =
    options.mode === 'exclusive'
      ? await exclusiveTarget(shared, options)
      : options.mode === 'multiplex'
        ? multiplexTarget(shared, options)
        : jsonRpcTarget(shared, options);
  try {
    await (target.probe ?? target.request)();
  } catch (error) {
    await target.close(true);
    throw error;
  }
  return target;
}

/** The options every mode's pool takes. */
type SharedConfig = ConnectOptions & { url: string; minConns: number; maxConns: number };

async function exclusiveTarget(shared: SharedConfig, options: TargetOptions): Promise<Target> {
  const pool = await createPool({ ...shared, acquireTimeout: options.timeoutMs });
  const { payload, timeoutMs } = options;
  const read = { timeout: timeoutMs };
  return {
    async request() {
      const conn = await pool.acquire();
      try {
        await conn.send(payload);
        await conn.read(read);
      } catch (error) {
        // A late reply would be read by the next borrower as its own: retire the connection.
        conn.destroy();
        throw error;
      }
      conn.release();
    },
    stat: () => numericFields(pool.stat()),
    close: (now) => pool.close(now ? { timeout: 0 } : undefined),
  };
}

/**
 * The codec of `multiplex` mode: the request id travels in the payload as `<id>:<payload>`, so any
 * endpoint that echoes frames back answers correctly, with no protocol of its own.
 */
export const ECHO_ID_CODEC: Codec<string, string> = {
  encode(payload, id) {
    return id === undefined ? payload : `${id}:${payload}`;
  },
  decode(message) {
    if (typeof message !== 'string') return undefined;
    const colon = message.indexOf(':');
    if (colon < 1) return undefined;
    const id = Number(message.slice(0, colon));
    return Number.isSafeInteger(id) ? { id, ok: true, value: message } : undefined;
  },
};

// The multiplexed pools dial `minConns` in the background; openTarget's first request waits for
// them and reports a dial failure.
function multiplexTarget(shared: SharedConfig, options: TargetOptions): Target {
  const payload = options.payload as string;
  const pool = new MultiplexPool({ ...shared, codec: ECHO_ID_CODEC, requestTimeout: options.timeoutMs });
  return {
    request: () => pool.request(payload),
    stat: () => numericFields(pool.stat()),
    close: (now) => pool.close(now ? { timeout: 0 } : undefined),
  };
}

function jsonRpcTarget(shared: SharedConfig, options: TargetOptions): Target {
  const { method, params } = options;
  const shownUrl = redactUrl(options.url);
  // What came back that is not a response; our own call sent back means an echo server, and the
  // warm-up call stops waiting at once.
  let pushes = 0;
  const echoed = new AbortController();
  const pool = new JsonRpcPool({
    ...shared,
    requestTimeout: options.timeoutMs,
    onMessage: (message) => {
      pushes++;
      if (!echoed.signal.aborted && isCallOf(message, method)) {
        echoed.abort(notJsonRpc(shownUrl, 'it sent the call back, as an echo server does'));
      }
    },
  });
  return {
    request: () => pool.call(method, params),
    async probe() {
      try {
        return await pool.call(method, params, { signal: echoed.signal });
      } catch (error) {
        if (echoed.signal.aborted) throw echoed.signal.reason;
        const stray = pushes + pool.stat().protocolErrors;
        if (stray === 0) throw error;
        const frames =
          stray === 1
            ? '1 frame that is not a JSON-RPC response'
            : `${stray} frames that are not JSON-RPC responses`;
        throw notJsonRpc(shownUrl, `it sent ${frames} and no answer to the call`, error);
      }
    },
    stat: () => numericFields(pool.stat()),
    close: (now) => pool.close(now ? { timeout: 0 } : undefined),
  };
}

/** A JSON-RPC request for `method` (with an id): what an echo server sends back. */
function isCallOf(message: unknown, method: string): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const { id, method: m } = message as { id?: unknown; method?: unknown };
  return m === method && id !== undefined;
}

/** The warm-up call showed that the endpoint does not speak JSON-RPC 2.0 (code `NOT_JSON_RPC`). */
function notJsonRpc(shownUrl: string, why: string, cause?: unknown): Error {
  const error = new Error(`The server at ${shownUrl} does not speak JSON-RPC 2.0: ${why}.`, { cause });
  (error as NodeJS.ErrnoException).code = NOT_JSON_RPC;
  return error;
}

function numericFields(stat: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(stat)) if (typeof value === 'number') out[key] = value;
  return out;
}
