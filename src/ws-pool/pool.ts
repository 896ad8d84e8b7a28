/**
 * The exclusive WebSocket pool: pgxpool semantics as a layer on the generic {@link ResourcePool}.
 * The core owns slots, the idle stack and the FIFO wait queue; this layer owns what is WebSocket
 * specific: dialling (with hooks), lifetimes with jitter, ping-on-acquire, the background health
 * check, refills with backoff, and stale-message isolation between borrowers.
 *
 * Invariant: a connection in the idle stack is in discarding mode (messages that arrive are dropped
 * and counted); a borrowed one is not. Its inbox is emptied at release, before anyone else can
 * acquire it.
 */
import { setMaxListeners } from 'node:events';
import { now } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import { kCreate, kObserver, kSetDiscarding, type ConnectionObserver } from '../connection/internal.js';
import { channels } from '../diagnostics.js';
import { invalidConfig, poolClosedError } from '../errors.js';
import { ResourcePool } from '../pool/resource-pool.js';
import type { Lender } from '../pool/lender.js';
import type { AcquireOptions as CoreAcquireOptions } from '../pool/options.js';
import type { Resource } from '../pool/resource.js';
import { resolvePoolConfig, type PoolConfig, type ResolvedPoolConfig } from './config.js';
import { isExpired, shouldPing } from './policy.js';
import { PooledConnection, type HandleOwner } from './pooled-connection.js';
import { leakReports, poolStat, PoolCounters, type PoolStat, type LeakReport } from './stat.js';
import { HealthChecker } from './health.js';
import { runHealthPass } from './health-pass.js';
import { acquireChecked, type AcquireHost } from './acquire-checks.js';
import { Refiller } from './refiller.js';
import { closePooledConnection, truncateReason } from './close-connection.js';
import type { AcquireOptions } from './acquire-options.js';
import { invalidCallOptions } from '../util/validate.js';
import { destroyEntry, newPoolEntry, type PoolEntry } from './entry.js';
import { HandleReturns } from './handle-returns.js';
import { openPooledConnection } from './open-connection.js';
import { redactUrl } from '../util/redact.js';

export type { AcquireOptions } from './acquire-options.js';

/** Options of {@link Pool.close}. */
export interface PoolCloseOptions {
  /** Ms to wait for borrowed connections to be released, then terminate them. @default Infinity */
  timeout?: number;
}

const kReady = Symbol('wspool.ready');

/**
 * A pool of exclusive WebSocket connections that grows with load up to `maxConns`, keeps
 * `minConns`, closes idle and old connections and health-checks them.
 *
 * @example
 * ```ts
 * const pool = await createPool({ url: 'ws://127.0.0.1:8080', minConns: 2, maxConns: 10 });
 * const reply = await pool.withConnection(async (conn) => {
 *   await conn.sendMessage('hello');
 *   return conn.readMessage({ timeout: 5_000 });
 * });
 * await pool.close();
 * ```
 */
export class Pool implements AsyncDisposable {
  readonly #config: ResolvedPoolConfig;
  readonly #core: ResourcePool<PoolEntry>;
  readonly #health: HealthChecker;
  readonly #ready: Promise<void>;
  readonly #handleOwner: HandleOwner<PoolEntry>;
  /** Turns a connection the core hands over into a checked handle (see `acquire`). */
  readonly #lender: Lender<PoolEntry, PooledConnection, AcquireOptions | undefined>;
  /** What the core is asked for when `acquire()` gets no options: the configured timeout. */
  readonly #defaultCoreOptions: CoreAcquireOptions | undefined;
  readonly #observer: ConnectionObserver;
  /** Entries lent out right now, kept only with `trackLeaks` (for `leaks()`). */
  readonly #borrowed = new Set<PoolEntry>();
  /** Set first thing in `close()`, before the core destroys anything (see there). */
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #dialAbort = new AbortController();
  readonly #refiller: Refiller;
  /**
   * What the checks need from this pool: the background health pass, the acquire ping and the
   * general acquire path (see {@link acquireChecked}). One object, built with the pool.
   */
  readonly #checksHost: AcquireHost;
  /** What `stat()` counts besides the core's (see {@link PoolCounters}). */
  readonly #counters = new PoolCounters();

  /**
   * Validate `config` synchronously (`WSPOOL_ERR_INVALID_CONFIG` naming the field,
   * `WSPOOL_ERR_INVALID_URL`) and start filling `minConns` in the background.
   * Use {@link createPool} to also wait for that first fill.
   */
  constructor(config: PoolConfig) {
    const resolved = resolvePoolConfig(config);
    this.#config = resolved;
    this.#core = new ResourcePool<PoolEntry>({
      maxSize: resolved.maxConns,
      maxWaiting: resolved.maxWaiting,
      create: () => this.#dial(),
      destroy: (entry, forced) => this.#disposeEntry(entry, forced),
    });
    this.#handleOwner = new HandleReturns(this, resolved, this.#counters, this.#borrowed);
    this.#lender = {
      lend: (resource, waited, options) => this.#lendHandedOver(resource, waited, options),
      canceled: () => {
        this.#counters.canceledAcquireCount++;
      },
    };
    this.#defaultCoreOptions =
      resolved.acquireTimeout === Infinity ? undefined : Object.freeze({ timeout: resolved.acquireTimeout });
    this.#observer = {
      connectionClosed: (conn) => this.#connectionClosed(conn as Connection),
      messageDiscarded: () => {
        this.#counters.discardedMessages++;
      },
    };
    // Every dial in flight listens on this one signal (up to maxConns at once) and stops when it
    // settles: not a leak, so no MaxListenersExceededWarning past 10 concurrent dials.
    setMaxListeners(0, this.#dialAbort.signal);
    this.#health = new HealthChecker(resolved.healthCheckPeriod, () => this.#healthCheck());
    this.#refiller = new Refiller(resolved.minConns, () => this.#topUpOnce());
    this.#checksHost = {
      core: this.#core,
      config: resolved,
      counters: this.#counters,
      refiller: this.#refiller,
      destroy: destroyEntry,
      isClosed: () => this.#closed,
      needsPing: (entry, at) => this.#needsPing(entry, at),
      lend: (resource, waited, empty, stack) => this.#lend(resource, waited, empty, stack),
    };
    // A failed first fill is retried with backoff; createPool() reports it instead.
    this.#ready = this.#refiller.fill().then(noop);
    this.#ready.catch(noop); // handled by createPool() when it awaits; otherwise the refiller retries
    this.#health.start();
  }

  /** The redacted URL connections are dialled to. */
  get url(): string {
    return redactUrl(this.#config.url);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Borrow a connection. Idle connections are reused most-recently-released first; otherwise a new
   * one is dialled if under `maxConns`; otherwise the caller waits, first come first served.
   */
  acquire(options?: AcquireOptions): Promise<PooledConnection> {
    // Checked before anything is taken: the fast path below would otherwise lend an idle connection
    // despite a bad option, and a non-AbortSignal `signal` would fail later as an untyped TypeError.
    if (options !== undefined) {
      const invalid = invalidCallOptions(options, true); // timeout 0: take one if free, never queue
      if (invalid) return Promise.reject(invalid);
    }
    // Captured here, before any await, so the stack names the caller (trackLeaks only).
    const stack = this.#config.trackLeaks ? captureStack() : undefined;
    if (this.#config.beforeAcquire === undefined && options?.signal?.aborted !== true) {
      // Fast path: an idle connection that needs no ping and no hook is lent without any await.
      // Wall-clock ms throughout: the core stamps acquiredAt at hand-out, and reusing that stamp
      // saves clock reads (~40 ns each), which dominated acquire+release.
      const resource = this.#core.tryAcquire();
      if (resource !== null) {
        const entry = resource.value;
        const at = resource.acquiredAt;
        entry.resource = resource;
        if (this.#isReady(entry, at)) return Promise.resolve(this.#lend(resource, 0, false, stack));
        return acquireChecked(this.#checksHost, options, resource, at, false, stack);
      }
      // Nothing idle: queue (or create) through the lender, which the core calls at hand-over, so
      // the caller's one promise resolves with the handle. A timeout of 0 and trackLeaks (the stack
      // is per acquire) take the general path.
      if (stack === undefined && (options?.timeout ?? this.#config.acquireTimeout) !== 0) {
        return this.#core.acquireThrough(this.#lender, options, this.#coreOptions(options));
      }
    }
    return acquireChecked(this.#checksHost, options, null, now(), this.#core.idleCount === 0, stack);
  }

  /** The core's options for a pool acquire: the caller's, with the configured default timeout. */
  #coreOptions(options: AcquireOptions | undefined): CoreAcquireOptions | undefined {
    if (options === undefined) return this.#defaultCoreOptions;
    if (options.timeout !== undefined) return options;
    const timeout = this.#config.acquireTimeout;
    return options.signal ? { signal: options.signal, timeout } : { timeout };
  }

  /**
   * The lender's `lend`: the core handed this acquire a connection after `waited` ms (it found none
   * idle, so this is an empty acquire). A connection ready for use becomes a handle right here;
   * one that closed, expired or needs its ping goes through the general path's checks.
   */
  #lendHandedOver(
    resource: Resource<PoolEntry>,
    waited: number,
    options: AcquireOptions | undefined,
  ): PooledConnection | Promise<PooledConnection> {
    const entry = resource.value;
    const at = resource.acquiredAt;
    entry.resource = resource;
    if (!this.#closed && this.#isReady(entry, at)) return this.#lend(resource, waited, true, undefined);
    return acquireChecked(this.#checksHost, options, resource, at - waited, true, undefined);
  }

  /** Open, within its lifetime and not due for a ping at `at`: lent as it is, without any await. */
  #isReady(entry: PoolEntry, at: number): boolean {
    return entry.conn.isOpen && !isExpired(entry.expiresAt, at) && !this.#needsPing(entry, at);
  }

  /** A connection idle (since its last use or ping) for at least `pingIdleAfter` is pinged first. */
  #needsPing(entry: PoolEntry, at: number): boolean {
    return (
      !entry.fresh &&
      shouldPing(
        at - Math.max(entry.resource?.lastUsedAt ?? at, entry.lastPingAt),
        this.#config.pingIdleAfter,
      )
    );
  }

  /**
   * Hand a checked connection to the caller, who waited `waited` ms for it (`empty`: none was idle
   * when it asked): a fresh handle, counters, diagnostics.
   */
  #lend(
    resource: Resource<PoolEntry>,
    waited: number,
    empty: boolean,
    stack: string | undefined,
  ): PooledConnection {
    const entry = resource.value;
    const conn = entry.conn;
    entry.fresh = false;
    this.#refiller.proven();
    conn[kSetDiscarding](false);
    const handle = PooledConnection[kCreate](this.#handleOwner, conn, entry);
    entry.handle = handle;
    if (this.#config.trackLeaks) this.#borrowed.add(entry);
    entry.acquiredAt = resource.acquiredAt;
    entry.acquiredStack = stack;
    this.#counters.acquireCount++;
    this.#counters.acquireDuration += waited;
    if (empty) {
      this.#counters.emptyAcquireCount++;
      this.#counters.emptyAcquireWaitTime += waited;
    }
    if (channels.poolAcquire.hasSubscribers) channels.poolAcquire.publish({ pool: this, waitMs: waited });
    return handle;
  }

  /** Acquire, run `fn`, and always release (destroy if the socket closed meanwhile). */
  async withConnection<T>(fn: (conn: PooledConnection) => Promise<T>, options?: AcquireOptions): Promise<T> {
    const conn = await this.acquire(options);
    try {
      return await fn(conn);
    } finally {
      conn.release();
    }
  }

  /** A frozen snapshot of gauges and counters. Cheap and synchronous. */
  stat(): PoolStat {
    return poolStat(this.#core.stat(), this.#counters);
  }

  /**
   * Borrowed connections held longer than `olderThan` ms, longest first, each with the stack of
   * the `acquire()` that took it: the answer to "the pool is probably full, but who holds it?".
   * Needs `trackLeaks: true` (a debugging aid: it costs a stack capture per acquire); without it
   * the list is empty.
   */
  leaks(olderThan = 0): LeakReport[] {
    return leakReports(this.#borrowed, olderThan);
  }

  /**
   * Close the pool. New and waiting acquires reject `WSPOOL_ERR_POOL_CLOSED`; idle connections close
   * at once; borrowed ones close on release, or are terminated once `timeout` passes. Resolves when
   * every socket is closed and no timer is left. Idempotent.
   */
  close(options?: PoolCloseOptions): Promise<void> {
    if (this.#closing) return this.#closing;
    const timeout = options?.timeout;
    // Validated before anything is torn down: a rejected close() must leave a working pool, not
    // one whose health check and dials are stopped while its core still lends connections.
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0)) {
      return Promise.reject(invalidConfig('timeout', 'a number of ms >= 0 or Infinity', timeout));
    }
    // Flagged before the core closes: the core destroys idle connections synchronously inside
    // close(), and #disposeEntry must already see the pool as closed or it arms a refill timer
    // that outlives the pool.
    this.#closed = true;
    this.#health.stop();
    this.#refiller.stop();
    // Dials in flight are abandoned: close() must not wait out a connectTimeout.
    this.#dialAbort.abort(poolClosedError());
    this.#closing = this.#core.close(timeout === undefined ? {} : { timeout });
    return this.#closing;
  }

  /** `await using pool = await createPool(...)` closes the pool at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal The first fill of `minConns` (what `createPool` waits for). */
  get [kReady](): Promise<void> {
    return this.#ready;
  }

  // ---- dialling --------------------------------------------------------------------------------

  async #dial(): Promise<PoolEntry> {
    const config = this.#config;
    const { conn, discarded } = await openPooledConnection(config, this.#dialAbort.signal);
    this.#counters.discardedMessages += discarded;
    conn[kSetDiscarding](true);
    conn[kObserver](this.#observer);
    return newPoolEntry(conn, config);
  }

  async #disposeEntry(entry: PoolEntry, forced: boolean): Promise<void> {
    const conn = entry.conn;
    entry.handle = null;
    this.#borrowed.delete(entry);
    if (channels.poolDestroy.hasSubscribers) {
      channels.poolDestroy.publish({ pool: this, reason: forced ? 'closed' : entry.destroyReason });
    }
    // The slot is already free: the refill must not wait on the user's hook below.
    if (!forced && entry.fresh && entry.destroyReason === 'closed') this.#refiller.earlyClose();
    if (!this.#closed && this.#core.totalCount < this.#config.minConns) this.#refiller.schedule(false);
    await closePooledConnection(conn, this.#config, forced, truncateReason(entry.closeReason));
  }

  // ---- health ----------------------------------------------------------------------------------

  #connectionClosed(conn: Connection): void {
    // A borrowed connection stays with its borrower (its calls reject CONNECTION_CLOSED; release()
    // frees the slot). An idle one leaves the pool at once.
    for (const resource of this.#core.idleResources) {
      if (resource.value.conn === conn) {
        destroyEntry(resource, 'closed');
        return;
      }
    }
  }

  /** One background pass (see {@link runHealthPass}), then its diagnostics. Never throws. */
  async #healthCheck(): Promise<void> {
    if (this.#closed) return;
    const { checked, destroyed, created } = await runHealthPass(this.#checksHost);
    if (channels.poolHealthCheck.hasSubscribers) {
      channels.poolHealthCheck.publish({ pool: this, checked, destroyed, created });
    }
  }

  /** One top-up pass: open what is missing below `minConns` in parallel (see {@link Refiller}). */
  async #topUpOnce(): Promise<number> {
    if (this.#closed) return 0;
    const missing = this.#config.minConns - this.#core.totalCount;
    if (missing <= 0) return 0;
    const results = await Promise.allSettled(
      Array.from({ length: missing }, () => this.#core.createResource()),
    );
    let created = 0;
    for (const r of results) if (r.status === 'fulfilled' && r.value) created++;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return created;
  }
}

/**
 * Create a pool and wait until `minConns` connections are open. Rejects with the dial error —
 * closing what it opened — if that first fill fails.
 */
export async function createPool(config: PoolConfig): Promise<Pool> {
  const pool = new Pool(config);
  try {
    await pool[kReady];
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

function captureStack(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captureStack);
  return (holder.stack ?? '').split('\n').slice(2).join('\n');
}

function noop(): void {}
