/**
 * The one seam through which wspool reads time and arms timers. Everything goes through the
 * globals at call time, so `vi.useFakeTimers()` (which replaces `Date`, `setTimeout`,
 * `performance.now`) drives every time-dependent rule in tests: no test needs to sleep.
 *
 * Every timer the library arms is `unref()`'d: a pool must never keep a process alive by itself;
 * the owner of each timer clears it on close.
 */

/** A timer handle as returned by {@link startTimer}. */
export type Timer = ReturnType<typeof setTimeout>;

/** Wall-clock epoch milliseconds (for `createdAt`, `lastUsedAt`, lifetimes). */
export function now(): number {
  return Date.now();
}

/** Monotonic milliseconds with sub-ms precision (for durations: ping RTT, wait times). */
export function monotonic(): number {
  return performance.now();
}

/** Arm an unref'd timer. The caller owns it and must clear it with {@link stopTimer}. */
export function startTimer(fn: () => void, ms: number): Timer {
  const timer = setTimeout(fn, ms);
  timer.unref?.();
  return timer;
}

/** Clear a timer armed by {@link startTimer}; accepts `undefined` for convenience. */
export function stopTimer(timer: Timer | undefined): void {
  if (timer !== undefined) clearTimeout(timer);
}

/** Largest delay `setTimeout` accepts; longer finite timeouts are clamped (they would fire at once). */
export const MAX_TIMER_MS = 2_147_483_647;
