/**
 * A single WebSocket connection with a promise-based message API over `ws`.
 *
 * Lifecycle (a Connection exists only once the handshake succeeded; see connect.ts for dialling):
 *
 *     open ──close()──▶ closing ──close frame / closeTimeout──▶ closed
 *       │                                                         ▲
 *       └──── peer close / error / terminate ─────────────────────┘
 *
 * In every state, messages already received stay readable; once they are consumed, reads on a
 * closed connection reject `WSPOOL_ERR_CONNECTION_CLOSED` with the close code and reason.
 */
import type { RawData, WebSocket } from 'ws';
import { MAX_TIMER_MS, monotonic, now, startTimer, stopTimer, type Timer } from '../clock.js';
import { channels } from '../diagnostics.js';
import { WsPoolError, connectionClosedError, invalidConfig } from '../errors.js';
import {
  Inbox,
  ReadKind,
  kInboxDiscarded,
  kInboxDrained,
  kInboxFull,
  type Message,
  type ReadOptions,
} from './inbox.js';
import { Pings, type PingOptions } from './pings.js';
import { runExchange } from './exchange.js';
import { KeepAlive, kDead, kHeardAt, kProbe, kQuietSince } from './keep-alive.js';
import {
  kCreate,
  kDiscardPending,
  kPark,
  kSendNow,
  SENT,
  kSetMessageHandler,
  kSetPacer,
  kLastError,
  kObserver,
  kSetDiscarding,
  kTerminate,
  type ConnectionObserver,
  type FramePacer,
} from './internal.js';

export type { PingOptions } from './pings.js';

/** How a connection ended. */
export interface CloseInfo {
  /** Close code (1006 when the socket dropped without a close frame). */
  code: number;
  /** Close reason sent by the peer or by us. */
  reason: string;
  /** True when the closing handshake completed. */
  wasClean: boolean;
}

/** What a send accepts: a string goes as a text frame, bytes as a binary frame. */
export type SendData = string | Uint8Array | ArrayBuffer;

const OPEN = 1;
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;
/**
 * Text frames up to this many UTF-16 units (≤ 3 KiB of UTF-8, so the bytes come from Node's
 * buffer pool) that go straight to an idle socket are encoded here rather than by `ws`. `ws`
 * copies a string into a buffer and writes header and payload as two chunks (cork, two writes,
 * uncork: a `writev`); handed bytes it may not modify, it masks them into one buffer with the
 * header and writes once. Same bytes on the wire, one chunk instead of two, which on loopback
 * saves ~0.3 µs of client CPU per request/response round trip. Frames that queue behind earlier
 * writes (pipelining) are flushed together in one `writev` anyway, and longer text would be copied
 * twice, so both keep the two-chunk path.
 */
const ONE_CHUNK_TEXT = 1024;

/**
 * A corked turn is flushed early every this many frames, or once this many bytes wait: the peer
 * starts on the first requests while the turn goes on. Holding a whole 256-request turn on one
 * socket until its end took the client and the server in turns instead of side by side: on one
 * connection that cut throughput from ~95 k to ~65 k req/s; flushing every 64 frames gave ~130 k
 * (16 to 128 all measured alike; 64 keeps a usual turn on a shared connection in one write).
 */
const CORK_FRAMES = 64;
const CORK_BYTES = 64 * 1024;
const kConnection = Symbol('wspool.connection');

interface ConnectionInit {
  url: string;
  maxBufferedMessages: number;
  sendHighWaterMark: number;
  closeTimeout: number;
  keepAliveInterval: number;
  pingTimeout: number;
  /**
   * The TCP (or TLS) socket under the WebSocket, from the upgrade response; `undefined` when a
   * custom dialer's socket announced none. Only corked and uncorked (see {@link Connection.kSendNow}).
   */
  transport: Corkable | undefined;
}

/** The part of a `net.Socket` that the hot send path uses: holding writes back for one turn. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

// Hot-path socket listeners are module-level functions (no per-connection closures); they reach the
// Connection through a symbol on the socket. They are assigned in the class's static block so they
// can use its #private members.
let onSocketMessage: (this: WebSocket, data: RawData, isBinary: boolean) => void;
let onSocketPing: (this: WebSocket) => void;
let onSocketPong: (this: WebSocket, data: Buffer) => void;
let onSocketClose: (this: WebSocket, code: number, reason: Buffer) => void;
let onSocketError: (this: WebSocket, error: Error) => void;
let uncorkTurn: (conn: Connection) => void;

/**
 * An open WebSocket connection. Obtain one with {@link connect}; a pool hands out
 * {@link PooledConnection} handles over the same API.
 *
 * @example
 * ```ts
 * await using conn = await connect('ws://127.0.0.1:8080');
 * await conn.sendJSON({ op: 'subscribe', channel: 'trades' });
 * for await (const msg of conn) console.log(msg);
 * ```
 */
export class Connection implements AsyncDisposable, AsyncIterable<Message> {
  /** The URL, with credentials and query values redacted. */
  readonly url: string;
  /** Epoch ms when the connection opened. */
  readonly createdAt: number;

  readonly #ws: WebSocket;
  readonly #inbox: Inbox;
  readonly #highWaterMark: number;
  readonly #closeTimeout: number;
  readonly #closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;
  #closeInfo: CloseInfo | undefined;
  #closeStarted = false;
  #closeTimer: Timer | undefined;
  #lastUsedAt: number;
  #lastError: Error | undefined;
  #pings: Pings | undefined; // created by the first ping()
  readonly #pingTimeout: number;
  #keepAlive: KeepAlive | undefined; // undefined when keepAliveInterval is Infinity
  /** Epoch ms of the last frame received (any kind): the keepalive's and the pools' health pings' clock. */
  #heardAt: number;
  /** Epoch ms of the last ping sent (by anyone). */
  #probedAt = 0;
  #observer: ConnectionObserver | undefined;
  #startedMono: number;
  #handler: ((message: Message, conn: Connection) => void) | undefined;
  #pacer: FramePacer | undefined;
  readonly #transport: Corkable | undefined;
  /** The transport is corked until the end of this turn (see {@link kSendNow}). */
  #corked = false;
  /** Frames written since the transport was last flushed in this turn. */
  #corkedFrames = 0;

  static {
    uncorkTurn = (conn) => {
      conn.#corked = false;
      (conn.#transport as Corkable).uncork();
    };
    onSocketMessage = function (data, isBinary) {
      const conn = (this as unknown as Record<symbol, Connection>)[kConnection] as Connection;
      // Stamped before routing: a message an idle pooled connection discards is traffic too.
      conn.#heardAt = now();
      const message = isBinary ? (data as Buffer) : (data as Buffer).toString();
      if (conn.#handler) conn.#handler(message, conn);
      else conn.#inbox.push(message);
    };
    onSocketPing = function () {
      const conn = (this as unknown as Record<symbol, Connection>)[kConnection] as Connection;
      conn.#heardAt = now(); // ws answers it (autoPong); the peer pinging us proves the path
    };
    onSocketPong = function (data) {
      const conn = (this as unknown as Record<symbol, Connection>)[kConnection] as Connection;
      conn.#heardAt = now();
      conn.#pings?.pong(data.toString());
    };
    onSocketClose = function (code, reason) {
      const conn = (this as unknown as Record<symbol, Connection>)[kConnection] as Connection;
      conn.#onClose(code, reason.toString());
    };
    onSocketError = function (error) {
      const conn = (this as unknown as Record<symbol, Connection>)[kConnection] as Connection;
      conn.#lastError = error;
      if (channels.connectionError.hasSubscribers) {
        channels.connectionError.publish({ url: conn.url, error: conn.#wrapError(error) });
      }
    };
  }

  /** @internal How {@link connect} builds a connection: the constructor is private. */
  static [kCreate](ws: WebSocket, init: ConnectionInit): Connection {
    return new Connection(ws, init);
  }

  /** Connections are made by {@link connect}. */
  private constructor(ws: WebSocket, init: ConnectionInit) {
    this.#ws = ws;
    this.url = init.url;
    this.#highWaterMark = init.sendHighWaterMark;
    this.#closeTimeout = init.closeTimeout;
    this.createdAt = now();
    this.#lastUsedAt = this.createdAt;
    this.#heardAt = this.createdAt;
    this.#startedMono = monotonic();
    this.#pingTimeout = init.pingTimeout;
    this.#transport = init.transport;
    this.#inbox = new Inbox(init.maxBufferedMessages, this);
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    (ws as unknown as Record<symbol, Connection>)[kConnection] = this;
    ws.on('message', onSocketMessage);
    ws.on('ping', onSocketPing);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    if (init.keepAliveInterval !== Infinity) {
      this.#keepAlive = new KeepAlive(this, init.keepAliveInterval, init.pingTimeout);
    }
  }

  /** The subprotocol the server selected ('' when none). */
  get protocol(): string {
    return this.#ws.protocol;
  }

  /** True while the socket is open and no close has started. */
  get isOpen(): boolean {
    return this.#ws.readyState === OPEN && !this.#closeStarted;
  }

  /**
   * Epoch ms of the last send or read. Like every wspool timestamp, the wall clock is read once per
   * event-loop turn, so this is the time of the turn the call ran in.
   */
  get lastUsedAt(): number {
    return this.#lastUsedAt;
  }

  /** Bytes queued in the socket and not yet sent. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Unread inbound messages. */
  get pendingMessages(): number {
    return this.#inbox.length;
  }

  /** Settles once the socket is closed; never rejects. */
  get closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /**
   * Send a message: a string as a text frame, bytes as a binary frame. Resolves once the frame is
   * accepted and the socket's `bufferedAmount` is below `sendHighWaterMark` (backpressure: a slow
   * peer makes this wait instead of buffering without bound).
   */
  send(data: SendData): Promise<void> {
    if (typeof data === 'string') return this.#send(data, data.length);
    if (data instanceof Uint8Array) return this.#send(data, data.byteLength);
    if (data instanceof ArrayBuffer) return this.#send(data, data.byteLength);
    return Promise.reject(
      new WsPoolError(
        'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE',
        `send() takes a string, Uint8Array or ArrayBuffer, got ${data === null ? 'null' : typeof data}. Use sendJSON() for objects.`,
      ),
    );
  }

  /** Send a text frame. */
  sendMessage(text: string): Promise<void> {
    if (typeof text !== 'string') {
      return Promise.reject(
        new WsPoolError(
          'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE',
          'sendMessage() takes a string; use sendBinary() for bytes and sendJSON() for objects.',
        ),
      );
    }
    return this.#send(text, text.length);
  }

  /** Send a binary frame. */
  sendBinary(data: Uint8Array | ArrayBuffer): Promise<void> {
    if (!(data instanceof Uint8Array || data instanceof ArrayBuffer)) {
      return Promise.reject(
        new WsPoolError(
          'WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE',
          'sendBinary() takes a Uint8Array or ArrayBuffer; use sendMessage() for text.',
        ),
      );
    }
    return this.#send(data, data.byteLength);
  }

  /** Serialise `value` with `JSON.stringify` and send it as a text frame. */
  sendJSON(value: unknown): Promise<void> {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (cause) {
      return Promise.reject(
        new WsPoolError(
          'WSPOOL_ERR_INVALID_JSON',
          `sendJSON() could not serialise the value (${(cause as Error).message}); BigInt and cyclic objects need converting first.`,
          { cause, data: value },
        ),
      );
    }
    if (text === undefined) {
      return Promise.reject(
        new WsPoolError(
          'WSPOOL_ERR_INVALID_JSON',
          `sendJSON() got a value JSON cannot represent (${typeof value}); send an object, array, string, number, boolean or null.`,
          { data: value },
        ),
      );
    }
    return this.#send(text, text.length);
  }

  /** The next message: text as `string`, binary as `Uint8Array`. Concurrent reads are served in call order. */
  read(options?: ReadOptions): Promise<Message> {
    this.#lastUsedAt = now();
    return this.#inbox.read(ReadKind.Any, options) as Promise<Message>;
  }

  /** The next message, which must be text (else `WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE`, message in `error.data`). */
  readMessage(options?: ReadOptions): Promise<string> {
    this.#lastUsedAt = now();
    return this.#inbox.read(ReadKind.Text, options) as Promise<string>;
  }

  /** The next message, which must be binary (else `WSPOOL_ERR_UNEXPECTED_MESSAGE_TYPE`, message in `error.data`). */
  readBinary(options?: ReadOptions): Promise<Uint8Array> {
    this.#lastUsedAt = now();
    return this.#inbox.read(ReadKind.Binary, options) as Promise<Uint8Array>;
  }

  /** The next message parsed as JSON (else `WSPOOL_ERR_INVALID_JSON`, message in `error.data`). */
  readJSON<T = unknown>(options?: ReadOptions): Promise<T> {
    this.#lastUsedAt = now();
    return this.#inbox.read(ReadKind.Json, options) as Promise<T>;
  }

  /**
   * Send `data` (as {@link Connection.send}), then read the next message as its reply, in one call
   * (for protocols without correlation ids). `timeout` covers the send and the reply together:
   * `WSPOOL_ERR_READ_TIMEOUT` when it passes; an abort rejects with `signal.reason`. After a timeout
   * or abort the reply may still arrive and would be read by the next read: treat the connection as
   * out of step (a pooled handle is destroyed on release).
   */
  exchange(data: SendData, options?: ReadOptions): Promise<Message> {
    return runExchange(
      () => this.send(data),
      (o) => this.read(o),
      options,
    );
  }

  /** {@link Connection.exchange} with `sendJSON(value)` and `readJSON<T>()`. */
  exchangeJSON<T = unknown>(value: unknown, options?: ReadOptions): Promise<T> {
    return runExchange(
      () => this.sendJSON(value),
      (o) => this.readJSON<T>(o),
      options,
    );
  }

  /**
   * Iterate messages. Ends on a normal close (1000/1001); throws the `WSPOOL_ERR_CONNECTION_CLOSED`
   * error otherwise, and whatever a read throws (abort, timeout).
   */
  async *messages(options?: ReadOptions): AsyncGenerator<Message, void, undefined> {
    for (;;) {
      let message: Message;
      try {
        // Bound: the caller's timeout or signal, else the socket's close, which the keepalive
        // forces within keepAliveInterval + pingTimeout once the peer stops answering.
        message = await this.read(options);
      } catch (error) {
        if (isNormalClose(error)) return;
        throw error;
      }
      yield message;
    }
  }

  /** `for await (const message of conn)`: the same as {@link Connection.messages} without options. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.messages();
  }

  /**
   * Send a ping and resolve with the round trip in ms once the matching pong arrives; no pong
   * within `timeout` (default: the connection's `pingTimeout`) rejects `WSPOOL_ERR_PING_TIMEOUT`.
   */
  ping(options?: PingOptions): Promise<number> {
    if (!this.isOpen) return Promise.reject(this.#closedError());
    return (this.#pings ??= new Pings()).start(
      (id) => {
        this.#probedAt = now();
        this.#sendPing(id);
      },
      options,
      this.#pingTimeout,
    );
  }

  /**
   * Start the closing handshake and resolve once the socket is closed; terminates the socket if the
   * peer does not complete the handshake within `closeTimeout`. Idempotent.
   * @param code Close code: 1000 or 3000–4999. @default 1000
   * @param reason Close reason (≤ 123 bytes). @default ''
   */
  close(code = 1000, reason = ''): Promise<void> {
    if (!this.#closeStarted && !this.#closeInfo) {
      if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
        return Promise.reject(invalidConfig('code', 'a close code of 1000 or 3000–4999', code));
      }
      if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) {
        return Promise.reject(invalidConfig('reason', 'a string of at most 123 bytes', reason));
      }
      this.#closeStarted = true;
      this.#keepAlive?.stop(); // closeTimeout bounds the rest
      this.#ws.close(code, reason);
      // A full inbox paused the socket; the peer's close frame sits behind the unread messages, so
      // read on (they stay readable) or the handshake could only end by closeTimeout, unclean.
      this.#ws.resume();
      if (this.#closeTimeout !== Infinity) {
        this.#closeTimer = startTimer(() => this.#ws.terminate(), clampDelay(this.#closeTimeout));
      }
    }
    return this.#closed.then(noop);
  }

  /** `await using conn = await connect(...)` closes the connection at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- package-internal (symbol-keyed) -------------------------------------------------------

  /** @internal */
  [kObserver](observer: ConnectionObserver | undefined): void {
    this.#observer = observer;
  }

  /**
   * @internal Send a frame on an open socket without a promise (the multiplexed pool's hot path).
   * The caller has checked the socket is open; a later write error closes the socket, which the
   * caller observes. Bounded by the caller (maxInFlightPerConn), not by sendHighWaterMark.
   */
  [kSendNow](frame: string | Uint8Array): void {
    this.#lastUsedAt = now();
    const ws = this.#ws;
    const idle = ws.bufferedAmount === 0;
    // The frames of one turn (the requests its callers issued, a burst of re-subscribes) leave in
    // one write at the turn's end (or every CORK_FRAMES frames) instead of one system call each: on
    // loopback that cut the client's CPU per request by a third. `nextTick` runs once the turn's
    // microtasks have run, before any I/O.
    const transport = this.#transport;
    if (transport === undefined) {
      writeFrame(ws, frame, idle, undefined);
      return;
    }
    if (!this.#corked) {
      this.#corked = true;
      this.#corkedFrames = 0;
      transport.cork();
      process.nextTick(uncorkTurn, this);
    }
    writeFrame(ws, frame, idle, undefined);
    if (++this.#corkedFrames >= CORK_FRAMES || ws.bufferedAmount >= CORK_BYTES) {
      this.#corkedFrames = 0;
      transport.uncork();
      transport.cork();
    }
  }

  /** @internal The inbox is full: pause the socket (TCP backpressure). */
  [kInboxFull](): void {
    // Never pause once a close has started: the peer's close frame must still be read, or the
    // closing handshake stalls until closeTimeout and ends unclean (1006).
    if (!this.#closeStarted) this.#ws.pause();
  }

  /** @internal The inbox drained below its limit: resume the socket. */
  [kInboxDrained](): void {
    if (this.#ws.readyState === OPEN) this.#ws.resume();
  }

  /** @internal A message was dropped while the connection sat idle in a pool. */
  [kInboxDiscarded](): void {
    this.#observer?.messageDiscarded(this);
  }

  /** @internal Drop unread messages; returns how many. */
  [kDiscardPending](): number {
    return this.#inbox.discardAll();
  }

  /** @internal While on, arriving messages are dropped (an idle pooled connection). */
  [kSetDiscarding](on: boolean): void {
    this.#inbox.discarding = on;
  }

  /**
   * @internal Route every inbound message to `handler` instead of the inbox (the multiplexed pool
   * matches replies as they arrive). Messages already queued (a greeting) go to it first, in order.
   */
  [kSetMessageHandler](handler: ((message: Message, conn: Connection) => void) | undefined): void {
    this.#handler = handler;
    if (handler !== undefined) this.#inbox.drainTo((message) => handler(message, this));
  }

  /**
   * @internal Pace this connection's pings with its pool's `maxSendRate` (the pool paces the data
   * frames it writes through the same pacer). A ping that waits keeps its pong deadline.
   */
  [kSetPacer](pacer: FramePacer | undefined): void {
    this.#pacer = pacer;
  }

  /**
   * @internal A pooled connection goes back to its pool: reject the reads its borrower left
   * waiting, drop its unread messages and discard whatever arrives until the next hand-out.
   * One call on the release hot path. Returns how many messages were dropped.
   */
  [kPark](makeError: () => WsPoolError): number {
    // The error is built only when a read is waiting: an Error captures a stack, and this runs on
    // every release.
    if (this.#inbox.readers > 0) this.#inbox.cancelReaders(makeError());
    const dropped = this.#inbox.discardAll();
    this.#inbox.discarding = true;
    return dropped;
  }

  /** @internal Cut the socket now (forced pool close, dead peer). */
  [kTerminate](): Promise<CloseInfo> {
    this.#closeStarted = true;
    this.#ws.terminate();
    return this.#closed;
  }

  /** @internal Epoch ms of the last frame received (message, ping or pong). */
  get [kHeardAt](): number {
    return this.#heardAt;
  }

  /**
   * @internal Epoch ms since which the connection has heard nothing and sent no ping: a pool's
   * health ping waits as long since then as the keepalive does, so the two never ping back to back.
   */
  [kQuietSince](): number {
    return Math.max(this.#heardAt, this.#probedAt);
  }

  /** @internal A keepalive ping: its pong (or any frame) is just traffic heard. */
  [kProbe](): void {
    this.#probedAt = now();
    this.#sendPing(undefined);
  }

  /**
   * @internal The keepalive got no answer: cut the socket; reads then reject
   * `WSPOOL_ERR_CONNECTION_CLOSED` with `error` as their cause.
   */
  [kDead](error: WsPoolError): void {
    this.#lastError = error;
    if (channels.connectionError.hasSubscribers) {
      channels.connectionError.publish({ url: this.url, error });
    }
    this.#closeStarted = true;
    this.#ws.terminate();
  }

  /** @internal The last socket error, for `cause`. */
  get [kLastError](): Error | undefined {
    return this.#lastError;
  }

  // ---- private -------------------------------------------------------------------------------

  /**
   * `data` goes as a text frame if it is a string, else as a binary frame; `size` is its length:
   * bytes, or UTF-16 units for a string.
   */
  #send(data: string | Uint8Array | ArrayBuffer, size: number): Promise<void> {
    const ws = this.#ws;
    if (ws.readyState !== OPEN || this.#closeStarted) return Promise.reject(this.#closedError());
    this.#lastUsedAt = now();
    const buffered = ws.bufferedAmount;
    const mark = this.#highWaterMark;
    // The mark is in bytes. A UTF-16 unit is at most 3 UTF-8 bytes, so only text that might not
    // fit by that bound is measured (an O(n) scan); short text never is.
    if (typeof data === 'string' && buffered + 3 * size >= mark) size = Buffer.byteLength(data);
    // Fast path: room below the high-water mark, so resolve without waiting for the write callback.
    if (buffered + size < mark) {
      writeFrame(ws, data, buffered === 0, undefined);
      return SENT;
    }
    // Slow path: resolve once this frame has been flushed to the kernel, which is when
    // bufferedAmount no longer counts it.
    return new Promise<void>((resolve, reject) => {
      writeFrame(ws, data, false, (error) => {
        if (error) reject(this.#closedError(error));
        else resolve();
      });
    });
  }

  /**
   * A ping frame (every ping: the user's, the pools' and the keepalive's), through the pacer when
   * the pool set one (`maxSendRate` counts pings); dropped if the socket closed meanwhile.
   */
  #sendPing(id: string | undefined): void {
    const pacer = this.#pacer;
    if (pacer === undefined || pacer.tryTake()) {
      this.#ws.ping(id);
      return;
    }
    pacer.wait((go) => {
      if (go && this.#ws.readyState === OPEN) this.#ws.ping(id);
    });
  }

  #onClose(code: number, reason: string): void {
    stopTimer(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#keepAlive?.stop();
    this.#keepAlive = undefined;
    const info: CloseInfo = { code, reason, wasClean: code !== 1006 };
    this.#closeInfo = info;
    const error = this.#closedError();
    this.#inbox.close(error);
    this.#pings?.failAll(error);
    this.#resolveClosed(info);
    if (channels.connectionClose.hasSubscribers) {
      channels.connectionClose.publish({
        url: this.url,
        code,
        reason,
        wasClean: info.wasClean,
        durationMs: monotonic() - this.#startedMono,
      });
    }
    this.#observer?.connectionClosed(this);
  }

  #closedError(cause?: unknown): WsPoolError {
    const info = this.#closeInfo;
    const lastError = cause ?? this.#lastError;
    if (info) return connectionClosedError(info.code, info.reason, lastError);
    return connectionClosedError(1006, 'closing', lastError);
  }

  #wrapError(error: Error): WsPoolError {
    return new WsPoolError(
      'WSPOOL_ERR_CONNECTION_CLOSED',
      `WebSocket error on ${this.url}: ${error.message}. The connection will close.`,
      { cause: error },
    );
  }
}

function noop(): void {}

/**
 * Hands one message to `ws`: a string as a text frame, bytes as binary. `idle`: nothing is
 * waiting to be written on the socket, so a short text goes as one chunk (see {@link ONE_CHUNK_TEXT}).
 */
function writeFrame(
  ws: WebSocket,
  data: string | Uint8Array | ArrayBuffer,
  idle: boolean,
  done: ((error?: Error) => void) | undefined,
): void {
  if (typeof data !== 'string') ws.send(data, BINARY, done);
  else if (idle && data.length <= ONE_CHUNK_TEXT) ws.send(Buffer.from(data), TEXT, done);
  else ws.send(data, TEXT, done);
}

// setTimeout fires at once (after a TimeoutOverflowWarning) for delays above 2^31-1 ms, so a long
// finite timeout would expire immediately; clamp it, and treat negative values as 0.
function clampDelay(ms: number): number {
  return Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}

function isNormalClose(error: unknown): boolean {
  return (
    error instanceof WsPoolError &&
    error.code === 'WSPOOL_ERR_CONNECTION_CLOSED' &&
    (error.closeCode === 1000 || error.closeCode === 1001)
  );
}
