/**
 * `maxSendRate`: how fast the pool may send on one connection. Some servers cut a connection that
 * sends too fast, counting every frame — requests, subscribe and unsubscribe messages, pings
 * (Binance: 5 per second). One {@link SendRate} per connection gates all of them.
 *
 * A token bucket that starts full with `burst` tokens; each frame takes one, and each token comes
 * back one `window` after it was taken. So a burst goes out at once, and no window of that length
 * (one second for an integral rate) ever holds more than `burst` frames — which is what a server
 * counting frames per second checks. A plain bucket refilling continuously would let `2 × rate`
 * frames through in the second after a full burst.
 *
 * Frames that find no token wait in order (FIFO) and go out as tokens come back, from one owned,
 * unref'd timer. With `maxSendRate: Infinity` the pool creates no `SendRate` at all: the request
 * hot path pays one `undefined` check.
 * @module
 */
import { monotonic, startTimer, stopTimer, type Timer } from '../clock.js';
import type { FramePacer, PacedSend } from '../connection/internal.js';
import { Deque } from '../util/deque.js';

export class SendRate implements FramePacer {
  /** Frames allowed per window. */
  readonly #burst: number;
  /** Ms after which a spent token comes back. */
  readonly #window: number;
  /** When each of the last `burst` tokens was taken (monotonic ms), oldest first: a ring. */
  readonly #spent: Float64Array;
  #head = 0;
  #count = 0;
  readonly #waiting = new Deque<PacedSend>();
  #timer: Timer | undefined;
  #stopped = false;

  /** @param rate frames per second, finite and > 0. */
  constructor(rate: number) {
    // A fractional rate below 1 (one frame every few seconds) still sends whole frames.
    this.#burst = Math.max(1, Math.floor(rate));
    this.#window = (this.#burst / rate) * 1000;
    this.#spent = new Float64Array(this.#burst);
  }

  /** Frames waiting for a token. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Take a token now if one is free and nobody waits ahead (order is kept); `false` otherwise. */
  tryTake(): boolean {
    if (this.#stopped || this.#waiting.length > 0) return false;
    const t = monotonic();
    if (!this.#free(t)) return false;
    this.#record(t);
    return true;
  }

  /** Run `send(true)` when a token is free, after every frame queued before it; `send(false)` if stopped first. */
  wait(send: PacedSend): void {
    if (this.#stopped) {
      send(false);
      return;
    }
    this.#waiting.push(send);
    this.#arm();
  }

  /** The connection is gone: waiting frames are told so (each caller settles its own promise). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    stopTimer(this.#timer);
    this.#timer = undefined;
    for (let send = this.#waiting.shift(); send !== undefined; send = this.#waiting.shift()) send(false);
  }

  /** A token free at `t`? Until the ring is full, yes; then once the oldest's window has passed. */
  #free(t: number): boolean {
    return this.#count < this.#burst || t - (this.#spent[this.#head] as number) >= this.#window;
  }

  /** Spend a token at `t` (the caller checked {@link #free}). */
  #record(t: number): void {
    const burst = this.#burst;
    if (this.#count < burst) {
      this.#spent[(this.#head + this.#count) % burst] = t;
      this.#count++;
      return;
    }
    this.#spent[this.#head] = t;
    this.#head = (this.#head + 1) % burst;
  }

  /** Ms until the oldest token comes back (0 when one is free). */
  #untilFree(t: number): number {
    if (this.#count < this.#burst) return 0;
    return Math.max(0, (this.#spent[this.#head] as number) + this.#window - t);
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    // Rounded up, and at least 1 ms: a timer never fires early, so the token is back by then.
    this.#timer = startTimer(this.#drain, Math.max(1, Math.ceil(this.#untilFree(monotonic()))));
  }

  readonly #drain = (): void => {
    this.#timer = undefined;
    const t = monotonic();
    while (this.#waiting.length > 0 && this.#free(t)) {
      // A frame with nothing left to send (its request expired while waiting) costs no token.
      if ((this.#waiting.shift() as PacedSend)(true) !== false) this.#record(t);
    }
    if (this.#waiting.length > 0) this.#arm();
  };
}
