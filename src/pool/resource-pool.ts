/**
 * The generic resource pool core, after jackc/puddle: a hard cap on resources, a LIFO idle stack,
 * a FIFO wait queue, creates owned by the acquire that started them, statistics and close. It
 * knows nothing about WebSockets; the domain pool (health checks, lifetimes, hooks) is a layer on
 * top that supplies `create` and `destroy`.
 *
 * @module
 */
import { MAX_TIMER_MS, now, startTimer, stopTimer, type Timer } from '../clock.js';
import { invalidConfig, poolClosedError } from '../errors.js';
import { DeadlineQueue, type DeadlineTicket } from '../util/deadline-queue.js';
import { LinkedList } from '../util/linked-list.js';
import { IdleStack } from './idle-stack.js';
import type { Lender } from './lender.js';
import {
  isValidTimeout,
  validatePoolOptions,
  type AcquireOptions,
  type CloseOptions,
  type ResourcePoolOptions,
} from './options.js';
import { ResourceRecord, type Resource, type ResourceHost } from './resource.js';
import { PoolCounters, snapshot, type ResourcePoolStat } from './stat.js';
import { Waiter, acquireTimeoutError, lend, poolExhaustedError, type WaiterHost } from './waiter.js';

function ignore(): void {}

/**
 * A bounded pool of resources of type `T`.
 *
 * - `acquire()` takes the most recently released idle resource; failing that it creates one if
 *   fewer than `maxSize` exist (and waits for that create); failing that it queues, first come
 *   first served.
 * - Aborting or timing out an acquire cancels the wait, never a create: a resource created for
 *   an acquire that gave up goes to the next waiter, or idle. The create is told (its
 *   `ownerGaveUp` signal aborts), so it may stop work that only served that acquire.
 * - If the create an acquire started fails, that acquire rejects with the create's error as is,
 *   and the oldest queued acquire starts a create of its own; so an unreachable server makes
 *   every acquire fail with its own error instead of hanging.
 *
 * @example
 * ```ts
 * const pool = new ResourcePool({ maxSize: 4, create: () => dial(), destroy: (s) => s.close() });
 * const res = await pool.acquire({ timeout: 1_000 });
 * try { await use(res.value); res.release(); } catch (err) { res.destroy(); throw err; }
 * await pool.close();
 * ```
 */
export class ResourcePool<T> {
  readonly #maxSize: number;
  readonly #maxWaiting: number;
  readonly #create: (ownerGaveUp: AbortSignal | undefined) => Promise<T>;
  readonly #destroy: (value: T, forced: boolean) => void | Promise<void>;

  // Invariant: while #waiters is non-empty, #idle is empty and idle + acquired + constructing
  // === maxSize. Every path that frees a slot or produces a resource serves the queue first, so
  // an acquire that finds an idle resource (or a free slot) never jumps ahead of a queued one.
  readonly #idle = new IdleStack<T>();
  /** Acquires queued for a resource, oldest first. */
  readonly #waiters = new LinkedList<Waiter<T>>();
  /** Acquires waiting on the create they own; not queued, counted in `constructingResources`. */
  readonly #creators = new LinkedList<Waiter<T>>();
  /** Every idle or acquired resource, so `close({ timeout })` can find the acquired ones. */
  readonly #live = new Set<ResourceRecord<T>>();
  #acquired = 0;
  #constructing = 0;
  #lastCreateError: unknown = undefined;

  #closed = false;
  #closePromise: Promise<void> | undefined;
  #resolveClose: (() => void) | undefined;
  #forceTimer: Timer | undefined;
  /** `destroy` callbacks whose promise has not settled; `close()` waits for them. */
  #pendingDestroys = 0;

  readonly #counters = new PoolCounters();

  // Made once per pool, so resources and waiters reach private methods without per-item closures.
  readonly #resourceHost: ResourceHost<T> = {
    release: (record, touch, at) => this.#release(record, touch, at),
    destroy: (record) => this.#destroyRecord(record, false),
    replace: (record, options) => this.#replace(record, options),
  };
  readonly #waiterHost: WaiterHost<T> = {
    aborted: (waiter, reason) => this.#cancel(waiter, reason),
    timedOut: (waiter) =>
      this.#cancel(waiter, acquireTimeoutError(waiter.timeout, this.#maxSize, this.#lastCreateError)),
  };
  /** Every acquire timeout of the pool, on one timer. */
  readonly #deadlines = new DeadlineQueue<DeadlineTicket<Waiter<T>>>((entry) =>
    this.#waiterHost.timedOut(entry.holder),
  );
  readonly #onDestroySettled = (): void => {
    this.#pendingDestroys--;
    this.#maybeFinishClose();
  };

  /**
   * @param options - see {@link ResourcePoolOptions}.
   * @throws `WSPOOL_ERR_INVALID_CONFIG` naming the first invalid option.
   */
  constructor(options: ResourcePoolOptions<T>) {
    validatePoolOptions(options);
    this.#maxSize = options.maxSize;
    this.#maxWaiting = options.maxWaiting ?? Infinity;
    this.#create = options.create;
    this.#destroy = options.destroy;
  }

  /** True once {@link ResourcePool.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The error of the most recent `create()`, if it failed; `undefined` once a create succeeds. */
  get lastCreateError(): unknown {
    return this.#lastCreateError;
  }

  /** Gauge: idle resources now. Same as `stat().idleResources`, without building a snapshot. */
  get idleCount(): number {
    return this.#idle.length;
  }

  /** Gauge: idle + acquired + constructing now. Same as `stat().totalResources`, without a snapshot. */
  get totalCount(): number {
    return this.#total();
  }

  /**
   * The idle resources, least recently released first: a frozen snapshot (safe to destroy
   * entries while iterating it).
   */
  get idleResources(): readonly Resource<T>[] {
    return Object.freeze(this.#idle.toArray().map((record) => record.resource));
  }

  /**
   * Check out a resource. Give it back with `release()`, `releaseUnused()` or `destroy()`.
   *
   * Rejects with `WSPOOL_ERR_POOL_CLOSED` after `close()`, `signal.reason` when aborted,
   * `WSPOOL_ERR_ACQUIRE_TIMEOUT` (cause: the last create error) when `timeout` elapses,
   * `WSPOOL_ERR_POOL_EXHAUSTED` when `maxWaiting` acquires are already queued, the create's own
   * error when the create this acquire started fails, and `WSPOOL_ERR_INVALID_CONFIG` for a
   * negative or `NaN` timeout.
   */
  acquire(options?: AcquireOptions): Promise<Resource<T>> {
    return this.#acquire(undefined, undefined, options) as Promise<Resource<T>>;
  }

  /**
   * Like {@link ResourcePool.acquire}, but the promise resolves with what `lender.lend(resource,
   * waitedMs, context)` makes of the resource, called synchronously at the moment of hand-over:
   * inside the `release()` that serves this acquire, when its create finishes, or at once for an
   * idle resource. A layer on top thus returns its own handle from one promise, instead of
   * awaiting `acquire()` and wrapping (a second promise and async hop on every hand-off).
   * `lender.canceled(context)` is called when the acquire gives up on its signal or timeout.
   * Rejects as `acquire()` does.
   */
  acquireThrough<R, C>(lender: Lender<T, R, C>, context: C, options?: AcquireOptions): Promise<R> {
    return this.#acquire(lender, context, options) as Promise<R>;
  }

  #acquire(
    lender: Lender<T, unknown, unknown> | undefined,
    context: unknown,
    options: AcquireOptions | undefined,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(poolClosedError());
    if (options !== undefined) {
      if (!isValidTimeout(options.timeout)) {
        return Promise.reject(invalidConfig('timeout', 'a number >= 0 or Infinity', options.timeout));
      }
      const signal = options.signal;
      if (signal?.aborted === true) {
        this.#counters.canceledAcquireCount++;
        lender?.canceled(context);
        return Promise.reject(signal.reason);
      }
    }
    // Hot path: no awaits, no closures, one clock read. An idle resource implies an empty queue
    // (see the invariant above), so taking it is fair. It is synchronous, so it adds nothing to
    // acquireDuration; clock reads cost ~40 ns each and were a third of acquire+release.
    const record = this.#idle.pop();
    if (record !== null) {
      record.state = 'acquired';
      record.acquiredAt = now();
      this.#acquired++;
      this.#counters.acquireCount++;
      const resource = record.resource;
      return Promise.resolve(lender === undefined ? resource : lend(lender, resource, 0, context));
    }
    return this.#acquireSlow(options, lender, context);
  }

  /**
   * Take the most recently released idle resource synchronously, or `null` when none is idle or
   * the pool is closed (the caller then falls back to {@link ResourcePool.acquire}, which queues
   * or creates). Lets a layer on top hand out an idle resource without a promise round trip.
   */
  tryAcquire(): Resource<T> | null {
    if (this.#closed) return null;
    const record = this.#idle.pop();
    if (record === null) return null;
    record.state = 'acquired';
    record.acquiredAt = now();
    this.#acquired++;
    this.#counters.acquireCount++;
    return record.resource;
  }

  /**
   * Background fill: if the pool is open and below `maxSize`, create one resource and give it to
   * the oldest queued acquire, else to the idle stack. Resolves `true` once added, `false` when
   * there was no room, or the pool closed (before the create started, or before it finished: the
   * resource is then destroyed). Rejects with the create's error.
   */
  createResource(): Promise<boolean> {
    if (this.#closed || this.#total() >= this.#maxSize) return Promise.resolve(false);
    return this.#startCreate(null);
  }

  /**
   * Hold one slot outside the idle and borrowed sets (a probe that is not a pooled resource): it
   * counts toward `maxSize`, as constructing, until the returned release is called, which hands
   * the slot to a queued acquire if any. `undefined` when the pool is full or closed. A `close()`
   * in progress waits for the release.
   */
  reserve(): (() => void) | undefined {
    if (this.#closed || this.#total() >= this.#maxSize) return undefined;
    this.#constructing++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#constructing--;
      this.#createForQueued();
      this.#maybeFinishClose();
    };
  }

  /**
   * Check out every idle resource at once, least recently released first (for health checks).
   * Each must be given back with `release()`, `releaseUnused()` or `destroy()`; putting them back
   * with `releaseUnused()` in array order restores the idle stack as it was. Not counted as
   * acquires in {@link ResourcePool.stat}.
   */
  acquireAllIdle(): Resource<T>[] {
    const records = this.#idle.toArray();
    const at = now();
    const out: Resource<T>[] = [];
    for (const record of records) {
      this.#idle.remove(record);
      record.state = 'acquired';
      record.acquiredAt = at;
      this.#acquired++;
      out.push(record.resource);
    }
    return out;
  }

  /** A frozen snapshot of gauges and counters; see {@link ResourcePoolStat}. */
  stat(): ResourcePoolStat {
    return snapshot(
      {
        idle: this.#idle.length,
        acquired: this.#acquired,
        constructing: this.#constructing,
        pending: this.#waiters.length,
        maxSize: this.#maxSize,
      },
      this.#counters,
    );
  }

  /**
   * Close the pool. Idempotent: every call returns the first call's promise (later options are
   * ignored). At once: new acquires reject and queued ones (and those waiting on their own create)
   * reject with `WSPOOL_ERR_POOL_CLOSED`, and idle resources are destroyed. Acquired resources are
   * destroyed when released, or with `forced = true` once `timeout` elapses; creates in flight are
   * awaited and their resources destroyed. Resolves when no resource is left, every `destroy`
   * callback's promise has settled, and the pool holds no timer: so a `create` or `destroy` that
   * never settles keeps it pending (bound them with their own timeouts).
   *
   * Rejects with `WSPOOL_ERR_INVALID_CONFIG` (and does not close) for a negative or `NaN` timeout.
   */
  close(options?: CloseOptions): Promise<void> {
    if (this.#closePromise !== undefined) return this.#closePromise;
    const timeout = options?.timeout;
    if (!isValidTimeout(timeout)) {
      return Promise.reject(invalidConfig('timeout', 'a number >= 0 or Infinity', timeout));
    }
    this.#closed = true;
    this.#closePromise = new Promise<void>((resolve) => {
      this.#resolveClose = resolve;
    });
    for (let w = this.#waiters.shift(); w !== null; w = this.#waiters.shift()) w.reject(poolClosedError());
    for (let w = this.#creators.shift(); w !== null; w = this.#creators.shift()) w.reject(poolClosedError());
    this.#deadlines.stop(); // nothing is waiting any more, and nothing can start to
    for (const record of this.#idle.toArray()) this.#destroyRecord(record, false);
    // Only acquired resources remain in #live now; without any, there is nothing to force.
    if (timeout !== undefined && timeout !== Infinity && this.#live.size > 0) {
      this.#forceTimer = startTimer(() => this.#forceDestroy(), Math.min(timeout, MAX_TIMER_MS));
    }
    this.#maybeFinishClose();
    return this.#closePromise;
  }

  #total(): number {
    return this.#idle.length + this.#acquired + this.#constructing;
  }

  #acquireSlow(
    options: AcquireOptions | undefined,
    lender: Lender<T, unknown, unknown> | undefined,
    context: unknown,
  ): Promise<unknown> {
    const timeout = options?.timeout ?? Infinity;
    if (this.#waiters.length === 0 && this.#total() < this.#maxSize) {
      // Room to grow and nobody ahead: this acquire starts a create and owns it. Armed before the
      // create starts so every callback finds the waiter on its list. A timeout of 0 forbids
      // queueing, not creating, so the create is waited for untimed.
      const waiter = new Waiter<T>(this.#waiterHost, now(), timeout, lender, context);
      this.#creators.push(waiter);
      waiter.arm(options?.signal, timeout === 0 ? Infinity : timeout, this.#deadlines);
      this.#startCreate(waiter).catch(ignore);
      return waiter.promise;
    }
    if (timeout === 0) {
      this.#counters.canceledAcquireCount++;
      lender?.canceled(context);
      return Promise.reject(acquireTimeoutError(0, this.#maxSize, this.#lastCreateError));
    }
    if (this.#waiters.length >= this.#maxWaiting) {
      return Promise.reject(poolExhaustedError(this.#maxWaiting));
    }
    const waiter = new Waiter<T>(this.#waiterHost, now(), timeout, lender, context);
    this.#waiters.push(waiter);
    waiter.arm(options?.signal, timeout, this.#deadlines);
    return waiter.promise;
  }

  /**
   * Take a slot and run `create()` for `owner` (an acquire) or for nobody (a background fill).
   * `create()` runs one microtask later: a create that throws synchronously then fails
   * asynchronously, so a chain of failing creates handed from waiter to waiter cannot recurse.
   */
  #startCreate(owner: Waiter<T> | null): Promise<boolean> {
    this.#constructing++;
    const create = this.#create;
    const gaveUp = owner?.gaveUpSignal();
    // Bound: the create's own (the core cannot cut it; close() waits for it, as documented). The
    // exclusive pool's dial is bounded by connectTimeout, close() and, for its hooks, gaveUp.
    return Promise.resolve()
      .then(() => create(gaveUp))
      .then(
        (value) => this.#created(value, owner),
        (error: unknown) => this.#createFailed(error, owner),
      );
  }

  #created(value: T, owner: Waiter<T> | null): boolean {
    this.#constructing--;
    this.#counters.createdCount++;
    this.#lastCreateError = undefined;
    const at = now();
    // The owner first (it paid for this create); if it gave up, the oldest queued acquire.
    const waiter = owner !== null && !owner.settled ? owner : this.#closed ? null : this.#waiters.shift();
    const record = new ResourceRecord(this.#resourceHost, value, at, waiter !== null && waiter === owner);
    if (this.#closed) {
      // Nobody may receive it any more; the close() in progress waits for this destroy.
      this.#dispose(record, false);
      this.#maybeFinishClose();
      return false;
    }
    this.#live.add(record);
    if (waiter !== null) {
      this.#creators.remove(waiter);
      this.#acquired++;
      this.#handOut(record, waiter, at);
    } else {
      record.state = 'idle';
      this.#idle.push(record);
    }
    return true;
  }

  #createFailed(error: unknown, owner: Waiter<T> | null): never {
    this.#constructing--;
    // A create that stopped because its owner gave up (ownerGaveUp's reason) did not fail.
    const gaveUp = owner?.gaveUpSignal();
    if (gaveUp?.aborted !== true || error !== gaveUp.reason) {
      this.#counters.failedCreateCount++;
      this.#lastCreateError = error;
    }
    if (owner !== null && !owner.settled) {
      this.#creators.remove(owner);
      owner.reject(error);
    }
    this.#createForQueued();
    this.#maybeFinishClose();
    throw error;
  }

  /**
   * A slot was freed. If acquires are queued, the oldest leaves the queue and owns a new create,
   * restoring the invariant (queue non-empty ⇒ pool full) and giving it its own create's outcome.
   */
  #createForQueued(): void {
    while (!this.#closed && this.#total() < this.#maxSize) {
      const waiter = this.#waiters.shift();
      if (waiter === null) return;
      this.#creators.push(waiter);
      this.#startCreate(waiter).catch(ignore);
    }
  }

  /**
   * Give `record` (already counted as acquired) to `waiter` at `at` (epoch ms, read once by the
   * caller for everything it stamps), recording the wait.
   */
  #handOut(record: ResourceRecord<T>, waiter: Waiter<T>, at: number): void {
    record.state = 'acquired';
    record.acquiredAt = at;
    const waited = Math.max(0, at - waiter.startedAt); // the wall clock can step back
    this.#counters.countEmptyAcquire(waited);
    waiter.resolve(record.resource, waited);
  }

  #release(record: ResourceRecord<T>, touch: boolean, at: number | undefined): void {
    if (record.state !== 'acquired') return;
    const t = at ?? now();
    if (touch) record.lastUsedAt = t;
    if (this.#closed) {
      this.#destroyRecord(record, false);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== null) {
      this.#handOut(record, waiter, t);
      return;
    }
    this.#acquired--;
    record.state = 'idle';
    this.#idle.push(record);
  }

  #cancel(waiter: Waiter<T>, reason: unknown): void {
    // Off whichever list holds it. A create it owns carries on and will serve someone else.
    this.#waiters.remove(waiter);
    this.#creators.remove(waiter);
    if (waiter.cancel(reason)) this.#counters.canceledAcquireCount++;
  }

  #replace(record: ResourceRecord<T>, options: AcquireOptions | undefined): Promise<Resource<T>> {
    if (record.state !== 'acquired') {
      return Promise.reject(invalidConfig('connection', 'a borrowed connection', record.state));
    }
    if (this.#closed) {
      this.#destroyRecord(record, false);
      return Promise.reject(poolClosedError());
    }
    const timeout = options?.timeout ?? Infinity;
    if (!isValidTimeout(timeout)) {
      return Promise.reject(invalidConfig('timeout', 'a number >= 0 or Infinity', timeout));
    }
    // Out of the pool without freeing its slot: the replacement's create takes the slot over in
    // this same turn (acquired - 1, constructing + 1), so no queued acquire can claim it.
    this.#acquired--;
    this.#live.delete(record);
    record.state = 'destroyed';
    const waiter = new Waiter<T>(this.#waiterHost, now(), timeout);
    this.#creators.push(waiter);
    const signal = options?.signal;
    if (signal?.aborted === true) {
      this.#startCreate(null).catch(ignore); // the slot's create serves whoever comes next
      this.#creators.remove(waiter);
      waiter.reject(signal.reason);
      this.#counters.canceledAcquireCount++;
    } else {
      waiter.arm(signal, timeout, this.#deadlines);
      this.#startCreate(waiter).catch(ignore);
    }
    this.#dispose(record, false);
    this.#maybeFinishClose();
    return waiter.promise as Promise<Resource<T>>;
  }

  #destroyRecord(record: ResourceRecord<T>, forced: boolean): void {
    if (record.state === 'destroyed') return;
    if (record.state === 'idle') this.#idle.remove(record);
    else this.#acquired--;
    this.#live.delete(record);
    record.state = 'destroyed';
    // Serve the queue before running user code, so a destroy callback that acquires cannot
    // take the freed slot ahead of the queued acquires.
    this.#createForQueued();
    this.#dispose(record, forced);
    this.#maybeFinishClose();
  }

  /** Call the `destroy` callback once; its throw or rejection cannot reach pool state. */
  #dispose(record: ResourceRecord<T>, forced: boolean): void {
    record.state = 'destroyed';
    this.#counters.destroyedCount++;
    const destroy = this.#destroy;
    let result: void | Promise<void>;
    try {
      result = destroy(record.resource.value, forced);
    } catch {
      return;
    }
    if (result !== undefined) {
      this.#pendingDestroys++;
      // Bound: the destroy's own; close() waits for it. The exclusive pool's is bounded by
      // closeTimeout and close({ timeout }).
      Promise.resolve(result).then(this.#onDestroySettled, this.#onDestroySettled);
    }
  }

  #forceDestroy(): void {
    this.#forceTimer = undefined;
    // Deleting the visited entry while iterating a Set is well defined.
    for (const record of this.#live) this.#destroyRecord(record, true);
  }

  #maybeFinishClose(): void {
    const resolve = this.#resolveClose;
    if (resolve === undefined || this.#total() > 0 || this.#pendingDestroys > 0) return;
    this.#resolveClose = undefined;
    stopTimer(this.#forceTimer);
    this.#forceTimer = undefined;
    resolve();
  }
}
