import { MAX_TIMER_MS, startTimer, stopTimer, type Timer } from '../clock.js';

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
    // Clamped: setTimeout turns a delay above 2^31-1 ms into 1 ms, which would run the check in a
    // busy loop for any period longer than ~24.8 days (config accepts any finite period).
    this.#timer = startTimer(
      () => {
        this.#timer = undefined;
        this.#run()
          .catch(() => undefined)
          .finally(() => {
            if (!this.#stopped) this.#arm();
          });
      },
      Math.min(this.#period, MAX_TIMER_MS),
    );
  }
}
