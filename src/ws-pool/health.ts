import { startTimer, stopTimer, type Timer } from '../clock.js';

/**
 * Owns the background check's timer. Each pass is scheduled when the previous one has finished,
 * so passes never overlap however slow pings are; no `setInterval`, no polling.
 */
export class HealthChecker {
  readonly #period: number;
  readonly #run: () => Promise<void>;
  #timer: Timer | undefined;
  #stopped = true;

  constructor(period: number, run: () => Promise<void>) {
    this.#period = period;
    this.#run = run;
  }

  /** Arm the first pass `period` ms from now. `Infinity` disables the check. */
  start(): void {
    if (this.#period === Infinity) return;
    this.#stopped = false;
    this.#arm();
  }

  /** Clear the timer; a pass in progress finishes but schedules no other. */
  stop(): void {
    this.#stopped = true;
    stopTimer(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = startTimer(() => {
      this.#timer = undefined;
      this.#run()
        .catch(() => undefined)
        .finally(() => {
          if (!this.#stopped) this.#arm();
        });
    }, this.#period);
  }
}
