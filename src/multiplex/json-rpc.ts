/**
 * The JSON-RPC 2.0 codec (https://www.jsonrpc.org/specification) used by {@link JsonRpcPool}:
 * requests carry the pool's numeric correlation id; a response with a numeric `id` and `result` or
 * `error` is a reply; everything else (notifications, server-to-client requests, any other JSON)
 * is a push for `onMessage`.
 *
 * Batches (section 6 of the specification): each call of a batch gets the id `"<batch id>:<index>"`, so the array that comes
 * back (in any order, possibly short of entries) maps onto the pool's one correlation id for the
 * whole batch and onto each call's slot, without the codec keeping any state per request.
 * @module
 */
import type { Message } from '../connection/inbox.js';
import { WsPoolError, invalidConfig } from '../errors.js';
import { decodeReplyList } from './batcher.js';
import type { Codec, Decoded, Reply } from './codec.js';

/** One JSON-RPC call: a method and its optional structured params (an array or an object). */
export interface JsonRpcCall {
  /** The method name. */
  method: string;
  /** Positional (an array) or named (an object) parameters; omitted when `undefined`. */
  params?: unknown[] | object | undefined;
}

/** A JSON-RPC 2.0 error object, as servers send it; `error.data` of a `WSPOOL_ERR_REMOTE`. */
export interface JsonRpcErrorObject {
  /** The error code (JSON-RPC 2.0, section 5.1: -32700 to -32000 are reserved for the protocol). */
  code: number;
  /** A short description. */
  message: string;
  /** Anything else the server attached. */
  data?: unknown;
}

/** Several calls sent as one batch frame; the pool sees it as one request. */
export class JsonRpcBatch {
  constructor(readonly calls: readonly JsonRpcCall[]) {}
}

/** One entry of a batch reply, by the call's index. */
export type BatchEntry = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What a batch request resolves with: the entries that came back, by call index. */
export class BatchReply {
  constructor(readonly entries: (BatchEntry | undefined)[]) {}
}

const BATCH_ID = /^(\d+):(\d+)$/;
const textDecoder = new TextDecoder();

/**
 * Encodes {@link JsonRpcCall}s (and batches) and decodes responses. One instance per pool: it
 * hands the pool's `onMessage` wrapper the push it has just parsed, so pushes are parsed once.
 */
export class JsonRpcCodec implements Codec<JsonRpcCall, unknown> {
  #pushFrame: Message | undefined;
  #pushValue: unknown;

  encode(req: JsonRpcCall, id: number | undefined): string {
    if (req instanceof JsonRpcBatch) return encodeBatch(req.calls, id);
    checkCall(req);
    // One flat string from one serialisation. Writing the text out with template literals saved
    // the object, but made a tree of concatenated strings that ws (and a batch's join) flattened
    // later; those trees outlived young-generation collections: 2.4 MB survived each scavenge
    // under batching against 0.2 MB now, and the client spent 17% of its CPU collecting them.
    // Params that serialise to nothing (a `toJSON` returning undefined) are left out, as before,
    // and a failure carries the params as `error.data`, as before.
    return stringify(
      id === undefined
        ? { jsonrpc: '2.0', method: req.method, params: req.params }
        : { jsonrpc: '2.0', id, method: req.method, params: req.params },
      req.params,
    );
  }

  decode(frame: Message): Decoded<unknown> {
    const parsed = JSON.parse(typeof frame === 'string' ? frame : textDecoder.decode(frame)) as unknown;
    if (typeof parsed === 'object' && parsed !== null) {
      if (Array.isArray(parsed)) {
        // The replies to automatically batched calls (numeric ids), else a `callBatch` reply (string ids).
        const reply = decodeReplyList(parsed) ?? decodeBatch(parsed);
        if (reply !== undefined) return reply;
      } else {
        const message = parsed as {
          id?: unknown;
          method?: unknown;
          params?: unknown;
          result?: unknown;
          error?: unknown;
        };
        const id = message.id;
        if (typeof id === 'number' && message.method === undefined) {
          // `error: null` beside a result is JSON-RPC 1.0 style: a success.
          if (message.error !== undefined && message.error !== null)
            return { id, ok: false, error: message.error };
          if ('result' in message) return { id, ok: true, value: message.result };
          throw new Error(`JSON-RPC response ${id} has neither result nor error`);
        }
        this.#pushFrame = frame;
        this.#pushValue = parsed;
        // A subscription notification (Ethereum `eth_subscription`, Solana `*Notification`):
        // `{ method, params: { subscription, result } }`. Kept as the push too, should it match
        // no subscription and go to onMessage.
        const params = message.params as { subscription?: unknown; result?: unknown } | undefined;
        if (typeof message.method === 'string' && typeof params === 'object' && params !== null) {
          const key = params.subscription;
          if ((typeof key === 'string' || typeof key === 'number') && 'result' in params) {
            return { subscription: key, value: params.result };
          }
        }
        return undefined;
      }
    }
    this.#pushFrame = frame;
    this.#pushValue = parsed;
    return undefined;
  }

  /** The parsed form of a push `decode` just returned `undefined` for. */
  takePush(frame: Message): unknown {
    if (frame !== this.#pushFrame)
      return JSON.parse(typeof frame === 'string' ? frame : textDecoder.decode(frame));
    const value = this.#pushValue;
    this.#pushFrame = undefined;
    this.#pushValue = undefined;
    return value;
  }
}

function encodeBatch(calls: readonly JsonRpcCall[], id: number | undefined): string {
  const out = new Array<object>(calls.length);
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i] as JsonRpcCall;
    checkCall(call);
    out[i] =
      id === undefined
        ? { jsonrpc: '2.0', method: call.method, params: call.params }
        : { jsonrpc: '2.0', id: `${id}:${i}`, method: call.method, params: call.params };
  }
  return stringify(out);
}

/** The reply to one of our batches, or `undefined` when no entry carries one of our batch ids. */
function decodeBatch(responses: unknown[]): Reply<unknown> | undefined {
  let batchId: number | undefined;
  const entries: (BatchEntry | undefined)[] = [];
  for (const response of responses) {
    if (typeof response !== 'object' || response === null) continue;
    const { id, result, error } = response as { id?: unknown; result?: unknown; error?: unknown };
    const match = typeof id === 'string' ? BATCH_ID.exec(id) : null;
    if (match === null) continue;
    const owner = Number(match[1]);
    if (batchId === undefined) batchId = owner;
    else if (owner !== batchId) continue; // entries of another batch: not ours to place
    const index = Number(match[2]);
    entries[index] =
      error !== undefined && error !== null
        ? { ok: false, error }
        : 'result' in response
          ? { ok: true, value: result }
          : { ok: false, error: malformedEntry(index, response) };
  }
  return batchId === undefined ? undefined : { id: batchId, ok: true, value: new BatchReply(entries) };
}

/** The slot error of a batch entry with neither `result` nor `error` (JSON-RPC 2.0, section 5, needs one). */
function malformedEntry(index: number, response: object): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_REMOTE',
    `The server's batch response for call ${index} has neither a result nor an error (JSON-RPC 2.0, section 5); it is in error.data. Check the server's batch support.`,
    { data: response },
  );
}

function checkCall(call: JsonRpcCall): void {
  if (typeof call !== 'object' || call === null)
    throw invalidConfig('call', 'an object { method, params? }', call);
  if (typeof call.method !== 'string') throw invalidConfig('method', 'a string', call.method);
  const params = call.params;
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    throw invalidConfig('params', 'an array, an object or undefined (JSON-RPC 2.0, section 4.2)', params);
  }
}

/** `JSON.stringify(value)`; a failure is `WSPOOL_ERR_INVALID_JSON` with `culprit` as `error.data`. */
function stringify(value: unknown, culprit: unknown = value): string {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new WsPoolError(
      'WSPOOL_ERR_INVALID_JSON',
      `The JSON-RPC request could not be serialised (${(cause as Error).message}); BigInt and cyclic values need converting first.`,
      { cause, data: culprit },
    );
  }
}
