/**
 * What a health check does: one background pass over idle connections (evict, ping, top up).
 * `HealthChecker` (`health.ts`) only owns the timer that runs the pass; the ping before hand-out
 * is a step of the checked hand-out (`checkout.ts`).
 */
import { now } from '../clock.js';
import { quietSince } from '../connection/internal.js';
import type { DestroyReason } from '../diagnostics.js';
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
  /** Aborts when the pool's `close()` is called: pings under way stop waiting for their pong. */
  readonly closing: AbortSignal;
  /** Destroy with a reason for diagnostics (`destroyEntry` in entry.ts). */
  destroy(resource: Resource<PoolEntry>, reason: DestroyReason): void;
  /** A failure nobody else sees (a connection that did not answer), for `onError`. */
  report(error: unknown): void;
  /** A ping answered in `rtt` ms (pools with `endpoints`: a latency sample of its endpoint). */
  readonly pinged?: ((entry: PoolEntry, rtt: number) => void) | undefined;
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

/**
 * One background pass: evict, ping, top up. Never throws. Bounds: each ping by
 * `pingTimeout` and by `close()` (whose abort settles it at once, so close never waits for a pong);
 * the top-up by `connectTimeout` and `close()`.
 */
export async function runHealthPass(host: HealthPassHost): Promise<HealthPassResult> {
  const { core, config, counters, refiller, closing } = host;
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
        entry.conn.ping({ timeout: config.pingTimeout, signal: closing }).then(
          (rtt) => {
            entry.lastPingAt = now();
            host.pinged?.(entry, rtt);
            refiller.proven();
            resource.releaseUnused();
          },
          (error: unknown) => {
            destroyed++;
            host.destroy(resource, closing.aborted ? 'closed' : 'ping');
            if (closing.aborted) return; // the close ends it, not a health verdict
            counters.healthCheckDestroyCount++;
            host.report(error);
          },
        ),
      );
    } else {
      resource.releaseUnused();
    }
  }
  await Promise.all(pings); // bound: each ping's pingTimeout, and close()
  // While refills back off after failed dials they own the top-up: dialling here too would defeat
  // the backoff and its jitter (every pool would dial each period, in lock step, at a server that
  // is down). A top-up that fails here starts that backoff.
  const created = await refiller.topUpIfIdle(); // bound: connectTimeout, close() (and see Refiller)
  return { checked: idle.length, destroyed, created };
}
