/**
 * The load generator of `wspool bench`, independent of what a request is.
 *
 * - **Closed loop** (default): `concurrency` workers, each sending its next request as soon as the
 *   previous one settles. Latency is measured from each send.
 * - **Open loop** (`rate`): arrivals on a fixed schedule, `start + i / rate`, whether or not earlier
 *   requests have completed. Latency is measured from the *scheduled* time, so a stall in the
 *   server (or in this process) shows up in the percentiles instead of silently delaying the next
 *   sends — the "coordinated omission" a closed loop suffers from. Outstanding requests are capped
 *   at `concurrency`: an arrival beyond the cap is dropped and counted as error `DROPPED`, so memory
 *   stays bounded when the endpoint cannot keep up.
 *
 * Either loop stops issuing at `durationMs` (or when `signal` aborts), then waits up to `drainMs`
 * for outstanding requests (`graceMs` once interrupted), then calls `cancel` (which closes the pool,
 * settling whatever is left) and counts what settles after that as cancelled, not as errors.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo, setTimeout as sleep } from 'node:timers/promises';
import { DROPPED, DROPPED_ERROR, errorCode } from './errors.js';
import { LatencyHistogram } from './histogram.js';

export interface LoadOptions {
  durationMs: number;
  concurrency: number;
  /** Requests per second (open loop); `undefined` = closed loop. */
  rate: number | undefined;
  /** Stop issuing early (Ctrl-C). */
  signal: AbortSignal;
  /** After a run that ran its full duration: how long outstanding requests may take to settle. */
  drainMs: number;
  /** After an interrupted run (or an interrupt during the drain): the same, shorter. */
  graceMs: number;
  /** Make every outstanding request settle now (close the pool). */
  cancel: () => Promise<void>;
}

/** What a run counted. Read live by the progress line, and at the end by the report. */
export class LoadStats {
  /** Every successful request since the start. */
  readonly latency = new LatencyHistogram();
  /** Successful requests since the last {@link takeInterval}. */
  readonly #interval = new LatencyHistogram();
  ok = 0;
  errors = 0;
  /** Requests cut by `cancel` at the end: neither a success nor an error of the endpoint. */
  cancelled = 0;
  /** Count and first error per code (the first one's message goes into the report). */
  readonly errorsByCode = new Map<string, { count: number; first: unknown }>();
  startedAt = 0;
  endedAt = 0;

  success(latencyMs: number): void {
    this.ok++;
    this.latency.record(latencyMs);
    this.#interval.record(latencyMs);
  }

  failure(code: string, error: unknown): void {
    this.errors++;
    const entry = this.errorsByCode.get(code);
    if (entry) entry.count++;
    else this.errorsByCode.set(code, { count: 1, first: error });
  }

  /** Completions and p99 since the previous call, then start a new interval. */
  takeInterval(): { count: number; p99: number } {
    const { count, p99 } = this.#interval.summary();
    this.#interval.reset();
    return { count, p99 };
  }

  get elapsedMs(): number {
    return (this.endedAt || performance.now()) - this.startedAt;
  }
}

/** How long `cancel` may take to settle the last requests before they are given up on. */
const CANCEL_WAIT_MS = 2_000;

/** Run the load; resolves once every request has settled (or was given up on) and `endedAt` is set. */
export async function runLoad(
  request: () => Promise<unknown>,
  options: LoadOptions,
  stats: LoadStats,
): Promise<void> {
  const { signal } = options;
  let outstanding = 0;
  let cancelled = false;
  let finished = false;
  let onIdle: (() => void) | undefined;

  const settle = (ok: boolean, startedAt: number, error?: unknown): void => {
    if (finished) return; // given up on at the end, and already counted as cancelled
    outstanding--;
    if (cancelled) stats.cancelled++;
    else if (ok) stats.success(performance.now() - startedAt);
    else stats.failure(errorCode(error), error);
    if (outstanding === 0) onIdle?.();
  };
  /** Issue one request timed from `startedAt`; resolves when it settles, never rejects. */
  const issue = (startedAt: number): Promise<boolean> => {
    outstanding++;
    return request().then(
      () => {
        settle(true, startedAt);
        return true;
      },
      (error: unknown) => {
        settle(false, startedAt, error);
        return false;
      },
    );
  };

  const start = performance.now();
  stats.startedAt = start;
  const end = start + options.durationMs;
  if (options.rate === undefined) {
    const worker = async (): Promise<void> => {
      while (!signal.aborted && performance.now() < end) {
        // After a failure, let I/O and timers run: a request that fails synchronously (a closed
        // pool) must not spin the loop in microtasks and starve the progress line and Ctrl-C.
        if (!(await issue(performance.now()))) await yieldToIo();
      }
    };
    // Workers stop issuing at `end`; a request in flight then is the drain's business below.
    await Promise.race([
      Promise.all(Array.from({ length: options.concurrency }, worker)),
      sleep(options.durationMs, undefined, { signal }).catch(() => undefined),
    ]);
  } else {
    const interval = 1000 / options.rate;
    for (let i = 0; !signal.aborted;) {
      let due = start + i * interval;
      if (due >= end) break;
      const now = performance.now();
      // Everything due by now goes out at once, each timed from its own slot on the schedule.
      for (; due <= now && due < end; due = start + ++i * interval) {
        if (outstanding >= options.concurrency) stats.failure(DROPPED, DROPPED_ERROR);
        else void issue(due);
      }
      if (due >= end) break;
      await untilDue(due, signal);
    }
  }

  if (outstanding > 0) {
    const idle = new Promise<void>((resolve) => (onIdle = resolve));
    const drained = await waitFor(
      idle,
      signal.aborted ? options.graceMs : options.drainMs,
      signal,
      options.graceMs,
    );
    if (!drained) {
      cancelled = true;
      await options.cancel();
      await waitFor(idle, CANCEL_WAIT_MS);
    }
  }
  finished = true;
  stats.cancelled += outstanding; // never settled, even after the pool closed
  stats.endedAt = performance.now();
}

/**
 * Wait until `due` (a performance.now() time). Timers fire a millisecond late or more, which an open
 * loop would count as latency, so the last stretch is waited out in `setImmediate` steps (each one
 * still lets I/O run): precise to tens of microseconds, for the price of a busy core at high rates.
 */
async function untilDue(due: number, signal: AbortSignal): Promise<void> {
  const ahead = due - performance.now();
  if (ahead > TIMER_SLACK_MS) {
    await sleep(ahead - TIMER_SLACK_MS, undefined, { signal }).catch(() => undefined);
  }
  while (performance.now() < due && !signal.aborted) await yieldToIo();
}

/** How early a timer is asked to fire before an arrival, to absorb its lateness. */
const TIMER_SLACK_MS = 1;

/**
 * True once `promise` settles within `ms`; false at the deadline. An abort of `signal` while
 * waiting shortens the deadline to `abortMs` from then.
 */
async function waitFor(
  promise: Promise<void>,
  ms: number,
  signal?: AbortSignal,
  abortMs = ms,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    if (signal && !signal.aborted) {
      onAbort = () => {
        clearTimeout(timer);
        timer = setTimeout(() => resolve(false), abortMs);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([promise.then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
