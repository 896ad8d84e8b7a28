// Shared fixtures of the multiplexed pool suite: waits that turn the real event loop (so they work
// under fake timers), outcome tracking that never leaves a rejection unhandled, a jar that closes
// every pool a test made, and the leak check on the pending-request structures.
import { performance } from 'node:perf_hooks';
import timers from 'node:timers';
import { expect, vi } from 'vitest';
import { WsPoolError, type WsPoolErrorCode } from '../../src/index.js';
import { kPendingSizes } from '../../src/multiplex/multiplex-pool.js';

// Captured at load, before any test fakes the globals.
const realSetImmediate = timers.setImmediate;
const realSetTimeout = timers.setTimeout;
const realClearTimeout = timers.clearTimeout;
const realNow = performance.now.bind(performance);

/** Fake the library's clock seam only; socket I/O and `setImmediate` stay real. */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
}

/** One turn of the real event loop. */
export function turn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/** A few real turns: lets loopback I/O already under way land. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/** Turns the real event loop until `condition()` holds; fails after `ms` of real time. */
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
  const limit = new Promise<never>((_resolve, reject) => {
    timer = realSetTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    realClearTimeout(timer);
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

/** The rejection of `promise` (within 5 s of real time), asserted to be a `WsPoolError` with `code`. */
export async function wsErrorOf(promise: Promise<unknown>, code: WsPoolErrorCode): Promise<WsPoolError> {
  let caught: unknown;
  try {
    await within(promise, 5_000, `a ${code} rejection`);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WsPoolError);
  expect((caught as WsPoolError).code).toBe(code);
  return caught as WsPoolError;
}

/** A promise with its settle functions in hand. */
export interface Gate<T = void> {
  readonly promise: Promise<T>;
  open(value: T): void;
}

export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

interface Closable {
  close(): Promise<void>;
}

/** Pools a test made; `closeAll()` in `afterEach` so a failing test leaks nothing into the next. */
export class PoolJar {
  readonly #pools: Closable[] = [];

  add<P extends Closable>(pool: P): P {
    this.#pools.push(pool);
    return pool;
  }

  async closeAll(): Promise<void> {
    const pools = this.#pools.splice(0);
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/** The sizes of a pool's pending structures (id map, deadline lanes, queue). */
export function pendingSizes(pool: object): { inFlight: number; deadlines: number; queued: number } {
  return (pool as { [kPendingSizes](): { inFlight: number; deadlines: number; queued: number } })[
    kPendingSizes
  ]();
}

/** Every pending structure of `pool` is empty: nothing leaked. */
export function expectNothingPending(pool: object): void {
  expect(pendingSizes(pool)).toEqual({ inFlight: 0, deadlines: 0, queued: 0 });
}
