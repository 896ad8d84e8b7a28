/**
 * `JsonRpcPool`: a {@link MultiplexPool} with the JSON-RPC 2.0 codec built in, and the calls that
 * protocol names: `call`, `notify`, `callBatch`.
 * @module
 */
import type { Message } from '../connection/inbox.js';
import { WsPoolError, invalidConfig } from '../errors.js';
import type { MultiplexPoolConfig, RequestOptions } from './config.js';
import { BatchReply, JsonRpcBatch, JsonRpcCodec, type JsonRpcCall } from './json-rpc.js';
import { remoteError } from './errors.js';
import { Batcher, resolveBatchOption, type BatchOptions } from './batcher.js';
import { MultiplexPool, kRequestMethod, kUseBatcher } from './multiplex-pool.js';
import type { Subscription } from '../subscriptions/subscription.js';
import type { SubscribeOptions, SubscriptionKey, SubscriptionSpec } from '../subscriptions/types.js';

/** Options of {@link JsonRpcPool.subscribe}: those of `subscribe()` plus the unsubscribe method. */
export interface JsonRpcSubscribeOptions<T = unknown> extends SubscribeOptions<T> {
  /**
   * The method that stops the subscription, called with `[key]`.
   * @default the subscribe method with its first `subscribe`/`Subscribe` replaced by
   * `unsubscribe`/`Unsubscribe` (`eth_subscribe` → `eth_unsubscribe`, `accountSubscribe` → `accountUnsubscribe`)
   */
  unsubscribeMethod?: string;
}

/** `eth_subscribe` → `eth_unsubscribe`, `accountSubscribe` → `accountUnsubscribe`. */
export function defaultUnsubscribeMethod(method: string): string {
  return method.replace(/subscribe|Subscribe/, (word) =>
    word === 'subscribe' ? 'unsubscribe' : 'Unsubscribe',
  );
}

/** Options of {@link JsonRpcPool}: those of {@link MultiplexPool} without `codec`, which is built in. */
export interface JsonRpcPoolConfig extends Omit<
  MultiplexPoolConfig<JsonRpcCall, unknown>,
  'codec' | 'onMessage'
> {
  /**
   * Receives what the server sends that is not a response to a call (notifications, server
   * requests, any other JSON), parsed. Without it they are counted in `stat().unmatchedMessages`.
   * A frame that is not JSON counts in `stat().protocolErrors`.
   */
  onMessage?: (message: unknown) => void;
  /**
   * Automatic batching: `call`s and `notify`s issued within `wait` ms (`0`: the same event-loop
   * turn) leave as one JSON-RPC batch frame of at most `maxSize` entries, on one connection. Each
   * call keeps its own id, timeout, abort and result; replies are matched entry by entry, whether
   * the server answers with one array (in any order) or with separate frames. `true` takes the
   * defaults `{ maxSize: 100, wait: 0 }`. Off by default: some servers cap or refuse batches (a
   * call the server leaves unanswered times out after its `timeout`).
   * @default false
   */
  batch?: boolean | BatchOptions;
}

/**
 * A pool of shared connections speaking JSON-RPC 2.0: many calls in flight per connection, each
 * response matched to its call by id.
 *
 * @example
 * ```ts
 * const rpc = new JsonRpcPool({ url: 'wss://node.example.com/ws', maxConns: 4, onMessage: console.log });
 * const block = await rpc.call<number>('eth_blockNumber', [], { timeout: 5_000 });
 * await rpc.notify('log', { level: 'info' });
 * const [a, b] = await rpc.callBatch([{ method: 'add', params: [1, 2] }, { method: 'ping' }]);
 * await rpc.close();
 * ```
 */
export class JsonRpcPool extends MultiplexPool<JsonRpcCall, unknown> {
  /**
   * Validate `config` synchronously, as {@link MultiplexPool} does (a `codec` is refused: it is
   * built in), and start filling `minConns` in the background.
   */
  constructor(config: JsonRpcPoolConfig) {
    if (typeof config === 'object' && config !== null && 'codec' in config) {
      throw invalidConfig(
        'codec',
        'no codec (JsonRpcPool has the JSON-RPC 2.0 codec built in; use MultiplexPool for another)',
        'a codec',
      );
    }
    const codec = new JsonRpcCodec();
    const given = typeof config === 'object' && config !== null ? config : undefined;
    const onMessage = given?.onMessage;
    const batch = resolveBatchOption(given?.batch);
    const shared: Record<string, unknown> = {
      ...config,
      codec,
      // A push was parsed by decode() a moment ago; the handler gets that value, not a second parse.
      // Anything else is passed on as given, for the config check to reject by name.
      onMessage:
        typeof onMessage === 'function' ? (frame: Message) => onMessage(codec.takePush(frame)) : onMessage,
    };
    // Batching is taken here; the pool below only gets a batcher (after construction).
    delete shared['batch'];
    super(shared as unknown as MultiplexPoolConfig<JsonRpcCall, unknown>);
    if (batch !== undefined) this[kUseBatcher](new Batcher(batch));
  }

  /**
   * Call `method` and resolve with its `result`. An error response rejects `WSPOOL_ERR_REMOTE` with
   * the error object `{ code, message, data }` as `error.data`.
   */
  call<T = unknown>(method: string, params?: unknown[] | object, options?: RequestOptions): Promise<T> {
    return this.request({ method, params }, options) as Promise<T>;
  }

  /** Send a notification (no id, no response). Resolves once written. */
  notify(method: string, params?: unknown[] | object): Promise<void> {
    return this.send({ method, params });
  }

  /**
   * Send several calls as one batch frame (JSON-RPC 2.0, section 6) and resolve with their results in call
   * order; a failed call (an error response, or none for it in the server's reply) is a
   * `WsPoolError` in its slot, while a timeout, abort or lost connection rejects the whole batch.
   * An empty list resolves `[]` without sending anything.
   */
  async callBatch(
    calls: { method: string; params?: unknown[] | object }[],
    options?: RequestOptions,
  ): Promise<unknown[]> {
    if (!Array.isArray(calls)) throw invalidConfig('calls', 'an array of { method, params? }', calls);
    if (calls.length === 0) return [];
    // Copied, so a caller mutating its array meanwhile cannot change what is sent; a bad entry is
    // rejected by the codec (WSPOOL_ERR_INVALID_CONFIG naming the field) before anything is sent.
    const batch = new JsonRpcBatch(calls.map((c) => ({ method: c?.method, params: c?.params })));
    // The batch rides the pool as one request under one correlation id (see json-rpc.ts).
    // Bound: the request's timeout (requestTimeout by default, counted from here) and close().
    const reply = await this.request(batch as unknown as JsonRpcCall, options);
    if (!(reply instanceof BatchReply)) {
      // One response object under the batch's id instead of an array (JSON-RPC 2.0, section 6, wants one).
      throw new WsPoolError(
        'WSPOOL_ERR_REMOTE',
        "The server answered the batch with a single response instead of an array (JSON-RPC 2.0, section 6): it does not support batches. Send the calls one by one with call(); the server's answer is in error.data.",
        { data: reply },
      );
    }
    return calls.map((call, i) => {
      const entry = reply.entries[i];
      if (entry === undefined) {
        return new WsPoolError(
          'WSPOOL_ERR_REMOTE',
          `The server's batch response has no entry for call ${i} ("${String(call.method)}"). Check the server's batch support.`,
        );
      }
      if (entry.ok) return entry.value;
      return entry.error instanceof WsPoolError ? entry.error : remoteError(entry.error);
    });
  }

  /**
   * Subscribe with `method` (`eth_subscribe`, `accountSubscribe`, …) and resolve, once the server
   * answered with the subscription's key (the call's `result`), with a handle whose `for await`
   * yields each notification's `params.result`, in order, across reconnects. Stopped with
   * `unsubscribeMethod(key)` when the last subscriber leaves. See {@link MultiplexPool.subscribe}.
   *
   * @example
   * ```ts
   * await using heads = await rpc.subscribe<{ number: string }>('eth_subscribe', ['newHeads']);
   * for await (const head of heads) console.log(Number(head.number));
   * ```
   */
  override subscribe<T = unknown>(
    method: string,
    params?: unknown[] | object,
    options?: JsonRpcSubscribeOptions<T>,
  ): Promise<Subscription<T>>;
  /** The generic form of {@link MultiplexPool.subscribe}, for a spec of one's own. */
  override subscribe<T = unknown>(
    spec: SubscriptionSpec<JsonRpcCall, unknown>,
    options?: SubscribeOptions<T>,
  ): Promise<Subscription<T>>;
  override subscribe<T = unknown>(
    method: string | SubscriptionSpec<JsonRpcCall, unknown>,
    params?: unknown[] | object | SubscribeOptions<T>,
    options?: JsonRpcSubscribeOptions<T>,
  ): Promise<Subscription<T>> {
    if (typeof method !== 'string') {
      // The generic form, for a spec of one's own.
      return super.subscribe<T>(method, params as SubscribeOptions<T> | undefined);
    }
    let rest: SubscribeOptions<T> | undefined = options;
    let unsubscribeMethod = defaultUnsubscribeMethod(method);
    if (
      options !== undefined &&
      typeof options === 'object' &&
      options !== null &&
      'unsubscribeMethod' in options
    ) {
      const { unsubscribeMethod: given, ...others } = options;
      if (typeof given !== 'string') {
        return Promise.reject(invalidConfig('unsubscribeMethod', 'a method name (string)', given));
      }
      unsubscribeMethod = given;
      rest = others;
    }
    return super.subscribe<T>(
      {
        request: { method, params },
        key: (result) => result as SubscriptionKey,
        unsubscribe: (key) => ({ method: unsubscribeMethod, params: [key] }),
      },
      rest,
    );
  }

  /** @internal The method, for `wspool:request:start`. */
  override [kRequestMethod](req: JsonRpcCall): string {
    return req instanceof JsonRpcBatch ? 'batch' : req.method;
  }
}
