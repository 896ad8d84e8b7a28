/**
 * The exclusive pool's general acquire path: wait for the core, then check the connection it hands
 * over (open, within its lifetime, answering a ping if idle a while, accepted by `beforeAcquire`)
 * and retry with another until one passes. `Pool.acquire()` keeps the fast paths (an idle
 * connection ready as it is, the lender hand-off) and comes here for everything else.
 */
import { now } from '../clock.js';
import { kDiscardPending, kPark, kSetDiscarding } from '../connection/internal.js';
import type { DestroyReason } from '../diagnostics.js';
import { WsPoolError, poolClosedError } from '../errors.js';
import type { Resource } from '../pool/resource.js';
import { isCancel, type AcquireOptions } from './acquire-options.js';
import type { PoolEntry } from './entry.js';
import { pingForAcquire, type HealthPassHost } from './health-pass.js';
import { errorMessage } from './open-connection.js';
import { isExpired } from './policy.js';
import { released, type PooledConnection } from './pooled-connection.js';

/**
 * What the general acquire path needs from its pool (one object per pool, built with it):
 * the health checks' host (the acquire ping needs it too) plus the pool's private state and steps.
 */
export interface AcquireHost extends HealthPassHost {
  /** True once the pool's `close()` was called (read live: it may change across an await). */
  isClosed(): boolean;
  /** Whether the connection is due for a ping before hand-out at `at` (the pool's `#needsPing`). */
  needsPing(entry: PoolEntry, at: number): boolean;
  /** Hand a checked connection to the caller (the pool's `#lend`). */
  lend(
    resource: Resource<PoolEntry>,
    waited: number,
    empty: boolean,
    stack: string | undefined,
  ): PooledConnection;
}

/**
 * The general path: wait for the core, then check the connection, retrying with another.
 * `first` is a connection already taken from the core (checked before waiting for another);
 * `started` the wall-clock ms the acquire began (its deadline and wait time count from there);
 * `empty` whether none was idle when the caller asked; `stack` the caller's (trackLeaks only).
 */
export async function acquireChecked(
  host: AcquireHost,
  options: AcquireOptions | undefined,
  first: Resource<PoolEntry> | null,
  started: number,
  empty: boolean,
  stack: string | undefined,
): Promise<PooledConnection> {
  const { core, config, counters } = host;
  const signal = options?.signal;
  const timeout = options?.timeout ?? config.acquireTimeout;
  const deadline = timeout === Infinity ? Infinity : started + timeout;
  let rejections = 0;
  let next = first;
  // A replacement for a connection that failed its check, created in that connection's slot so
  // this caller keeps its place in line (see retire).
  let replacing: Promise<Resource<PoolEntry>> | null = null;
  for (;;) {
    let resource: Resource<PoolEntry>;
    if (next !== null) {
      resource = next;
      next = null;
    } else {
      try {
        if (replacing !== null) {
          const pending = replacing;
          replacing = null;
          resource = await pending;
        } else if (deadline === Infinity && signal === undefined) {
          resource = await core.acquire(); // the common case: no options object to allocate
        } else {
          const remaining = deadline === Infinity ? Infinity : Math.max(0, deadline - now());
          resource = await core.acquire(signal ? { signal, timeout: remaining } : { timeout: remaining });
        }
      } catch (error) {
        if (isCancel(error, signal)) counters.canceledAcquireCount++;
        throw error;
      }
    }
    const entry = resource.value;
    const conn = entry.conn;
    entry.resource = resource;
    if (!conn.isOpen) {
      replacing = retire(host, resource, 'closed', signal, deadline);
      continue;
    }
    const at = resource.acquiredAt;
    if (isExpired(entry.expiresAt, at)) {
      counters.maxLifetimeDestroyCount++;
      replacing = retire(host, resource, 'lifetime', signal, deadline);
      continue;
    }
    if (host.needsPing(entry, at)) {
      // The ping counts against the acquire's timeout, except for timeout 0, which forbids
      // queueing, not checking (as the core waits untimed for a create that timeout 0 started).
      const budget = timeout === 0 ? Infinity : deadline - now();
      const alive = await pingForAcquire(host, resource, signal, budget);
      if (alive === false) {
        replacing = retire(host, resource, 'ping', signal, deadline);
        continue;
      }
      if (alive !== true) {
        // Out of time or aborted is no verdict on the connection: it goes back as it was.
        counters.canceledAcquireCount++;
        resource.releaseUnused();
        if (alive === 'aborted') throw signal?.reason;
        throw new WsPoolError(
          'WSPOOL_ERR_ACQUIRE_TIMEOUT',
          `No connection could be checked within ${timeout} ms: the idle one tried did not answer its ping in time (see cause). Raise the acquire timeout, or lower pingTimeout so an unresponsive connection is given up sooner.`,
          { cause: alive.error },
        );
      }
    }
    if (config.beforeAcquire) {
      // The hook may talk on the connection (reset session state, check it): it must see the
      // replies, so idle discarding is off while it runs. What it leaves unread is dropped
      // below, as for afterConnect: the borrower starts clean.
      conn[kSetDiscarding](false);
      let verdict: boolean | void;
      try {
        verdict = await config.beforeAcquire(conn);
      } catch (cause) {
        host.destroy(resource, 'hook');
        throw new WsPoolError(
          'WSPOOL_ERR_ACQUIRE_FAILED',
          `The beforeAcquire hook threw (${errorMessage(cause)}); the connection was discarded. Fix the hook.`,
          { cause },
        );
      }
      if (verdict === false) {
        if (++rejections > config.maxConns) {
          host.destroy(resource, 'hook');
          throw new WsPoolError(
            'WSPOOL_ERR_ACQUIRE_FAILED',
            `beforeAcquire rejected ${rejections} connections in one acquire (maxConns + 1); check the hook's condition.`,
          );
        }
        replacing = retire(host, resource, 'hook', signal, deadline);
        continue;
      }
      // The hook may have taken a while. A caller that gave up meanwhile would never release
      // the handle (a leaked slot), so it gets its rejection and the connection goes back; a
      // socket that closed meanwhile is not handed out.
      if (signal?.aborted === true && !host.isClosed()) {
        counters.canceledAcquireCount++;
        counters.discardedMessages += conn[kPark](released); // back to idle, discarding again
        resource.releaseUnused();
        throw signal.reason;
      }
      if (!conn.isOpen) {
        replacing = retire(host, resource, 'closed', signal, deadline);
        continue;
      }
      counters.discardedMessages += conn[kDiscardPending]();
    }
    if (host.isClosed()) {
      resource.release(); // destroyed by the core, since it is closed
      throw poolClosedError();
    }
    return host.lend(resource, Math.max(0, at - started), empty, stack);
  }
}

/**
 * Drop a connection that failed its check during an acquire. With another idle connection at
 * hand, destroy it and let the loop take that one (no queue can exist while one is idle).
 * Otherwise create the replacement in the same slot for this caller: destroying it outright
 * would hand the slot to the next queued acquire and send this caller to the back of the line.
 */
function retire(
  host: AcquireHost,
  resource: Resource<PoolEntry>,
  reason: DestroyReason,
  signal: AbortSignal | undefined,
  deadline: number,
): Promise<Resource<PoolEntry>> | null {
  resource.value.destroyReason = reason;
  if (host.isClosed() || host.core.idleCount > 0) {
    resource.destroy();
    return null;
  }
  const remaining = deadline === Infinity ? Infinity : Math.max(0, deadline - now());
  return resource.replace(signal ? { signal, timeout: remaining } : { timeout: remaining });
}
