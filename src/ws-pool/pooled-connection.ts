/**
 * The handle a borrower holds. A fresh one per acquire: once released or destroyed, every method
 * of that handle rejects `WSPOOL_ERR_CONN_RELEASED`, so code that kept a reference can never read
 * or write on a connection that now belongs to someone else.
 */
import type { CloseInfo, Connection, PingOptions, SendData } from '../connection/connection.js';
import type { Message, ReadOptions } from '../connection/inbox.js';
import { kCreate } from '../connection/internal.js';
import { WsPoolError } from '../errors.js';

/** What a handle needs from its pool (one object per pool, not a closure per handle). */
export interface HandleOwner<Token> {
  /** `failed`: released with an error, or after a failed exchange: destroy instead of pooling. */
  release(handle: PooledConnection, token: Token, failed: boolean): void;
  destroy(handle: PooledConnection, token: Token, reason: string | Error | undefined): void;
}

/**
 * A connection borrowed from a {@link Pool}: the message API of {@link Connection} plus
 * `release()` and `destroy()`. Use `await using conn = await pool.acquire()` to release it
 * at the end of the scope, or {@link Pool.withConnection}.
 */
export class PooledConnection implements AsyncDisposable, AsyncIterable<Message> {
  #conn: Connection | null;
  /** Kept past release for `closed`, which must never reject. */
  readonly #socket: Connection;
  readonly #owner: HandleOwner<unknown>;
  readonly #token: unknown;
  /** An exchange failed (timeout, abort, error): its reply may still come, so release destroys. */
  #outOfStep = false;

  /** @internal How the pool makes handles (the constructor is private); `token` is its record of the connection. */
  static [kCreate](owner: HandleOwner<never>, conn: Connection, token: unknown): PooledConnection {
    return new PooledConnection(owner, conn, token);
  }

  /** Handles are made by the pool. */
  private constructor(owner: HandleOwner<never>, conn: Connection, token: unknown) {
    this.#owner = owner;
    this.#conn = conn;
    this.#socket = conn;
    this.#token = token;
  }

  /** False once `release()` or `destroy()` was called on this handle. */
  get isActive(): boolean {
    return this.#conn !== null;
  }

  /** The URL, credentials and query values redacted. */
  get url(): string {
    return this.#get().url;
  }
  /** The negotiated subprotocol. */
  get protocol(): string {
    return this.#get().protocol;
  }
  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.#conn?.isOpen ?? false;
  }
  /** Epoch ms when the underlying connection opened. */
  get createdAt(): number {
    return this.#get().createdAt;
  }
  /** Epoch ms of the last send or read. */
  get lastUsedAt(): number {
    return this.#get().lastUsedAt;
  }
  /** Bytes queued in the socket. */
  get bufferedAmount(): number {
    return this.#get().bufferedAmount;
  }
  /** Unread inbound messages. */
  get pendingMessages(): number {
    return this.#get().pendingMessages;
  }
  /**
   * Settles when the underlying socket closes; never rejects, also after `release()` (it then
   * reports a socket this handle no longer holds).
   */
  get closed(): Promise<CloseInfo> {
    return this.#socket.closed;
  }

  /** See {@link Connection.send}. */
  send(data: SendData): Promise<void> {
    const conn = this.#conn;
    return conn ? conn.send(data) : Promise.reject(released());
  }
  /** See {@link Connection.sendMessage}. */
  sendMessage(text: string): Promise<void> {
    const conn = this.#conn;
    return conn ? conn.sendMessage(text) : Promise.reject(released());
  }
  /** See {@link Connection.sendBinary}. */
  sendBinary(data: Uint8Array | ArrayBuffer): Promise<void> {
    const conn = this.#conn;
    return conn ? conn.sendBinary(data) : Promise.reject(released());
  }
  /** See {@link Connection.sendJSON}. */
  sendJSON(value: unknown): Promise<void> {
    const conn = this.#conn;
    return conn ? conn.sendJSON(value) : Promise.reject(released());
  }
  /** See {@link Connection.read}. */
  read(options?: ReadOptions): Promise<Message> {
    const conn = this.#conn;
    return conn ? conn.read(options) : Promise.reject(released());
  }
  /** See {@link Connection.readMessage}. */
  readMessage(options?: ReadOptions): Promise<string> {
    const conn = this.#conn;
    return conn ? conn.readMessage(options) : Promise.reject(released());
  }
  /** See {@link Connection.readBinary}. */
  readBinary(options?: ReadOptions): Promise<Uint8Array> {
    const conn = this.#conn;
    return conn ? conn.readBinary(options) : Promise.reject(released());
  }
  /** See {@link Connection.readJSON}. */
  readJSON<T = unknown>(options?: ReadOptions): Promise<T> {
    const conn = this.#conn;
    return conn ? conn.readJSON<T>(options) : Promise.reject(released());
  }
  /**
   * Send, then read the next message as the reply, one deadline for both (see
   * {@link Connection.exchange}). If it fails in any way (timeout, abort, a closed socket, an
   * unexpected reply), the connection is marked out of step: `release()` then destroys it, so a
   * late reply can never reach the next borrower.
   */
  exchange(data: SendData, options?: ReadOptions): Promise<Message> {
    const conn = this.#conn;
    return conn ? this.#marking(conn.exchange(data, options)) : Promise.reject(released());
  }
  /** {@link PooledConnection.exchange} with JSON: see {@link Connection.exchangeJSON}. */
  exchangeJSON<T = unknown>(value: unknown, options?: ReadOptions): Promise<T> {
    const conn = this.#conn;
    return conn ? this.#marking(conn.exchangeJSON<T>(value, options)) : Promise.reject(released());
  }
  /** See {@link Connection.ping}. */
  ping(options?: PingOptions): Promise<number> {
    const conn = this.#conn;
    return conn ? conn.ping(options) : Promise.reject(released());
  }

  /** See {@link Connection.messages}; stops with `WSPOOL_ERR_CONN_RELEASED` once the handle is released. */
  async *messages(options?: ReadOptions): AsyncGenerator<Message, void, undefined> {
    const conn = this.#get();
    const inner = conn.messages(options);
    try {
      for (;;) {
        // Checked before every pull, not only after: a loop body that releases the handle must not
        // issue one more read on a connection that may already be lent to someone else (it would
        // take, and lose, the next borrower's message). A read pending at release is rejected by
        // the pool itself.
        if (this.#conn !== conn) throw released();
        const next = await inner.next(); // bound: the read's options, the socket's close, release()
        if (next.done === true) return;
        if (this.#conn !== conn) throw released();
        yield next.value;
      }
    } finally {
      await inner.return(undefined);
    }
  }

  /** `for await (const message of conn)`: the same as {@link PooledConnection.messages} without options. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.messages();
  }

  /**
   * Give the connection back to the pool (or to the oldest waiter). Unread messages are discarded
   * so the next borrower starts clean. Idempotent.
   *
   * Called with an error (any value but `undefined`: the error that ended the work, as in `pg`),
   * the connection is destroyed instead, since a reply to the failed work may still be on its way;
   * so is one whose {@link PooledConnection.exchange} failed. Both count in `stat().errorReleaseCount`.
   */
  release(error?: unknown): void {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = null;
    this.#owner.release(this, this.#token, error !== undefined || this.#outOfStep);
  }

  /** Close the socket and free its slot. Idempotent; a no-op after `release()`. */
  destroy(reason?: string | Error): void {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = null;
    this.#owner.destroy(this, this.#token, reason);
  }

  /** `await using conn = await pool.acquire()` releases at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  #marking<T>(exchange: Promise<T>): Promise<T> {
    return exchange.catch((error: unknown) => {
      this.#outOfStep = true;
      throw error;
    });
  }

  #get(): Connection {
    const conn = this.#conn;
    if (!conn) throw released();
    return conn;
  }
}

/** The error for any use of a handle after `release()`/`destroy()`. */
export function released(): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_CONN_RELEASED',
    'This pooled connection handle was released or destroyed; acquire a new one from the pool.',
  );
}
