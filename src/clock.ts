/**
 * The one seam through which wspool reads time and arms timers. Everything goes through the
 * globals at call time, so `vi.useFakeTimers()` (which replaces `Date`, `setTimeout`,
 * `performance.now`) drives every time-dependent rule in tests: no test needs to sleep.
 *
 * Wall-clock timestamps (`now()`) are read once per event-loop turn and reused within it (see
 * util/turn-clock.ts): the same trade Node's timers make with libuv's cached loop time. A stubbed
 * or faked `Date.now` is always called directly, so tests see every change they make at once.
 *
 * Every timer the library arms is `unref()`'d: a pool must never keep a process alive by itself;
 * the owner of each timer clears it on close.
 */
import { createTurnClock } from './util/turn-clock.js';

/** A timer handle as returned by {@link startTimer}. */
export type Timer = ReturnType<typeof setTimeout>;

const realDateNow = Date.now;
const realSetImmediate = setImmediate;
/**
 * The real clock, read once per turn and at least every 64 calls. The expiry is a referenced
 * `setImmediate` on purpose: while one is pending libuv's poll does not block, so a value read in
 * a timer callback (before the poll phase) cannot outlive a wait for I/O; it is gone one turn later.
 * If `Date.now` was already replaced when this module loaded (fake timers installed first), it is
 * not native and is read on every call instead.
 */
const turnNow = /\[native code\]/.test(Function.prototype.toString.call(realDateNow))
  ? createTurnClock({
      read: realDateNow,
      queueExpiry: (expire) => realSetImmediate(expire),
      reuses: 64,
    })
  : (): number => Date.now();

/**
 * Wall-clock epoch milliseconds (for `createdAt`, `lastUsedAt`, lifetimes, wait times), as of the
 * current event-loop turn. While `Date.now` is stubbed or faked, it is called directly.
 */
export function now(): number {
  return Date.now === realDateNow ? turnNow() : Date.now();
}

/** Monotonic milliseconds with sub-ms precision (for durations: ping RTT, request times and deadlines). */
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
