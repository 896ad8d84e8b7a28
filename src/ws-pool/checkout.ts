/**
 * The checked hand-out: the exclusive pool's general acquire path, as one sequence that owns the
 * caller's deadline.
 *
 * ```text
 *   take ──► open? ──► expired? ──► ping (if idle ≥ pingIdleAfter) ──► beforeAcquire ──► lend
 *    ▲          │ no       │ yes            │ no pong                   │ false
 *    └──────────┴──────────┴────────────────┴── retire (destroy, or replace in the same slot) ◄┘
 * ```
 *
 * Every step has its bound in view here: `take` waits in the core with what is left of the
 * deadline and the caller's signal (the core's `close()` rejects it too); the ping and the hook are
 * raced against the {@link AcquireBound} (deadline, signal, pool close), and when the bound wins the
 * connection is destroyed (its ping may be dead, its hook may still be talking on it) and the
 * acquire rejects at once. `Pool.acquire()` keeps the fast paths (an idle connection ready as it
 * is, the lender hand-off) and comes here only for a connection that needs a check.
 */
import { monotonic, now } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import { kDiscardPending, kSetDiscarding } from '../connection/internal.js';
import type { DestroyReason } from '../diagnostics.js';
import { WsPoolError, poolClosedError } from '../errors.js';
import type { ResourcePool } from '../pool/resource-pool.js';
import type { Resource } from '../pool/resource.js';
import { AcquireBound } from './acquire-bound.js';
import { isCancel, type AcquireOptions } from './acquire-options.js';
import type { ResolvedPoolConfig } from './config.js';
import { destroyEntry, type PoolEntry } from './entry.js';
import { errorMessage } from './open-connection.js';
import { isExpired } from './policy.js';
import type { PooledConnection } from './pooled-connection.js';
import type { PoolCounters } from './stat.js';

/** What the hand-out needs from its pool (one object per pool, built with it). */
export interface CheckoutHost {
  readonly core: ResourcePool<PoolEntry>;
  readonly config: ResolvedPoolConfig;
  readonly counters: PoolCounters;
  /** Aborts when the pool's `close()` is called. */
  readonly closing: AbortSignal;
  /** Whether the connection is due for a ping before hand-out at `at` (the pool's `#needsPing`). */
  needsPing(resource: Resource<PoolEntry>, at: number): boolean;
  /** An acquire ping answered in `rtt` ms (pools with `endpoints`: a latency sample). */
  readonly pinged?: ((entry: PoolEntry, rtt: number) => void) | undefined;
  /** Hand a checked connection to the caller (the pool's `#lend`). */
  lend(
    resource: Resource<PoolEntry>,
    waited: number,
    empty: boolean,
    stack: string | undefined,
  ): PooledConnection;
}

/** What a check concluded: hand it out, or retire it for this reason. */
type Verdict = 'ok' | DestroyReason;

/**
 * Check out a connection: `first` (already taken from the core) or one taken now, checked,
 * retried with another until one passes. `waited`: ms the caller already waited before this (its
 * deadline counts from when it called); `empty`: none was idle when it asked; `stack`: the caller's
 * (trackLeaks only).
 */
export async function checkOut(
  host: CheckoutHost,
  options: AcquireOptions | undefined,
  first: Resource<PoolEntry> | null,
  waited: number,
  empty: boolean,
  stack: string | undefined,
): Promise<PooledConnection> {
  const started = monotonic() - waited;
  const bound = new AcquireBound(
    options?.timeout ?? host.config.acquireTimeout,
    options?.signal,
    host.closing,
    started,
  );
  let rejections = 0; // beforeAcquire `false`s, bounded by maxConns + 1
  let next = first;
  // A replacement for a connection that failed its check, created in that connection's slot so
  // this caller keeps its place in line (see retire).
  let replacing: Promise<Resource<PoolEntry>> | null = null;
  try {
    for (;;) {
      // Bound: the core's own deadline and signal (bound.coreOptions()), and its close().
      const resource = next ?? (await (replacing ?? host.core.acquire(bound.coreOptions())));
      next = null;
      replacing = null;
      resource.value.resource = resource;
      const verdict = await check(host, bound, resource);
      if (verdict === 'ok') {
        return host.lend(resource, Math.max(0, Math.round(monotonic() - started)), empty, stack);
      }
      if (verdict === 'hook' && ++rejections > host.config.maxConns) {
        destroyEntry(resource, 'hook');
        throw new WsPoolError(
          'WSPOOL_ERR_ACQUIRE_FAILED',
          `beforeAcquire rejected ${rejections} connections in one acquire (maxConns + 1); check the hook's condition.`,
        );
      }
      replacing = retire(host, bound, resource, verdict);
    }
  } catch (error) {
    if (isCancel(error, bound.signal)) host.counters.canceledAcquireCount++;
    throw error;
  } finally {
    bound.dispose();
  }
}

/**
 * Open → within its lifetime → answers a ping (if due) → accepted by `beforeAcquire`. Rejects (the
 * connection destroyed) when the bound fires during a step, or when the hook throws.
 */
async function check(
  host: CheckoutHost,
  bound: AcquireBound,
  resource: Resource<PoolEntry>,
): Promise<Verdict> {
  const { config, counters } = host;
  const entry = resource.value;
  const conn = entry.conn;
  if (!conn.isOpen) return 'closed';
  const at = resource.acquiredAt;
  if (isExpired(entry.expiresAt, at)) {
    counters.maxLifetimeDestroyCount++;
    return 'lifetime';
  }
  if (host.needsPing(resource, at)) {
    // Bound: pingTimeout, and the bound. No pong before either: never handed out again (pgxpool).
    try {
      const rtt = await bound.race(conn.ping({ timeout: config.pingTimeout }));
      entry.lastPingAt = now();
      host.pinged?.(entry, rtt);
    } catch (error) {
      if (!host.closing.aborted) counters.healthCheckDestroyCount++;
      if (!bound.fired) return 'ping';
      destroyEntry(resource, 'ping');
      throw error;
    }
  }
  const hook = config.beforeAcquire;
  if (hook !== undefined) {
    // The hook may talk on the connection (reset session state, check it): it must see the
    // replies, so idle discarding is off while it runs. What it leaves unread is dropped below,
    // as for afterConnect: the borrower starts clean.
    conn[kSetDiscarding](false);
    let verdict: boolean | void;
    try {
      // Bound: the bound. When it wins, destroying the connection rejects the hook's pending reads.
      verdict = await bound.race(runHook(hook, conn));
    } catch (cause) {
      destroyEntry(resource, 'hook');
      if (bound.fired) throw cause;
      throw new WsPoolError(
        'WSPOOL_ERR_ACQUIRE_FAILED',
        `The beforeAcquire hook threw (${errorMessage(cause)}); the connection was discarded. Fix the hook.`,
        { cause },
      );
    }
    if (verdict === false) return 'hook';
    if (!conn.isOpen) return 'closed'; // it closed while the hook ran
    counters.discardedMessages += conn[kDiscardPending]();
  }
  // A step may have ended in the same turn as the bound: a caller that gave up would never
  // release the handle.
  const reason = bound.reason();
  if (reason !== undefined) {
    destroyEntry(resource, host.closing.aborted ? 'closed' : 'hook');
    throw reason;
  }
  return 'ok';
}

/** `beforeAcquire` as a promise: a synchronous throw becomes a rejection. */
function runHook(
  hook: NonNullable<ResolvedPoolConfig['beforeAcquire']>,
  conn: Connection,
): Promise<boolean | void> {
  return new Promise<boolean | void>((resolve) => resolve(hook(conn)));
}

/**
 * Drop a connection that failed its check during an acquire. With another idle connection at
 * hand, destroy it and let the loop take that one (no queue can exist while one is idle).
 * Otherwise create the replacement in the same slot for this caller: destroying it outright
 * would hand the slot to the next queued acquire and send this caller to the back of the line.
 */
function retire(
  host: CheckoutHost,
  bound: AcquireBound,
  resource: Resource<PoolEntry>,
  reason: DestroyReason,
): Promise<Resource<PoolEntry>> | null {
  resource.value.destroyReason = reason;
  if (host.closing.aborted) {
    resource.destroy();
    throw poolClosedError();
  }
  if (host.core.idleCount > 0) {
    resource.destroy();
    return null;
  }
  return resource.replace(bound.coreOptions() ?? {});
}
