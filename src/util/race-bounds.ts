/**
 * Racing a piece of work against what bounds it: abort signals and a timeout. Used where the
 * library awaits something it does not control (a user hook, a send waiting for room).
 *
 * @module
 */
import { MAX_TIMER_MS, startTimer, stopTimer, type Timer } from '../clock.js';

/**
 * `work`, unless one of `signals` aborts first (rejecting with its reason) or `timeout` ms pass
 * (rejecting with `onTimeout()`). The timer and the listeners are dropped whichever way it settles.
 * The work goes on unobserved when it loses; its later rejection is handled here, never unhandled.
 * A signal already aborted makes it reject at once.
 */
export function raceBounds<T>(
  work: Promise<T>,
  signals: readonly (AbortSignal | undefined)[],
  timeout = Infinity,
  onTimeout?: () => Error,
): Promise<T> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  if (live.length === 0 && timeout === Infinity) return work;
  const aborted = live.find((s) => s.aborted);
  if (aborted !== undefined) {
    work.catch(noop);
    return Promise.reject(aborted.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: Timer | undefined;
    const done = (): void => {
      stopTimer(timer);
      for (const signal of live) signal.removeEventListener('abort', onAbort);
    };
    const onAbort = function (this: AbortSignal): void {
      done();
      reject(this.reason as Error);
    };
    for (const signal of live) signal.addEventListener('abort', onAbort, { once: true });
    if (timeout !== Infinity) {
      timer = startTimer(
        () => {
          done();
          reject(onTimeout?.() ?? new Error(`timed out after ${timeout} ms`));
        },
        Math.min(Math.max(0, timeout), MAX_TIMER_MS),
      );
    }
    work.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

function noop(): void {}
