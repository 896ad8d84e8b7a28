/**
 * The pings of one connection waiting for their pong: each carries its own id as payload, so a
 * pong settles exactly the ping it answers (a late or unsolicited pong is ignored). A ping owns its
 * promise, its timer and its abort listener, and drops the last two whichever way it settles.
 */
import { MAX_TIMER_MS, monotonic, startTimer, stopTimer, type Timer } from '../clock.js';
import { WsPoolError } from '../errors.js';
import { invalidCallOptions } from '../util/validate.js';

/** Options of {@link Connection.ping}. */
export interface PingOptions {
  /** Cancels the wait; rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Ms to wait for the pong, then `WSPOOL_ERR_PING_TIMEOUT`.
   * @default the connection's `pingTimeout` (5_000)
   */
  timeout?: number;
}

interface PendingPing {
  started: number;
  resolve: (rtt: number) => void;
  reject: (error: unknown) => void;
  timer: Timer | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class Pings {
  readonly #pending = new Map<string, PendingPing>();
  #seq = 0;

  /**
   * Send a ping with `send(id)` and resolve with the round trip in ms when its pong arrives. The
   * caller has checked that the socket is open. `defaultTimeout` applies when `options` has none.
   */
  start(
    send: (id: string) => void,
    options: PingOptions | undefined,
    defaultTimeout: number,
  ): Promise<number> {
    if (options !== undefined) {
      const invalid = invalidCallOptions(options, true);
      if (invalid) return Promise.reject(invalid);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const timeout = options?.timeout ?? defaultTimeout;
    const id = (++this.#seq).toString(36);
    return new Promise<number>((resolve, reject) => {
      const pending: PendingPing = {
        started: monotonic(),
        resolve,
        reject,
        timer: undefined,
        signal,
        onAbort: undefined,
      };
      if (timeout !== Infinity) {
        pending.timer = startTimer(
          () => {
            this.#settle(id);
            reject(
              new WsPoolError(
                'WSPOOL_ERR_PING_TIMEOUT',
                `No pong within ${timeout} ms: the peer or the network path is not responding. Discard this connection.`,
              ),
            );
          },
          Math.min(timeout, MAX_TIMER_MS),
        );
      }
      if (signal) {
        pending.onAbort = () => {
          this.#settle(id);
          reject(signal.reason);
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#pending.set(id, pending);
      send(id);
    });
  }

  /** A pong with payload `id` arrived. */
  pong(id: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return; // unsolicited or late pong
    const rtt = monotonic() - pending.started;
    this.#settle(id);
    pending.resolve(rtt);
  }

  /** The socket closed: every waiting ping rejects with `error`. */
  failAll(error: WsPoolError): void {
    for (const [id, pending] of this.#pending) {
      this.#settle(id);
      pending.reject(error);
    }
  }

  #settle(id: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    stopTimer(pending.timer);
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
  }
}
