// Waiting and outcome helpers shared by the integration suites: outcome tracking that never
// leaves a rejection unhandled, typed-rejection assertions, and waits that turn the REAL event
// loop (so they work under fake timers, which replace only the library's clock seam).
import { performance } from 'node:perf_hooks';
import timers from 'node:timers';
import { expect, vi } from 'vitest';
import { WsPoolError, type WsPoolErrorCode } from '../../src/index.js';

// Captured at load, before any test fakes the globals (vi.useFakeTimers replaces them and the
// `node:timers` exports).
const realSetImmediate = timers.setImmediate;
const realSetTimeout = timers.setTimeout;
const realClearTimeout = timers.clearTimeout;
/** Real monotonic ms, unaffected by fake timers. */
export const realNow: () => number = performance.now.bind(performance);

/**
 * Fake the library's clock seam only: `setTimeout`, `Date` and `performance`. Socket I/O,
 * `setImmediate` and `process.nextTick` stay real, so real servers keep answering.
 */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
}

/**
 * Run `fn` with only `Date` faked and set to `time` (epoch ms), then restore the real one. The
 * library reads the real wall clock once per event-loop turn, so a stamp it takes is only exact
 * against a faked `Date`.
 */
export async function atFakeDate<T>(time: number, fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    vi.setSystemTime(time);
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

/** The observed state of a promise, recorded without leaving a rejection unhandled. */
export interface Outcome<T> {
  status: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  error?: unknown;
}

export function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { status: 'pending' };
  promise.then(
    (value) => {
      outcome.status = 'fulfilled';
      outcome.value = value;
    },
    (error: unknown) => {
      outcome.status = 'rejected';
      outcome.error = error;
    },
  );
  return outcome;
}

/** The rejection reason of `promise`; fails the test if it fulfils. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it fulfilled');
}

/** The rejection of `promise`, asserted to be a `WsPoolError` with `code`. */
export async function wsErrorOf(promise: Promise<unknown>, code: WsPoolErrorCode): Promise<WsPoolError> {
  const error = await within(rejectionOf(promise), 5_000, `a ${code} rejection`);
  expect(error).toBeInstanceOf(WsPoolError);
  expect((error as WsPoolError).code).toBe(code);
  return error as WsPoolError;
}

/** The synchronous throw of `fn`, asserted to be a `WsPoolError` with `code`. */
export function thrownBy(fn: () => unknown, code: WsPoolErrorCode): WsPoolError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WsPoolError);
  expect((caught as WsPoolError).code).toBe(code);
  return caught as WsPoolError;
}

/** One turn of the real event loop. */
export function turn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/** A few real turns: lets loopback I/O that is already under way land. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/**
 * Turns the real event loop until `condition()` holds; fails after `ms` of real time. For facts
 * only the peer can see (a socket accepted, a close frame received) or that follow real I/O.
 */
export async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = realNow() + ms;
  while (!condition()) {
    if (realNow() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await turn();
  }
}

/** Rejects if `promise` does not settle within `ms` of real time (instead of hanging the test). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = realSetTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    realClearTimeout(timer);
  }
}

/** A promise with its settle functions in hand. */
export interface Gate<T = void> {
  readonly promise: Promise<T>;
  open(value: T): void;
  fail(error: unknown): void;
}

export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}
