/**
 * A point-in-time snapshot of a {@link ResourcePool}, returned frozen by `stat()`. Gauges describe
 * the pool now; counters only grow over the pool's life (durations are summed milliseconds, so a
 * mean is `acquireDuration / acquireCount`).
 *
 * Always `totalResources === idleResources + acquiredResources + constructingResources <= maxSize`.
 */
export interface ResourcePoolStat {
  /** Gauge: resources that hold a slot (idle + acquired + being created). */
  readonly totalResources: number;
  /** Gauge: resources ready for `acquire()`. */
  readonly idleResources: number;
  /** Gauge: resources checked out (including those taken by `acquireAllIdle()`). */
  readonly acquiredResources: number;
  /** Gauge: `create()` calls in flight (an acquire waiting on its own create is counted here). */
  readonly constructingResources: number;
  /** Gauge: acquires queued for a resource somebody else will release or create. */
  readonly pendingAcquires: number;
  /** The configured hard cap on `totalResources`. */
  readonly maxSize: number;
  /** Counter: successful acquires. */
  readonly acquireCount: number;
  /** Counter: total ms the successful acquires took. */
  readonly acquireDuration: number;
  /** Counter: successful acquires that found no idle resource when called (they waited). */
  readonly emptyAcquireCount: number;
  /** Counter: total ms the acquires counted in `emptyAcquireCount` waited. */
  readonly emptyAcquireWaitTime: number;
  /** Counter: acquires that gave up through their `signal` or `timeout`. */
  readonly canceledAcquireCount: number;
  /** Counter: `create()` calls that resolved. */
  readonly createdCount: number;
  /** Counter: `create()` calls that threw or rejected. */
  readonly failedCreateCount: number;
  /** Counter: resources destroyed (the `destroy` callback was called for each). */
  readonly destroyedCount: number;
}

/**
 * The pool's counters in one object, so the pool file keeps to lifecycle. Plain fields: the hot
 * path increments them directly.
 */
export class PoolCounters {
  acquireCount = 0;
  acquireDuration = 0;
  emptyAcquireCount = 0;
  emptyAcquireWaitTime = 0;
  canceledAcquireCount = 0;
  createdCount = 0;
  failedCreateCount = 0;
  destroyedCount = 0;

  /** Record a successful acquire that had to wait `waited` ms (no idle resource at call time). */
  countEmptyAcquire(waited: number): void {
    this.acquireCount++;
    this.acquireDuration += waited;
    this.emptyAcquireCount++;
    this.emptyAcquireWaitTime += waited;
  }
}

/** Gauges read from the pool at snapshot time. */
export interface PoolGauges {
  idle: number;
  acquired: number;
  constructing: number;
  pending: number;
  maxSize: number;
}

/** Build the frozen snapshot returned by `stat()`. */
export function snapshot(g: PoolGauges, c: PoolCounters): ResourcePoolStat {
  return Object.freeze({
    totalResources: g.idle + g.acquired + g.constructing,
    idleResources: g.idle,
    acquiredResources: g.acquired,
    constructingResources: g.constructing,
    pendingAcquires: g.pending,
    maxSize: g.maxSize,
    acquireCount: c.acquireCount,
    acquireDuration: c.acquireDuration,
    emptyAcquireCount: c.emptyAcquireCount,
    emptyAcquireWaitTime: c.emptyAcquireWaitTime,
    canceledAcquireCount: c.canceledAcquireCount,
    createdCount: c.createdCount,
    failedCreateCount: c.failedCreateCount,
    destroyedCount: c.destroyedCount,
  });
}
