/**
 * The multiplexed pool: connections are shared, not checked out. Each request gets a correlation
 * id, goes out on the least-loaded open connection, and its reply is matched by id as it arrives
 * (see `MultiplexPool` below). Dialling, hooks and the pure lifetime policy are the exclusive pool's
 * (`openPooledConnection`, `policy.ts`); what is new here is the routing:
 *
 *     request() ─▶ room on a connection? ─yes─▶ encode(req, id) ─▶ send ─▶ in flight ─reply─▶ settled
 *                      │ no                                           │
 *                      ▼                                              └─ timeout / abort / socket lost
 *                 FIFO queue ─▶ (opens connections up to maxConns; any dial or freed slot serves it)
 *
 * Invariants: a request is in exactly one of {queue, registry, neither (settled)}; a channel's
 * `inFlight` counts the registry entries pointing at it; the queue is non-empty only while every
 * accepting channel is full (it is pumped whenever a slot frees or a connection opens).
 * @module
 */
import { monotonic, now } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import type { Message } from '../connection/inbox.js';
import { kSendNow } from '../connection/internal.js';
import { channels as diagnostics } from '../diagnostics.js';
import { connectionClosedError, invalidConfig, poolClosedError, type WsPoolError } from '../errors.js';
import { SubscriptionManager, type Settle } from '../subscriptions/manager.js';
import type { Subscription } from '../subscriptions/subscription.js';
import type { SubscribeOptions, SubscriptionSpec } from '../subscriptions/types.js';
import { LinkedList } from '../util/linked-list.js';
import { redactUrl } from '../util/redact.js';
import { invalidCallOptions } from '../util/validate.js';
import type { ResolvedPoolConfig } from '../ws-pool/config.js';
import { reportBackground } from '../ws-pool/on-error.js';
import { refillBackoff } from '../ws-pool/policy.js';
import type { PoolCloseOptions } from '../ws-pool/pool.js';
import { ReplyList, type Batcher } from './batcher.js';
import type { Channel, ChannelSet } from './channel.js';
import type { Codec, Decoded, Reply } from './codec.js';
import { resolveMultiplexConfig, type MultiplexPoolConfig, type RequestOptions } from './config.js';
import { exhausted, remoteError, requestTimeoutError } from './errors.js';
import { ConnectionKeeper } from './keeper.js';
import { PendingRegistry, PendingRequest, QueueNode, RequestState, type PendingOwner } from './pending.js';
import type { MultiplexPoolStat } from './stat.js';

/** @internal Sizes of the pending structures, for leak tests: all 0 once everything settled. */
export const kPendingSizes = Symbol('wspool.pendingSizes');
/** @internal The JSON-RPC method of a request, for `wspool:request:start` (`undefined`: none). */
export const kRequestMethod = Symbol('wspool.requestMethod');
/** @internal Turns automatic batching on (`JsonRpcPool`'s `batch` option), right after construction. */
export const kUseBatcher = Symbol('wspool.useBatcher');

/** What `#encodeOrFail` returns when the codec threw (the request is already rejected). */
const ENCODE_FAILED: unique symbol = Symbol('wspool.encodeFailed');
const WHAT = 'multiplexed pool';

/**
 * A pool of shared WebSocket connections carrying many requests each, replies matched by id.
 * Grows with load up to `maxConns`, keeps `minConns`, drains old and idle connections, pings idle
 * ones. See {@link JsonRpcPool} for JSON-RPC 2.0 with the codec built in.
 *
 * @example
 * ```ts
 * const pool = new MultiplexPool({ url: 'ws://127.0.0.1:8080', codec: lines, maxInFlightPerConn: 64 });
 * const answer = await pool.request('hello', { timeout: 2_000 });
 * await pool.close();
 * ```
 */
export class MultiplexPool<Req, Res> implements AsyncDisposable {
  readonly #config: ResolvedPoolConfig;
  readonly #codec: Codec<Req, Res>;
  readonly #maxInFlight: number;
  readonly #requestTimeout: number;
  readonly #onMessage: ((message: Message) => void) | undefined;
  readonly #registry: PendingRegistry;
  readonly #queue = new LinkedList<QueueNode>();
  readonly #keeper: ConnectionKeeper;
  /** The keeper's open connections (the hot path reads them directly). */
  readonly #channels: ChannelSet;
  /** Joins frames into batch frames; `undefined` (the default) sends each frame at once. */
  #batcher: Batcher | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #requestCount = 0;
  #timedOutRequests = 0;
  #lateReplies = 0;
  #unmatchedMessages = 0;
  #protocolErrors = 0;
  readonly #owner: PendingOwner;
  // Typed without Req/Res so that a MultiplexPool<A, B> stays assignable to MultiplexPool<unknown, unknown>.
  readonly #subscriptions: SubscriptionManager<unknown, unknown, Channel>;

  /**
   * Validate `config` synchronously (`WSPOOL_ERR_INVALID_CONFIG` naming the field,
   * `WSPOOL_ERR_INVALID_URL`) and start opening `minConns` connections in the background.
   */
  constructor(config: MultiplexPoolConfig<Req, Res>) {
    const resolved = resolveMultiplexConfig(config);
    this.#config = resolved.pool;
    this.#codec = resolved.codec;
    this.#maxInFlight = resolved.maxInFlightPerConn;
    this.#requestTimeout = resolved.requestTimeout;
    this.#onMessage = resolved.onMessage;
    this.#registry = new PendingRegistry(resolved.requestTimeout, (request) => this.#expired(request));
    this.#owner = { aborted: (request) => this.#aborted(request) };
    this.#keeper = new ConnectionKeeper(
      this.#config,
      this.#maxInFlight,
      {
        pool: this,
        onFrame: this.#onFrame,
        queued: () => this.#queue.length,
        pump: () => this.#pump(),
        failCarried: (channel, error) => this.#failCarried(channel, error),
        failQueued: (error) => this.#failQueued(error),
        subscriptionsLost: (channel) => this.#subscriptions.lost(channel),
        rotate: (channel) => this.#subscriptions.rotate(channel),
      },
      resolved.maxSendRate,
    );
    this.#channels = this.#keeper.channels;
    this.#subscriptions = this.#subscriptionManager(resolved.maxSubscriptionsPerConn);
    this.#keeper.start();
  }

  /** The redacted URL connections are dialled to (with `endpoints`: the first one; see `stat().endpoints`). */
  get url(): string {
    return redactUrl(this.#config.url);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Send `req` on the least-loaded open connection and resolve with the reply's value. A reply
   * with `ok: false` rejects `WSPOOL_ERR_REMOTE` (the codec's `error` as `error.data`); no reply
   * within the timeout rejects `WSPOOL_ERR_REQUEST_TIMEOUT`; a socket lost under the request
   * rejects `WSPOOL_ERR_CONNECTION_CLOSED`; more than `maxWaiting` queued rejects
   * `WSPOOL_ERR_POOL_EXHAUSTED`; an abort rejects with `signal.reason`.
   */
  request(req: Req, options?: RequestOptions): Promise<Res> {
    if (this.#closed) return Promise.reject(poolClosedError(WHAT));
    let timeout = this.#requestTimeout;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      const invalid = invalidCallOptions(options, false);
      if (invalid !== undefined) return Promise.reject(invalid);
      if (options.timeout !== undefined) timeout = options.timeout;
      signal = options.signal;
      if (signal?.aborted === true) return Promise.reject(signal.reason);
    }
    let channel: Channel | undefined;
    // Requests queued first go first: a slot that frees is theirs, never a newcomer's. A batch
    // open on a connection with room takes the call before the least-loaded choice is made.
    if (this.#queue.length === 0)
      channel = this.#batcher?.channel(this.#maxInFlight) ?? this.#channels.choose(this.#maxInFlight);
    if (channel === undefined && this.#queue.length >= this.#config.maxWaiting) {
      return Promise.reject(exhausted(this.#config.maxWaiting));
    }
    const request = new PendingRequest(this.#owner, req, false, monotonic(), timeout, signal);
    const promise = new Promise<Res>((resolve, reject) => {
      request.resolve = resolve as (value: unknown) => void;
      request.reject = reject;
    });
    this.#registry.watch(request);
    if (signal !== undefined) signal.addEventListener('abort', request);
    if (channel !== undefined) this.#dispatch(request, channel);
    else this.#enqueue(request);
    return promise;
  }

  /**
   * Fire and forget: `codec.encode(req, undefined)` sent on the least-loaded open connection;
   * resolves once written (below `sendHighWaterMark`). With no connection open yet it waits for one
   * like a request (queued, `requestTimeout`).
   */
  send(req: Req): Promise<void> {
    if (this.#closed) return Promise.reject(poolClosedError(WHAT));
    if (this.#queue.length === 0) {
      // A send takes no slot: any accepting connection will do, full or not.
      const batcher = this.#batcher;
      const channel = batcher?.channel(Infinity) ?? this.#channels.choose(Infinity);
      if (channel !== undefined) {
        let frame: string | Uint8Array;
        try {
          frame = this.#codec.encode(req, undefined);
        } catch (thrown) {
          return Promise.reject(thrown);
        }
        return batcher !== undefined && batcher.accepts(frame)
          ? batcher.addOneWay(channel, frame)
          : this.#sendFrame(channel, frame);
      }
    }
    if (this.#queue.length >= this.#config.maxWaiting)
      return Promise.reject(exhausted(this.#config.maxWaiting));
    const request = new PendingRequest(this.#owner, req, true, monotonic(), this.#requestTimeout, undefined);
    const promise = new Promise<void>((resolve, reject) => {
      request.resolve = resolve as (value: unknown) => void;
      request.reject = reject;
    });
    this.#registry.watch(request);
    this.#enqueue(request);
    return promise;
  }

  /**
   * Start a subscription and resolve, once the server confirmed it, with its handle: iterate it
   * with `for await`. With a `key` function, `spec.request` is sent like `request()` and the key
   * its notifications carry is read from the reply; with a fixed key it is sent like `send()` and
   * is live at once. Subscribers of identical requests (`codec.encode(request, undefined)`) share
   * one server subscription. The pool keeps it alive: after a connection loss it is re-subscribed
   * on another connection (`onGap` marks the gap), and it moves make-before-break off connections
   * past `maxConnLifetime`.
   *
   * Rejects `WSPOOL_ERR_REQUEST_TIMEOUT` when not confirmed within `timeout`,
   * `WSPOOL_ERR_REMOTE` when the server refuses it, `WSPOOL_ERR_POOL_EXHAUSTED` at once when
   * every connection carries `maxSubscriptionsPerConn` and `maxConns` are open, and with
   * `signal.reason` on an abort.
   */
  subscribe<T = unknown>(
    spec: SubscriptionSpec<Req, Res>,
    options?: SubscribeOptions<T>,
  ): Promise<Subscription<T>> {
    if (this.#closed) return Promise.reject(poolClosedError(WHAT));
    return this.#subscriptions.subscribe<T>(spec as SubscriptionSpec<unknown, unknown>, options);
  }

  /** A frozen snapshot of gauges and counters. Cheap and synchronous. */
  stat(): MultiplexPoolStat {
    const keeper = this.#keeper;
    const subscriptions = this.#subscriptions;
    const stat: MultiplexPoolStat = {
      totalConns: keeper.total,
      constructingConns: keeper.dialing,
      maxConns: this.#config.maxConns,
      newConnsCount: keeper.newConnsCount,
      failedConnectCount: keeper.failedConnectCount,
      maxLifetimeDestroyCount: keeper.maxLifetimeDestroyCount,
      maxIdleDestroyCount: keeper.maxIdleDestroyCount,
      healthCheckDestroyCount: keeper.healthCheckDestroyCount,
      inFlight: this.#registry.size,
      queuedRequests: this.#queue.length,
      requestCount: this.#requestCount,
      timedOutRequests: this.#timedOutRequests,
      lateReplies: this.#lateReplies,
      unmatchedMessages: this.#unmatchedMessages,
      protocolErrors: this.#protocolErrors,
      subscriptions: subscriptions.subscriptions,
      subscribers: subscriptions.subscribers,
      resubscribeCount: subscriptions.resubscribeCount,
      droppedNotifications: subscriptions.droppedNotifications,
      unroutedNotifications: subscriptions.unroutedNotifications,
    };
    const endpoints = keeper.endpointStat();
    return Object.freeze(endpoints === undefined ? stat : { ...stat, endpoints });
  }

  /**
   * Close the pool. Idempotent. Requests in flight or queued reject `WSPOOL_ERR_POOL_CLOSED` at
   * once, and new ones too; every connection is closed (`beforeClose`, then the closing
   * handshake). Resolves when every socket is closed and no timer is left.
   * @param options.timeout ms to wait for the closing handshakes before terminating the sockets.
   *   @default Infinity (each socket still gives up after its `closeTimeout`)
   */
  close(options?: PoolCloseOptions): Promise<void> {
    if (this.#closing === undefined) {
      const timeout = options?.timeout ?? Infinity;
      if (!(typeof timeout === 'number' && timeout >= 0)) {
        return Promise.reject(invalidConfig('timeout', 'a number of ms >= 0 or Infinity', timeout));
      }
      this.#closing = this.#shutdown(timeout);
    }
    return this.#closing;
  }

  /** `await using pool = new MultiplexPool(...)` closes the pool at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal */
  [kPendingSizes](): { inFlight: number; deadlines: number; queued: number } {
    return { inFlight: this.#registry.size, deadlines: this.#registry.watched, queued: this.#queue.length };
  }

  /** @internal Overridden by `JsonRpcPool`. */
  [kRequestMethod](_req: Req): string | undefined {
    return undefined;
  }

  /** @internal Send through `batcher` from now on (called once, by `JsonRpcPool`'s constructor). */
  [kUseBatcher](batcher: Batcher): void {
    this.#batcher = batcher;
  }

  // ---- the request path ------------------------------------------------------------------------

  /** Encode under a fresh id and send. The caller checked that `channel` has room. */
  #dispatch(request: PendingRequest, channel: Channel): void {
    const req = request.req as Req;
    request.req = undefined;
    if (request.oneWay) return this.#dispatchOneWay(request, req, channel);
    const registry = this.#registry;
    const id = registry.nextId();
    const frame = this.#encodeOrFail(request, req, id);
    if (frame === ENCODE_FAILED) return;
    request.state = RequestState.InFlight;
    request.channel = channel;
    channel.inFlight++;
    registry.add(request, id);
    this.#requestCount++;
    if (diagnostics.requestStart.hasSubscribers) this.#publishStart(request, req);
    const batcher = this.#batcher;
    if (batcher !== undefined && batcher.accepts(frame)) {
      batcher.add(channel, request, frame);
      return;
    }
    // The channel accepts, so the socket is open: the send cannot fail now. A write error later
    // closes the socket, which fails this request through #connectionClosed. Sent without a
    // promise: one fewer allocation per request on the hot path.
    const pacer = channel.pacer;
    if (pacer === undefined || pacer.tryTake()) channel.conn[kSendNow](frame);
    else {
      // maxSendRate: it waits its turn; one that expired or lost its socket meanwhile is not sent.
      pacer.wait((go) => {
        if (!go || request.state !== RequestState.InFlight || request.channel !== channel) return false;
        channel.conn[kSendNow](frame);
        return true;
      });
    }
  }

  /** Write a frame with no reply expected, through the connection's pacer when there is one. */
  #sendFrame(channel: Channel, frame: string | Uint8Array): Promise<void> {
    const pacer = channel.pacer;
    if (pacer === undefined || pacer.tryTake()) return channel.conn.send(frame);
    return new Promise<void>((resolve, reject) => {
      pacer.wait((go) => {
        if (go) channel.conn.send(frame).then(resolve, reject);
        else reject(connectionClosedError(1006, 'closed before the frame could be sent'));
      });
    });
  }

  #dispatchOneWay(request: PendingRequest, req: Req, channel: Channel): void {
    const frame = this.#encodeOrFail(request, req, undefined);
    if (frame === ENCODE_FAILED) return;
    this.#settle(request);
    const batcher = this.#batcher;
    const written =
      batcher !== undefined && batcher.accepts(frame)
        ? batcher.addOneWay(channel, frame)
        : this.#sendFrame(channel, frame);
    written.then(request.resolve, request.reject);
  }

  /**
   * `codec.encode(req, id)`; if it throws, `request` is settled, rejects with the throw, and the
   * result is {@link ENCODE_FAILED} (a sentinel no codec can return).
   */
  #encodeOrFail(
    request: PendingRequest,
    req: Req,
    id: number | undefined,
  ): string | Uint8Array | typeof ENCODE_FAILED {
    try {
      return this.#codec.encode(req, id);
    } catch (thrown) {
      this.#settle(request);
      request.reject(thrown);
      return ENCODE_FAILED;
    }
  }

  #enqueue(request: PendingRequest): void {
    const node = new QueueNode(request);
    request.queued = node;
    this.#queue.push(node);
    this.#keeper.grow();
  }

  /** Hand queued requests to connections with room, oldest first. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const channel = this.#channels.choose(this.#maxInFlight);
      if (channel === undefined) return;
      const request = (this.#queue.shift() as QueueNode).request;
      request.queued = null;
      this.#dispatch(request, channel);
    }
  }

  /** Every inbound frame of every connection: one function for the pool, no closure per socket. */
  readonly #onFrame = (message: Message, conn: Connection): void => {
    let reply: Decoded<Res>;
    try {
      reply = this.#codec.decode(message);
    } catch {
      this.#protocolErrors++;
      return;
    }
    if (reply === undefined) {
      this.#push(message);
      return;
    }
    if ('subscription' in reply) {
      this.#notification(message, conn, reply);
      return;
    }
    this.#deliver(reply);
  };

  /** Settle the request `reply` answers (each one, for the replies to a batch). */
  #deliver(reply: Reply<Res>): void {
    // The answers to batched calls come as one list (its id is no request's).
    if (reply instanceof ReplyList) reply.each(this.#answer);
    else if (reply.ok) this.#answer(reply.id, true, reply.value);
    else this.#answer(reply.id, false, reply.error);
  }

  /** Settle the request `id` answers: resolve with `payload`, or reject with it as the server's error. */
  readonly #answer = (id: number, ok: boolean, payload: unknown): void => {
    const request = this.#registry.get(id);
    if (request === undefined) {
      this.#lateReplies++; // it timed out or was aborted: its id was forgotten then
      return;
    }
    const channel = request.channel;
    if (channel !== null) {
      if (!channel.served) {
        channel.served = true;
        this.#keeper.proven();
      }
      // A reply, even an error one, proves the endpoint serves; its time is a latency sample.
      if (channel.endpoint !== undefined) this.#keeper.replied(channel.endpoint, monotonic() - request.start);
    }
    this.#settle(request);
    if (ok) {
      if (diagnostics.requestEnd.hasSubscribers) this.#publishEnd(request, undefined);
      request.resolve(payload);
    } else {
      const error = remoteError(payload);
      if (diagnostics.requestEnd.hasSubscribers) this.#publishEnd(request, error);
      request.reject(error);
    }
  };

  /** A notification, or the server's end of a subscription: routed by key on its connection. */
  #notification(
    message: Message,
    conn: Connection,
    decoded: Exclude<Decoded<Res>, { id: number } | undefined>,
  ): void {
    const channel = this.#channels.find(conn);
    let routed = false;
    if (channel !== undefined) {
      routed =
        'end' in decoded
          ? this.#subscriptions.end(channel, decoded.subscription, decoded.error)
          : this.#subscriptions.deliver(channel, decoded.subscription, decoded.value);
    }
    if (!routed) {
      if (channel === undefined) this.#subscriptions.unroutedNotifications++;
      this.#push(message);
    }
  }

  #push(message: Message): void {
    const handler = this.#onMessage;
    if (handler === undefined) {
      this.#unmatchedMessages++;
      return;
    }
    try {
      handler(message);
    } catch (thrown) {
      // The user's bug, reported the way an event listener's throw is; the pool's state is intact.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }

  /**
   * Take a request out of every structure (queue, registry, its channel's count, its signal) and
   * mark it settled; the caller then resolves or rejects it. Frees a slot: queued requests move up,
   * a draining connection whose last request this was closes.
   */
  #settle(request: PendingRequest): void {
    const node = request.queued;
    if (node !== null) {
      this.#queue.remove(node);
      request.queued = null;
    }
    this.#registry.forget(request); // reads the state: only an in-flight request is under its id
    request.state = RequestState.Done;
    if (request.signal !== undefined) request.signal.removeEventListener('abort', request);
    const channel = request.channel;
    if (channel === null) return;
    request.channel = null;
    if (--channel.inFlight === 0) {
      channel.idleSince = now();
      if (channel.draining && channel.subscriptions === 0) this.#keeper.retire(channel, 'lifetime');
    }
    if (channel.accepting && this.#queue.length > 0) this.#pump();
  }

  /** Fail a pending request (any state but settled) with `error`. */
  #fail(request: PendingRequest, error: unknown): void {
    if (request.state === RequestState.Done) return;
    this.#settle(request);
    if (diagnostics.requestEnd.hasSubscribers && request.id !== 0) this.#publishEnd(request, error as Error);
    request.reject(error);
  }

  #expired(request: PendingRequest): void {
    if (request.state === RequestState.Done) return;
    this.#timedOutRequests++;
    // Sent and never answered: the endpoint failed it (a request that timed out queued did not).
    const endpoint = request.channel?.endpoint;
    if (endpoint !== undefined) this.#keeper.timedOut(endpoint, request.timeout);
    this.#fail(request, requestTimeoutError(request.timeout));
  }

  #aborted(request: PendingRequest): void {
    this.#fail(request, request.signal?.reason);
  }

  #publishStart(request: PendingRequest, req: Req): void {
    const method = this[kRequestMethod](req);
    diagnostics.requestStart.publish(
      method === undefined ? { pool: this, id: request.id } : { pool: this, id: request.id, method },
    );
  }

  #publishEnd(request: PendingRequest, error: Error | undefined): void {
    const durationMs = monotonic() - request.start;
    diagnostics.requestEnd.publish(
      error === undefined
        ? { pool: this, id: request.id, durationMs }
        : { pool: this, id: request.id, durationMs, error },
    );
  }

  /** The socket of `channel` closed: its requests fail at once (queued ones stay, for others). */
  #failCarried(channel: Channel, error: WsPoolError): void {
    for (const request of this.#registry.values())
      if (request.channel === channel) this.#fail(request, error);
  }

  /** No connection is open or opening after a failed dial: the queue fails with the dial's error. */
  #failQueued(error: unknown): number {
    let failed = 0;
    for (let node = this.#queue.peek(); node !== null; node = this.#queue.peek(), failed++)
      this.#fail(node.request, error);
    return failed;
  }

  async #shutdown(timeout: number): Promise<void> {
    this.#closed = true;
    this.#subscriptions.close(); // iterations end (no throw); pending subscribe() calls reject
    this.#keeper.stop();
    const error = poolClosedError(WHAT);
    this.#failQueued(error);
    for (const request of this.#registry.values()) this.#fail(request, error);
    this.#batcher?.stop(error);
    this.#registry.stop();
    await this.#keeper.close(timeout); // bound: see ConnectionKeeper.close
  }

  // ---- subscriptions: the pool's side of src/subscriptions -------------------------------------

  #subscriptionManager(maxSubscriptionsPerConn: number): SubscriptionManager<unknown, unknown, Channel> {
    const keeper = this.#keeper;
    const config = this.#config;
    return new SubscriptionManager<unknown, unknown, Channel>({
      pool: this,
      maxConns: config.maxConns,
      maxSubscriptionsPerConn,
      requestTimeout: this.#requestTimeout,
      encode: (req) => this.#codec.encode(req as Req, undefined),
      chooseCarrier: (max) => this.#channels.chooseCarrier(max),
      total: () => keeper.total,
      dialing: () => keeper.dialing,
      dial: () => keeper.dial(undefined, true), // its failure is the subscription's to report (or reject)
      dialSettled: () => keeper.dialSettled(),
      request: (channel, req, timeout, settle) => this.#requestOn(channel, req, timeout, settle),
      send: (channel, req) => this.#sendOn(channel, req as Req),
      released: (channel) => {
        if (channel.inFlight > 0 || this.#channels.find(channel.conn) !== channel) return;
        channel.idleSince = now();
        if (channel.draining) keeper.retire(channel, 'lifetime');
      },
      report: (error, phase) => reportBackground(config.onError, error, phase, config.url, this.url),
      backoff: refillBackoff,
    });
  }

  /** A subscription's request on a chosen connection (placement is by subscriptions, not load). */
  #requestOn(channel: Channel, req: unknown, timeout: number, settle: Settle<unknown>): void {
    if (this.#closed) return settle.reject(poolClosedError(WHAT));
    if (this.#channels.find(channel.conn) !== channel || !channel.conn.isOpen) {
      return settle.reject(connectionClosedError(1006, 'closed before the subscription request was sent'));
    }
    const request = new PendingRequest(this.#owner, req, false, monotonic(), timeout, undefined);
    request.resolve = settle.resolve;
    request.reject = settle.reject;
    this.#registry.watch(request);
    this.#dispatch(request, channel);
  }

  /** A subscription's message without an id on a chosen connection (fixed keys). */
  #sendOn(channel: Channel, req: Req): Promise<void> {
    if (this.#closed) return Promise.reject(poolClosedError(WHAT));
    if (this.#channels.find(channel.conn) !== channel || !channel.conn.isOpen) {
      return Promise.reject(connectionClosedError(1006, 'closed before the subscription message was sent'));
    }
    let frame: string | Uint8Array;
    try {
      frame = this.#codec.encode(req, undefined);
    } catch (thrown) {
      return Promise.reject(thrown);
    }
    return this.#sendFrame(channel, frame);
  }
}
