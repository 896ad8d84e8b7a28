/**
 * Handles coming back to the pool: `release()` and `destroy()` of a {@link PooledConnection}. A
 * released connection is parked (unread messages dropped, arrivals discarded) and returns to the
 * core, or goes to the oldest waiter inside this call; one that closed, outlived its lifetime or
 * failed `afterRelease` is destroyed instead. Only the handle that was lent out counts: a stale
 * one is ignored.
 */
import { now } from '../clock.js';
import { kPark, kSetDiscarding } from '../connection/internal.js';
import { channels } from '../diagnostics.js';
import type { Resource } from '../pool/resource.js';
import type { ResolvedPoolConfig } from './config.js';
import { destroyEntry, type PoolEntry } from './entry.js';
import { isExpired } from './policy.js';
import { released, type HandleOwner, type PooledConnection } from './pooled-connection.js';
import type { PoolCounters } from './stat.js';

/** One per pool: the owner every handle of that pool reports back to. */
export class HandleReturns implements HandleOwner<PoolEntry> {
  readonly #pool: object;
  readonly #config: ResolvedPoolConfig;
  readonly #counters: PoolCounters;
  readonly #borrowed: Set<PoolEntry>;
  readonly #closing: AbortSignal;

  /**
   * @param pool the pool, as diagnostics name it.
   * @param borrowed the pool's entries lent out (kept only with `trackLeaks`).
   * @param closing aborts when the pool closes: an `afterRelease` still running is abandoned then.
   */
  constructor(
    pool: object,
    config: ResolvedPoolConfig,
    counters: PoolCounters,
    borrowed: Set<PoolEntry>,
    closing: AbortSignal,
  ) {
    this.#pool = pool;
    this.#config = config;
    this.#counters = counters;
    this.#borrowed = borrowed;
    this.#closing = closing;
  }

  release(handle: PooledConnection, entry: PoolEntry, failed: boolean): void {
    const resource = entry.resource;
    if (!resource || entry.handle !== handle) return;
    const conn = entry.conn;
    entry.handle = null;
    if (this.#config.trackLeaks) this.#borrowed.delete(entry);
    this.#counters.discardedMessages += conn[kPark](released);
    const t = now(); // one clock read serves hold time, lifetime and lastUsedAt
    if (channels.poolRelease.hasSubscribers) {
      channels.poolRelease.publish({ pool: this.#pool, holdMs: t - entry.acquiredAt });
    }
    if (failed) {
      // A reply to the failed work may still be in flight: nobody else may read it.
      this.#counters.errorReleaseCount++;
      destroyEntry(resource, 'error');
      return;
    }
    if (!conn.isOpen) {
      destroyEntry(resource, 'closed');
      return;
    }
    if (isExpired(entry.expiresAt, t)) {
      if (entry.leaving) {
        destroyEntry(resource, 'ejected'); // its endpoint takes no more work
        return;
      }
      this.#counters.maxLifetimeDestroyCount++;
      destroyEntry(resource, 'lifetime');
      return;
    }
    const hook = this.#config.afterRelease;
    if (!hook || this.#closing.aborted) {
      resource.release(t); // after close(), the core destroys it: no hook for a closing connection
      return;
    }
    // The hook may talk on the connection (unsubscribe, reset state) and must see the replies:
    // discarding stays off while it runs, and #finish parks the connection again.
    conn[kSetDiscarding](false);
    let verdict: boolean | void | Promise<boolean | void>;
    try {
      verdict = hook(conn);
    } catch {
      destroyEntry(resource, 'hook');
      return;
    }
    if (isThenable(verdict)) {
      this.#awaitVerdict(resource, verdict);
    } else {
      this.#finish(resource, verdict);
    }
  }

  /**
   * An async `afterRelease` holds the slot until it settles. Bound: `close()`, which destroys the
   * connection at once (the hook's pending reads reject) instead of waiting for the hook.
   */
  #awaitVerdict(resource: Resource<PoolEntry>, verdict: PromiseLike<boolean | void>): void {
    const closing = this.#closing;
    const onClose = (): void => destroyEntry(resource, 'closed');
    closing.addEventListener('abort', onClose, { once: true });
    verdict.then(
      (ok) => {
        closing.removeEventListener('abort', onClose);
        // Already destroyed by close(): nothing left to finish.
        if (resource.state === 'acquired') this.#finish(resource, ok);
      },
      () => {
        closing.removeEventListener('abort', onClose);
        destroyEntry(resource, 'hook');
      },
    );
  }

  #finish(resource: Resource<PoolEntry>, verdict: boolean | void): void {
    const conn = resource.value.conn;
    // What the hook left unread is stale for the next borrower; from here on it is idle.
    this.#counters.discardedMessages += conn[kPark](released);
    if (verdict === false) {
      destroyEntry(resource, 'hook');
    } else if (!conn.isOpen) {
      destroyEntry(resource, 'closed'); // it closed while the hook ran
    } else {
      resource.release();
    }
  }

  destroy(handle: PooledConnection, entry: PoolEntry, reason: string | Error | undefined): void {
    const resource = entry.resource;
    if (!resource || entry.handle !== handle) return;
    entry.handle = null;
    if (this.#config.trackLeaks) this.#borrowed.delete(entry);
    this.#counters.discardedMessages += entry.conn[kPark](released);
    entry.closeReason = typeof reason === 'string' ? reason : (reason?.message ?? '');
    destroyEntry(resource, 'released');
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
