/**
 * The options of `Pool.acquire()`: their type, their validation, and which acquire failures count
 * as the caller giving up.
 */
import { WsPoolError, invalidConfig } from '../errors.js';

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

/** @internal The error for a bad `acquire()` option, or `undefined` when they are fine. */
export function invalidAcquireOptions(options: AcquireOptions): WsPoolError | undefined {
  if (typeof options !== 'object' || options === null) return invalidConfig('options', 'an object', options);
  const { timeout, signal } = options;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0)) {
    return invalidConfig('timeout', 'a number of ms >= 0 or Infinity', timeout);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return invalidConfig('signal', 'an AbortSignal', signal);
  }
  return undefined;
}

/** @internal Did an acquire fail because its caller gave up (its `signal` aborted, or it timed out)? */
export function isCancel(error: unknown, signal: AbortSignal | undefined): boolean {
  return (
    (signal?.aborted === true && error === signal.reason) ||
    (error instanceof WsPoolError && error.code === 'WSPOOL_ERR_ACQUIRE_TIMEOUT')
  );
}
