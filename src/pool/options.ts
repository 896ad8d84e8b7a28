/**
 * Options of the generic resource pool, and their validation (one message style, through
 * `invalidConfig()`, naming the offending field).
 *
 * @module
 */
import { invalidConfig } from '../errors.js';
import { checkInteger } from '../util/validate.js';

/** How a {@link ResourcePool} makes, bounds and disposes of its resources. */
export interface ResourcePoolOptions<T> {
  /**
   * Hard cap on idle + acquired + being-created resources. An integer ≥ 1.
   */
  maxSize: number;
  /**
   * Most acquires that may queue for a resource; one more rejects at once with
   * `WSPOOL_ERR_POOL_EXHAUSTED`. An integer ≥ 0, or `Infinity`. An acquire waiting on a create it
   * started itself is not queued and does not count.
   *
   * @default Infinity
   */
  maxWaiting?: number | undefined;
  /**
   * Make one resource. Its rejection (or throw) reaches the acquire that started it unchanged.
   * Called without `this`; bind it if it is a method.
   *
   * `ownerGaveUp` is given to a create that an acquire started (not to a background fill): it
   * aborts, with the acquire's reason, once that acquire stops waiting (its signal, its timeout,
   * or `close()`). A create may ignore it (its resource then serves the next acquire, or goes
   * idle) or stop the parts of its work that ran only for that acquire; a create that rejects
   * with exactly `ownerGaveUp.reason` is not counted as a failed create.
   */
  create: (ownerGaveUp: AbortSignal | undefined) => Promise<T>;
  /**
   * Dispose of one resource; called exactly once per resource that `create()` produced.
   * `forced` is true only for resources still checked out when `close({ timeout })` expired.
   * Throws and rejections are swallowed; a returned promise is awaited by `close()`.
   */
  destroy: (value: T, forced: boolean) => void | Promise<void>;
}

/** Per-call options of `acquire()`. */
export interface AcquireOptions {
  /** Aborting gives up the wait (rejecting with `signal.reason`); a create already started goes on. */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds to wait, then reject `WSPOOL_ERR_ACQUIRE_TIMEOUT`. `0` takes a resource only if
   * one is idle or a slot is free to create one (the acquire then waits for that create, untimed);
   * it never queues.
   *
   * @default Infinity
   */
  timeout?: number | undefined;
}

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * Milliseconds to wait for checked-out resources to be released; after it they are destroyed
   * with `forced = true`.
   *
   * @default Infinity
   */
  timeout?: number | undefined;
}

/** Validate the constructor options; throws `WSPOOL_ERR_INVALID_CONFIG` naming the field. */
export function validatePoolOptions<T>(options: ResourcePoolOptions<T>): void {
  if (typeof options !== 'object' || options === null) throw invalidConfig('options', 'an object', options);
  const { maxSize, maxWaiting, create, destroy } = options;
  checkInteger('maxSize', maxSize, 1);
  if (maxWaiting !== undefined) checkInteger('maxWaiting', maxWaiting, 0, { allowInfinity: true });
  if (typeof create !== 'function') throw invalidConfig('create', 'a function', create);
  if (typeof destroy !== 'function') throw invalidConfig('destroy', 'a function', destroy);
}

/** True when `timeout` is acceptable as a duration: `undefined`, a number ≥ 0 or `Infinity` (not `NaN`). */
export function isValidTimeout(timeout: number | undefined): boolean {
  return timeout === undefined || (typeof timeout === 'number' && timeout >= 0);
}
