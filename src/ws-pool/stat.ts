import { now } from '../clock.js';
import type { EndpointStat } from '../endpoints/endpoint-set.js';
import type { ResourcePoolStat } from '../pool/stat.js';
import type { PoolEntry } from './entry.js';

/**
 * A frozen snapshot returned by `Pool.stat()`. Gauges describe the pool now; counters only grow.
 * Always `totalConns === idleConns + acquiredConns + constructingConns <= maxConns`; sockets already
 * closing no longer count.
 */
export interface PoolStat {
  /** Gauge: connections holding a slot (idle + acquired + constructing). */
  readonly totalConns: number;
  /** Gauge: open connections ready to hand out. */
  readonly idleConns: number;
  /** Gauge: connections lent out (or being checked by the health check). */
  readonly acquiredConns: number;
  /** Gauge: dials in progress (an acquire waiting on its own dial is counted here). */
  readonly constructingConns: number;
  /** Gauge: acquires queued for a connection. */
  readonly pendingAcquires: number;
  /** The configured `maxConns`. */
  readonly maxConns: number;
  /** Counter: successful acquires. */
  readonly acquireCount: number;
  /** Counter: total ms successful acquires took. */
  readonly acquireDuration: number;
  /** Counter: successful acquires that found no idle connection when called. */
  readonly emptyAcquireCount: number;
  /** Counter: total ms those acquires waited. */
  readonly emptyAcquireWaitTime: number;
  /** Counter: acquires that gave up (abort or timeout). */
  readonly canceledAcquireCount: number;
  /** Counter: connections opened. */
  readonly newConnsCount: number;
  /** Counter: dials that failed. */
  readonly failedConnectCount: number;
  /** Counter: connections closed for exceeding `maxConnLifetime`. */
  readonly maxLifetimeDestroyCount: number;
  /** Counter: connections closed for exceeding `maxConnIdleTime`. */
  readonly maxIdleDestroyCount: number;
  /** Counter: connections closed because a ping failed (health check or acquire). */
  readonly healthCheckDestroyCount: number;
  /** Counter: messages dropped because nobody held the connection (left unread, or arrived while idle). */
  readonly discardedMessages: number;
  /**
   * Counter: releases that destroyed the connection because the work on it failed: `release(error)`,
   * a release after a failed `exchange()`, and `withConnection` whose callback threw.
   */
  readonly errorReleaseCount: number;
  /** Per endpoint, in config order (pools with `endpoints`; absent with a single `url`). */
  readonly endpoints?: readonly EndpointStat[];
}

/** One borrowed connection held too long, from `Pool.leaks()`. */
export interface LeakReport {
  /** Ms since it was acquired. */
  readonly heldMs: number;
  /** Its redacted URL. */
  readonly url: string;
  /** Stack trace of the `acquire()` call, when `trackLeaks` is on. */
  readonly acquiredAt: string | undefined;
}

/**
 * The pool-level counters behind {@link PoolStat} (the core counts its own attempts; one
 * pool acquire may take several). Plain fields: the hot paths bump them with no call and no allocation.
 */
export class PoolCounters {
  acquireCount = 0;
  acquireDuration = 0;
  emptyAcquireCount = 0;
  emptyAcquireWaitTime = 0;
  canceledAcquireCount = 0;
  maxLifetimeDestroyCount = 0;
  maxIdleDestroyCount = 0;
  healthCheckDestroyCount = 0;
  discardedMessages = 0;
  errorReleaseCount = 0;
}

/** The {@link PoolStat} snapshot: the core's gauges and counts with the pool's own counters. */
export function poolStat(
  core: ResourcePoolStat,
  counters: PoolCounters,
  endpoints?: readonly EndpointStat[],
): PoolStat {
  const stat: PoolStat = {
    totalConns: core.totalResources,
    idleConns: core.idleResources,
    acquiredConns: core.acquiredResources,
    constructingConns: core.constructingResources,
    pendingAcquires: core.pendingAcquires,
    maxConns: core.maxSize,
    acquireCount: counters.acquireCount,
    acquireDuration: counters.acquireDuration,
    emptyAcquireCount: counters.emptyAcquireCount,
    emptyAcquireWaitTime: counters.emptyAcquireWaitTime,
    canceledAcquireCount: counters.canceledAcquireCount,
    newConnsCount: core.createdCount,
    failedConnectCount: core.failedCreateCount,
    maxLifetimeDestroyCount: counters.maxLifetimeDestroyCount,
    maxIdleDestroyCount: counters.maxIdleDestroyCount,
    healthCheckDestroyCount: counters.healthCheckDestroyCount,
    discardedMessages: counters.discardedMessages,
    errorReleaseCount: counters.errorReleaseCount,
  };
  return Object.freeze(endpoints === undefined ? stat : { ...stat, endpoints });
}

/** The `borrowed` entries held at least `olderThan` ms, longest first (see `Pool.leaks`). */
export function leakReports(borrowed: Iterable<PoolEntry>, olderThan: number): LeakReport[] {
  const out: LeakReport[] = [];
  const t = now();
  for (const entry of borrowed) {
    const heldMs = t - entry.acquiredAt;
    if (heldMs >= olderThan) {
      out.push(Object.freeze({ heldMs, url: entry.conn.url, acquiredAt: entry.acquiredStack }));
    }
  }
  return out.sort((a, b) => b.heldMs - a.heldMs);
}
