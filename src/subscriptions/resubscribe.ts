/**
 * The resubscribe loop: after a connection loss, one loop per server subscription tries to
 * re-establish it — a connection (a new one if needed), then the subscribe message — backing off
 * between failed attempts like the pool's refills. There is exactly one loop per subscription,
 * however many ways the loss was reported (a close and an error both fire), and `stop()` ends
 * every loop and its timer at once.
 * @module
 */
import { startTimer, stopTimer, type Timer } from '../clock.js';
import { isWsPoolError } from '../errors.js';

/** What the loop drives. */
export interface ResubscribeTarget {
  /** Still wanted (some subscriber wants it re-established, the pool is open). */
  wanted(): boolean;
  /** One attempt (number `attempt`, 1-based); resolves once the server confirmed it. */
  attempt(attempt: number): Promise<void>;
  /** The server refused it (`WSPOOL_ERR_REMOTE`): the subscription ends with that error. */
  refused(error: unknown): void;
  /** An attempt failed otherwise: reported to `onError`, then the next attempt after a backoff. */
  failed(error: unknown): void;
}

export class Resubscriber {
  readonly #backoff: (failures: number, random: number) => number;
  readonly #running = new Set<ResubscribeTarget>();
  readonly #sleeping = new Map<Timer, () => void>();
  #stopped = false;

  /** @param backoff delay before attempt `failures + 1` (the pool's dial backoff). */
  constructor(backoff: (failures: number, random: number) => number) {
    this.#backoff = backoff;
  }

  /** Loops running. */
  get size(): number {
    return this.#running.size;
  }

  /** Start re-establishing `target`, unless a loop for it runs already. */
  start(target: ResubscribeTarget): void {
    if (this.#stopped || this.#running.has(target)) return;
    this.#running.add(target);
    void this.#loop(target).finally(() => this.#running.delete(target));
  }

  /** End every loop: attempts in progress finish (the pool's close fails them), sleeps end now. */
  stop(): void {
    this.#stopped = true;
    for (const [timer, wake] of this.#sleeping) {
      stopTimer(timer);
      wake();
    }
    this.#sleeping.clear();
  }

  async #loop(target: ResubscribeTarget): Promise<void> {
    for (let attempt = 1; !this.#stopped && target.wanted(); attempt++) {
      try {
        await target.attempt(attempt); // bound: its own deadline (requestTimeout) or the pool's close
        return;
      } catch (error) {
        if (this.#stopped || !target.wanted()) return;
        if (isWsPoolError(error, 'WSPOOL_ERR_REMOTE')) {
          target.refused(error);
          return;
        }
        target.failed(error);
      }
      await this.#sleep(this.#backoff(attempt, Math.random())); // bound: the delay, or stop()
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = startTimer(() => {
        this.#sleeping.delete(timer);
        resolve();
      }, ms);
      this.#sleeping.set(timer, resolve);
    });
  }
}
