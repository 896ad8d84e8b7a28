/**
 * The options of `Pool.acquire()`: their type, and which acquire failures count as the caller
 * giving up. They are validated by `invalidCallOptions()` (util/validate.ts), as `request()`'s are.
 */
import { WsPoolError } from '../errors.js';

/** Options of {@link Pool.acquire} and {@link Pool.withConnection}. */
export interface AcquireOptions {
  /** Cancels the wait (not a dial in progress); rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Ms to wait, then `WSPOOL_ERR_ACQUIRE_TIMEOUT`; the ping of an idle connection counts (except
   * with `0`, which only forbids queueing). @default config.acquireTimeout
   */
  timeout?: number;
}

/** Did an acquire fail because its caller gave up (its `signal` aborted, or it timed out)? */
export function isCancel(error: unknown, signal: AbortSignal | undefined): boolean {
  return (
    (signal?.aborted === true && error === signal.reason) ||
    (error instanceof WsPoolError && error.code === 'WSPOOL_ERR_ACQUIRE_TIMEOUT')
  );
}
