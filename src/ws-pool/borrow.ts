/**
 * The one-call borrows of {@link Pool}: `withConnection` and `exchange` acquire, do the work and
 * release, and the caller waits on a single promise. Written with `then` rather than `async`:
 * every `await` in an async wrapper is a promise and a microtask hop per call, and on the
 * exclusive echo path those hops were the distance to a hand-written pool.
 *
 * Both release with the error when the work fails (the connection is then destroyed: a reply to
 * the failed work may still be on its way and must not reach the next borrower), and reject with it.
 * @module
 */
import type { SendData } from '../connection/connection.js';
import type { Message, ReadOptions } from '../connection/inbox.js';
import { optionsLeft } from '../connection/exchange.js';
import { SENT } from '../connection/internal.js';
import { monotonic } from '../clock.js';
import type { AcquireOptions } from './acquire-options.js';
import type { PooledConnection } from './pooled-connection.js';

/** Run `fn` on the connection `acquired` brings; release it as `fn` settles. */
export function borrowFor<T>(
  acquired: Promise<PooledConnection>,
  fn: (conn: PooledConnection) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    acquired.then((conn) => {
      const failed = (error: unknown): void => {
        conn.release(error ?? new Error('withConnection callback failed'));
        reject(error);
      };
      let work: Promise<T>;
      try {
        work = fn(conn); // bound: the caller's own code
      } catch (error) {
        failed(error);
        return;
      }
      Promise.resolve(work).then((result) => {
        conn.release();
        resolve(result);
      }, failed);
    }, reject); // bound: the acquire's timeout, signal and close()
  });
}

/** How an exchange writes its request and reads its reply (text or JSON). */
export interface ExchangeKind<R> {
  send(conn: PooledConnection, request: unknown): Promise<void>;
  read(conn: PooledConnection, options: ReadOptions | undefined): Promise<R>;
}

export const RAW_EXCHANGE: ExchangeKind<Message> = {
  send: (conn, request) => conn.send(request as SendData),
  read: (conn, options) => conn.read(options),
};

export const JSON_EXCHANGE: ExchangeKind<unknown> = {
  send: (conn, request) => conn.sendJSON(request),
  read: (conn, options) => conn.readJSON(options),
};

/**
 * Send `request` on the connection `acquired` brings and read the next message as its reply,
 * under one deadline (`options.timeout`, counted from this call) and `options.signal`.
 *
 * The read starts as soon as the send was handed over, also when the send waits for room below
 * `sendHighWaterMark`: the read's deadline then bounds the send too (a peer that stops reading
 * fails the exchange with `WSPOOL_ERR_READ_TIMEOUT`), and a send that fails fails the exchange.
 */
export function exchangeOn<R>(
  acquired: Promise<PooledConnection>,
  kind: ExchangeKind<R>,
  request: unknown,
  options: AcquireOptions | undefined,
): Promise<R> {
  const timeout = options?.timeout;
  const signal = options?.signal;
  const started = timeout === undefined ? 0 : monotonic();
  return new Promise<R>((resolve, reject) => {
    acquired.then((conn) => {
      let settled = false;
      const failed = (error: unknown): void => {
        if (settled) return;
        settled = true;
        conn.release(error ?? new Error('exchange failed'));
        reject(error);
      };
      const readOptions =
        timeout === undefined && signal === undefined
          ? undefined
          : optionsLeft(started, timeout ?? Infinity, signal);
      const sent = kind.send(conn, request);
      if (sent !== SENT) sent.then(undefined, failed);
      kind.read(conn, readOptions).then((reply) => {
        if (settled) return;
        settled = true;
        conn.release();
        resolve(reply);
      }, failed); // bound: what is left of the deadline, the signal, the socket's close
    }, reject); // bound: the acquire's timeout, signal and close()
  });
}
