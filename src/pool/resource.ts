/**
 * One pooled resource: the public handle ({@link Resource}) and the pool's private bookkeeping
 * for it ({@link ResourceRecord}).
 *
 * Lifecycle of a resource (every arrow is taken at most once per checkout; `destroyed` is terminal):
 *
 * ```text
 *                    create() resolved
 *                           │
 *            no waiter      │      an acquire is waiting (its owner, else the queue head)
 *          ┌────────────────┴────────────────┐
 *          ▼                                 ▼
 *   ┌─────────────┐   acquire() pops it  ┌─────────────┐
 *   │    idle     │ ───────────────────► │  acquired   │ ──┐ release() while an acquire
 *   │ (LIFO stack)│   acquireAllIdle()   │             │ ◄─┘ is queued: handed over as is
 *   │             │ ◄─────────────────── │             │
 *   └──────┬──────┘  release()           └──────┬──────┘
 *          │         releaseUnused()            │
 *          │ destroy()                          │ destroy(); release() after close();
 *          │ close()                            │ close({ timeout }) expiring (forced)
 *          ▼                                    ▼
 *   ┌──────────────────────────────────────────────────┐
 *   │ destroyed: slot freed at once, destroy(value) is │ ◄── create() resolved after close()
 *   │ called exactly once; every method is a no-op     │
 *   └──────────────────────────────────────────────────┘
 * ```
 *
 * @module
 */
import { now } from '../clock.js';
import type { AcquireOptions } from './options.js';

/** Where a resource is in its lifecycle; see the diagram in this module's docs. */
export type ResourceState = 'idle' | 'acquired' | 'destroyed';

/**
 * What a {@link ResourceRecord} calls back into. The pool implements it with one private object,
 * so {@link Resource.release} and {@link Resource.destroy} reach the pool without the pool having
 * to expose those transitions as public methods.
 */
export interface ResourceHost<T> {
  /** An acquired resource comes back; `touch` updates `lastUsedAt` (to `at`, else now). */
  release(record: ResourceRecord<T>, touch: boolean, at?: number): void;
  /** The holder (or an inspector of the idle set) destroys the resource. */
  destroy(record: ResourceRecord<T>): void;
  /** The holder destroys it and takes a replacement created in the same slot. */
  replace(record: ResourceRecord<T>, options: AcquireOptions | undefined): Promise<Resource<T>>;
}

/**
 * The pool's mutable record of one resource. Only the pool writes these fields; the public
 * {@link Resource} reads them. Keeping them here (rather than as `#fields` of `Resource`) lets
 * the pool's hot path update plain properties without any accessor indirection.
 */
export class ResourceRecord<T> {
  /** Current lifecycle state. */
  state: ResourceState = 'acquired';
  /** Epoch ms of creation or of the last `release()`. */
  lastUsedAt: number;
  /** Epoch ms of the current (or last) checkout. */
  acquiredAt: number;
  /** Idle-stack link towards the bottom (less recently released); null unless idle. */
  below: ResourceRecord<T> | null = null;
  /** Idle-stack link towards the top (more recently released); null unless idle. */
  above: ResourceRecord<T> | null = null;
  /** The public handle, one per record for the resource's whole life. */
  readonly resource: Resource<T>;
  /** The pool that owns this record. */
  readonly host: ResourceHost<T>;
  /** Went from `create()` straight to the acquire that started that create. */
  readonly createdForHolder: boolean;

  constructor(host: ResourceHost<T>, value: T, createdAt: number, createdForHolder = false) {
    this.host = host;
    this.lastUsedAt = createdAt;
    this.acquiredAt = createdAt;
    this.createdForHolder = createdForHolder;
    this.resource = new Resource(value, createdAt, this);
  }
}

/**
 * A resource owned by a {@link ResourcePool}. Obtained from `acquire()` (or `acquireAllIdle()`),
 * and given back with exactly one of {@link Resource.release}, {@link Resource.releaseUnused} or
 * {@link Resource.destroy}.
 *
 * The same `Resource` object is handed out again on later checkouts: code that keeps a
 * reference after giving it back can release somebody else's checkout. Layers that need
 * use-after-release protection wrap it in a fresh handle per checkout.
 */
export class Resource<T> {
  /** The pooled value, as returned by `create()`. */
  readonly value: T;
  /** Epoch ms when `create()` resolved. */
  readonly createdAt: number;
  readonly #record: ResourceRecord<T>;

  /**
   * Built only by the pool.
   *
   * @internal
   */
  constructor(value: T, createdAt: number, record: ResourceRecord<T>) {
    this.value = value;
    this.createdAt = createdAt;
    this.#record = record;
  }

  /** Epoch ms of creation or of the last {@link Resource.release} (not `releaseUnused`). */
  get lastUsedAt(): number {
    return this.#record.lastUsedAt;
  }

  /** Epoch ms when the current checkout began (or the last one, once given back). */
  get acquiredAt(): number {
    return this.#record.acquiredAt;
  }

  /** Milliseconds since {@link Resource.lastUsedAt}: how long it has sat unused. */
  get idleDuration(): number {
    return now() - this.#record.lastUsedAt;
  }

  /**
   * True when `create()` made this resource for the acquire that first held it, and handed it over
   * straight (never idle, never to another acquire). A layer that skips checks on a resource made
   * for its very caller (a connection dialled for this acquire needs no ping) asks this.
   */
  get createdForHolder(): boolean {
    return this.#record.createdForHolder;
  }

  /** `'idle'`, `'acquired'` or `'destroyed'`. */
  get state(): ResourceState {
    return this.#record.state;
  }

  /**
   * Give the resource back and mark it used now: it goes to the oldest queued acquire (staying
   * acquired), else on top of the idle stack. After `close()` it is destroyed instead.
   * `at` (epoch ms) saves a clock read for a caller that just read the clock; it defaults to now.
   * A no-op unless the resource is acquired, so a double release is harmless.
   */
  release(at?: number): void {
    this.#record.host.release(this.#record, true, at);
  }

  /**
   * Like {@link Resource.release} but leaves `lastUsedAt` unchanged: for putting back a resource
   * that was only inspected (a health check), so its idle time keeps counting.
   */
  releaseUnused(): void {
    this.#record.host.release(this.#record, false);
  }

  /**
   * Take the resource out of the pool, idle or acquired: its slot is freed at once and the pool's
   * `destroy(value, false)` is called. If acquires are queued, a replacement is created for the
   * oldest. A no-op if already destroyed.
   */
  destroy(): void {
    this.#record.host.destroy(this.#record);
  }

  /**
   * Destroy this acquired resource and create its replacement in the same slot for the same
   * holder, so a holder whose resource failed a check keeps its place: the slot is never offered
   * to queued acquires in between (FIFO holds). Resolves with the new resource, acquired; rejects
   * with the create's error (the slot is then freed as for any failed create), with
   * `WSPOOL_ERR_POOL_CLOSED` after `close()`, or on `options.signal` / `options.timeout` as
   * `acquire()` does (the create then goes on and serves someone else).
   */
  replace(options?: AcquireOptions): Promise<Resource<T>> {
    return this.#record.host.replace(this.#record, options);
  }
}
