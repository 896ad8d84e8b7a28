/**
 * Keepalive of one connection: a connection that has heard nothing from its peer for
 * `keepAliveInterval` is pinged; no pong (or any other frame) within `pingTimeout` means the path
 * is dead — a half-open socket the kernel would keep for hours — and the socket is terminated, so
 * reads waiting on it reject instead of hanging.
 *
 *     quiet ──nothing heard or sent for interval──▶ probing ──any frame (pong or data)──▶ quiet
 *                                                     └──nothing within pingTimeout──▶ dead (terminated)
 *
 * Cost per connection: one timer, re-armed only when it fires (at most once per interval while
 * the connection is busy), never per message; the hot path only stamps the time a frame arrived.
 * A ping sent by anyone else (a pool's health or acquire ping, a user's `ping()`) counts as a
 * probe too, so a pool's pings and the keepalive never ping the same idle connection back to back.
 * @module
 */
import { MAX_TIMER_MS, now, startTimer, stopTimer, type Timer } from '../clock.js';
import { WsPoolError } from '../errors.js';

/** What the keepalive needs from its connection (symbol-keyed: no closures per connection). */
export interface KeepAliveHost {
  /** Open, and no close started: a closing socket is left to its close. */
  readonly isOpen: boolean;
  /** Epoch ms of the last frame received (message, ping or pong). */
  readonly [kHeardAt]: number;
  /** Epoch ms since which nothing was heard and no ping was sent. */
  [kQuietSince](): number;
  /** Send a keepalive ping (no promise: its pong is just a frame heard). */
  [kProbe](): void;
  /** No answer in time: terminate the socket with `error` as the reads' cause. */
  [kDead](error: WsPoolError): void;
}

export const kHeardAt = Symbol('wspool.heardAt');
export const kQuietSince = Symbol('wspool.quietSince');
export const kProbe = Symbol('wspool.probe');
export const kDead = Symbol('wspool.dead');

/** No keepalive ping is waiting for its answer. */
const NOT_PROBING = -1;

export class KeepAlive {
  readonly #host: KeepAliveHost;
  readonly #interval: number;
  readonly #timeout: number;
  #timer: Timer | undefined;
  /** Epoch ms the outstanding keepalive ping was sent, or {@link NOT_PROBING}. */
  #sentAt = NOT_PROBING;

  /** Starts watching at once; `interval` is finite, `timeout` may be `Infinity` (never dead). */
  constructor(host: KeepAliveHost, interval: number, timeout: number) {
    this.#host = host;
    this.#interval = interval;
    this.#timeout = timeout;
    this.#arm(interval);
  }

  /** The connection is closing or closed: clear the timer for good. */
  stop(): void {
    stopTimer(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = startTimer(this.#fire, Math.min(Math.max(ms, 1), MAX_TIMER_MS));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const host = this.#host;
    if (!host.isOpen) return; // terminated or closing: the close event is on its way
    const t = now();
    if (this.#sentAt !== NOT_PROBING) {
      // Any frame since the ping proves the path works, pong or not: a busy peer's pong may queue
      // behind its data.
      const answered = host[kHeardAt] >= this.#sentAt;
      if (!answered && this.#timeout !== Infinity) {
        host[kDead](keepAliveTimeout(this.#interval, this.#timeout));
        return;
      }
      this.#sentAt = NOT_PROBING;
    }
    // A clock that stepped back makes `quiet` negative: wait one interval, never longer.
    const quiet = t - host[kQuietSince]();
    if (quiet < this.#interval) {
      this.#arm(Math.min(this.#interval - quiet, this.#interval));
      return;
    }
    this.#sentAt = t;
    host[kProbe]();
    // With no pong deadline a lost pong is not fatal: the next probe comes an interval later.
    this.#arm(this.#timeout === Infinity ? this.#interval : this.#timeout);
  };
}

/** `WSPOOL_ERR_PING_TIMEOUT` of a keepalive ping: the `cause` of the reads that reject after it. */
function keepAliveTimeout(interval: number, timeout: number): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_PING_TIMEOUT',
    `No pong within ${timeout} ms to a keepalive ping sent after ${interval} ms without traffic: the peer or the network path is gone (a half-open connection). The connection was terminated; open another, or raise pingTimeout for a slow peer.`,
  );
}
