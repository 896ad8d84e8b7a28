/**
 * What a health check does: one background pass over idle connections (evict, ping, top up) and the
 * ping before hand-out. `HealthChecker` (`health.ts`) only owns the timer that runs the pass.
 */
import { now } from '../clock.js';
import { quietSince } from '../connection/internal.js';
import type { DestroyReason } from '../diagnostics.js';
import { WsPoolError } from '../errors.js';
import type { ResourcePool } from '../pool/resource-pool.js';
import type { Resource } from '../pool/resource.js';
import type { ResolvedPoolConfig } from './config.js';
import type { PoolEntry } from './entry.js';
import { isExpired, isIdleExpired, shouldPing } from './policy.js';
import type { Refiller } from './refiller.js';
import type { PoolCounters } from './stat.js';

/** What the checks need from their pool (one object per pool). */
export interface HealthPassHost {
  readonly core: ResourcePool<PoolEntry>;
  readonly config: ResolvedPoolConfig;
  readonly counters: PoolCounters;
  readonly refiller: Refiller;
  /** Destroy with a reason for diagnostics (`destroyEntry` in entry.ts). */
  destroy(resource: Resource<PoolEntry>, reason: DestroyReason): void;
}

/** The outcome of one pass, as `wspool:pool:health-check` reports it. */
export interface HealthPassResult {
  /** Idle connections the pass looked at. */
  checked: number;
  /** Of those, how many it destroyed (closed, expired, idle too long, or failed their ping). */
  destroyed: number;
  /** Connections the top-up opened. */
  created: number;
}

/** One background pass: evict, ping, top up. Never throws. */
export async function runHealthPass(host: HealthPassHost): Promise<HealthPassResult> {
  const { core, config, counters, refiller } = host;
  const idle = core.acquireAllIdle();
  let destroyed = 0;
  const pings: Promise<void>[] = [];
  for (const resource of idle) {
    const entry = resource.value;
    const t = now();
    if (!entry.conn.isOpen) {
      host.destroy(resource, 'closed');
      destroyed++;
    } else if (isExpired(entry.expiresAt, t)) {
      counters.maxLifetimeDestroyCount++;
      host.destroy(resource, 'lifetime');
      destroyed++;
    } else if (
      isIdleExpired(resource.idleDuration, config.maxConnIdleTime, core.totalCount, config.minConns)
    ) {
      counters.maxIdleDestroyCount++;
      host.destroy(resource, 'idle');
      destroyed++;
    } else if (
      shouldPing(
        t - Math.max(resource.lastUsedAt, entry.lastPingAt, quietSince(entry.conn)),
        config.pingIdleAfter,
      )
    ) {
      pings.push(
        entry.conn.ping({ timeout: config.pingTimeout }).then(
          () => {
            entry.lastPingAt = now();
            refiller.proven();
            resource.releaseUnused();
          },
          () => {
            counters.healthCheckDestroyCount++;
            destroyed++;
            host.destroy(resource, 'ping');
          },
        ),
      );
    } else {
      resource.releaseUnused();
    }
  }
  await Promise.all(pings);
  // While refills back off after failed dials they own the top-up: dialling here too would defeat
  // the backoff and its jitter (every pool would dial each period, in lock step, at a server that
  // is down). A top-up that fails here starts that backoff.
  const created = await refiller.topUpIfIdle();
  return { checked: idle.length, destroyed, created };
}

/**
 * Ping before hand-out within `budget` ms (what is left of the acquire's timeout): true if
 * it answered; false if it failed within `pingTimeout` and was destroyed; otherwise the acquire ran
 * out of time or was aborted first, which says nothing about the connection (the caller puts it
 * back).
 */
export async function pingForAcquire(
  host: HealthPassHost,
  resource: Resource<PoolEntry>,
  signal: AbortSignal | undefined,
  budget: number,
): Promise<boolean | 'aborted' | { error: unknown }> {
  const pingTimeout = host.config.pingTimeout;
  const limited = budget < pingTimeout;
  const timeout = limited ? Math.max(0, budget) : pingTimeout;
  try {
    await resource.value.conn.ping(signal ? { timeout, signal } : { timeout });
    resource.value.lastPingAt = now();
    return true;
  } catch (error) {
    if (signal?.aborted && error === signal.reason) return 'aborted';
    if (limited && error instanceof WsPoolError && error.code === 'WSPOOL_ERR_PING_TIMEOUT') return { error };
    host.counters.healthCheckDestroyCount++;
    return false; // the caller retires it
  }
}
