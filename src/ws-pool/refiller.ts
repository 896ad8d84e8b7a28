/**
 * Keeps a pool at its `minConns` floor without ever storming a server.
 *
 * - One top-up runs at a time (the first fill, refills and the health check share it, so they
 *   never overshoot the floor).
 * - Refills after destroys are debounced: many destroys arm one timer.
 * - After failures they back off exponentially with jitter ({@link refillBackoff}).
 * - A successful dial does not reset the backoff: a server may accept and then drop every
 *   socket. Only a connection that proves itself (lent, or answering a health ping) does.
 * - A connection the peer closed before it was ever lent is replaced at once the first time;
 *   repeats count as strikes. A burst of such closes (a proxy cutting every tunnel) counts once.
 *
 * It owns its timer; {@link Refiller.stop} clears it.
 */
import { startTimer, stopTimer, type Timer } from '../clock.js';
import { refillBackoff } from './policy.js';

export class Refiller {
  readonly #floor: number;
  readonly #topUpOnce: () => Promise<number>;
  readonly #onFailure: (error: unknown) => void;
  #timer: Timer | undefined;
  #running: Promise<number> | undefined;
  #failures = 0;
  #earlyCloses = 0;
  #stopped = false;

  /**
   * @param floor `minConns`; with 0 nothing is ever scheduled.
   * @param topUpOnce One pass: open what is missing in parallel; resolves how many opened, rejects
   *   with the first dial error.
   * @param onFailure Told of each failed background pass (the health check's, or a backed-off
   *   refill's), which no caller sees. The first fill's failure goes to whoever awaits `fill()`.
   */
  constructor(floor: number, topUpOnce: () => Promise<number>, onFailure: (error: unknown) => void = noop) {
    this.#floor = floor;
    this.#topUpOnce = topUpOnce;
    this.#onFailure = onFailure;
  }

  /** A backed-off refill is armed: other top-ups (the health check) must leave it to that timer. */
  get backingOff(): boolean {
    return this.#timer !== undefined;
  }

  /** Run one top-up now, or join the one already running. */
  topUp(): Promise<number> {
    if (!this.#running) {
      this.#running = this.#topUpOnce().finally(() => {
        this.#running = undefined;
      });
    }
    return this.#running;
  }

  /** The first fill: a top-up that, on failure, hands over to backed-off refills. */
  fill(): Promise<number> {
    const first = this.topUp();
    first.catch(() => this.schedule(true));
    return first;
  }

  /** A health-check top-up: skipped while backing off; a failure starts the backoff. */
  async topUpIfIdle(): Promise<number> {
    if (this.backingOff) return 0;
    try {
      return await this.topUp(); // bound: the dials' connectTimeout and the pool's close()
    } catch (error) {
      this.#onFailure(error);
      if (!this.backingOff) this.schedule(true);
      return 0;
    }
  }

  /** The peer closed a connection that was never lent (count once per burst). */
  earlyClose(): void {
    if (!this.backingOff) this.#earlyCloses++;
  }

  /** A connection proved the server serves: refills need no backoff. */
  proven(): void {
    this.#failures = 0;
    this.#earlyCloses = 0;
  }

  /** Arm a refill (debounced); `failed` adds a strike first. */
  schedule(failed: boolean): void {
    if (this.#stopped || this.#floor === 0) return;
    if (failed) this.#failures++;
    if (this.#timer !== undefined) return;
    const strikes = this.#failures + Math.max(0, this.#earlyCloses - 1);
    const delay = strikes === 0 ? 0 : refillBackoff(strikes, Math.random());
    this.#timer = startTimer(() => {
      this.#timer = undefined;
      this.topUp().catch((error: unknown) => {
        this.#onFailure(error);
        this.schedule(true);
      });
    }, delay);
  }

  /** Clear the timer; nothing is scheduled afterwards. */
  stop(): void {
    this.#stopped = true;
    stopTimer(this.#timer);
    this.#timer = undefined;
  }
}

function noop(): void {}
