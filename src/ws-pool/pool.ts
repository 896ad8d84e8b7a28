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
import { MAX_TIMER_MS, startTimer, stopTimer, type Timer } from '../clock.js';
import type { Connection, SendData } from '../connection/connection.js';
import type { Message } from '../connection/inbox.js';
import {
  kCreate,
  kLastError,
  kObserver,
  kSetDiscarding,
  type ConnectionObserver,
} from '../connection/internal.js';
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
import { runHealthPass, type HealthPassHost } from './health-pass.js';
import { checkOut, type CheckoutHost } from './checkout.js';
import { Refiller } from './refiller.js';
import { reportBackground, type BackgroundPhase } from './on-error.js';
import { closePooledConnection, truncateReason } from './close-connection.js';
import type { AcquireOptions } from './acquire-options.js';
import { invalidCallOptions } from '../util/validate.js';
import { destroyEntry, newPoolEntry, type PoolEntry } from './entry.js';
import { HandleReturns } from './handle-returns.js';
import { borrowFor, exchangeOn, JSON_EXCHANGE, RAW_EXCHANGE, type ExchangeKind } from './borrow.js';
import { openPooledConnection } from './open-connection.js';
import { redactUrl } from '../util/redact.js';
import { EndpointSet, type Endpoint, type EndpointHost } from '../endpoints/endpoint-set.js';
import { endpointReports, openOnEndpoints, probeEndpoint } from './endpoint-dial.js';
import { WsPoolError, isWsPoolError } from '../errors.js';

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
  /**
   * Aborted first thing in `close()`: every dial, dial hook, acquire check and ping under way races
   * against it, so none of them can hold up the close.
   */
  readonly #closeAbort = new AbortController();
  /** Aborted when `close({ timeout })` runs out: `beforeClose` hooks still running are cut short. */
  readonly #closeDeadline = new AbortController();
  #closeTimer: Timer | undefined;
  readonly #refiller: Refiller;
  /** What the checked hand-out needs from this pool (see {@link checkOut}); built with the pool. */
  readonly #checkoutHost: CheckoutHost;
  /** What the background health pass needs (see {@link runHealthPass}). */
  readonly #healthHost: HealthPassHost;
  /** createPool() awaits the first fill and reports its failure itself: not onError's. */
  #firstFillClaimed = false;
  /** What `stat()` counts besides the core's (see {@link PoolCounters}). */
  readonly #counters = new PoolCounters();
  /** With `endpoints` only: their health and the choice among them. */
  readonly #endpoints: EndpointSet | undefined;
  /** With `endpoints` only: every open entry, to find an ejected endpoint's connections. */
  readonly #entries = new Set<PoolEntry>();

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
      create: (ownerGaveUp) => this.#dial(ownerGaveUp),
      destroy: (entry, forced) => this.#disposeEntry(entry, forced),
    });
    this.#handleOwner = new HandleReturns(
      this,
      resolved,
      this.#counters,
      this.#borrowed,
      this.#closeAbort.signal,
    );
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
    // Every dial, check and ping in flight listens on this one signal (up to maxConns at once, plus
    // pending afterRelease hooks) and stops listening when it settles: not a leak, so no
    // MaxListenersExceededWarning past 10 of them.
    setMaxListeners(0, this.#closeAbort.signal);
    // Every closing handshake and beforeClose under way listens on this one (up to maxConns).
    setMaxListeners(0, this.#closeDeadline.signal);
    this.#health = new HealthChecker(resolved.healthCheckPeriod, () => this.#healthCheck());
    this.#refiller = new Refiller(
      resolved.minConns,
      () => this.#topUpOnce(),
      (error) => this.#report(error, 'refill'),
    );
    this.#endpoints =
      resolved.endpoints === undefined
        ? undefined
        : new EndpointSet(resolved.endpoints, this.#endpointHost());
    const endpoints = this.#endpoints;
    const pinged =
      endpoints && ((entry: PoolEntry, rtt: number) => endpoints.succeeded(entry.endpoint as Endpoint, rtt));
    this.#checkoutHost = {
      pinged,
      core: this.#core,
      config: resolved,
      counters: this.#counters,
      closing: this.#closeAbort.signal,
      needsPing: (resource, at) => this.#needsPing(resource.value, resource, at),
      lend: (resource, waited, empty, stack) => this.#lend(resource, waited, empty, stack),
    };
    this.#healthHost = {
      pinged,
      core: this.#core,
      config: resolved,
      counters: this.#counters,
      refiller: this.#refiller,
      closing: this.#closeAbort.signal,
      destroy: destroyEntry,
      report: (error) => this.#report(error, 'health-check'),
    };
    // A failed first fill is retried with backoff. createPool() reports it to its caller; a pool
    // made with `new` has no caller for it, so it goes to onError.
    this.#ready = this.#refiller.fill().then(noop);
    this.#ready.catch((error: unknown) => {
      if (!this.#firstFillClaimed) this.#report(error, 'refill');
    });
    this.#health.start();
  }

  /** The redacted URL connections are dialled to (with `endpoints`: the first one; see `stat().endpoints`). */
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
        entry.resource = resource;
        if (this.#isReady(entry, resource, resource.acquiredAt)) {
          return Promise.resolve(this.#lend(resource, 0, false, stack));
        }
        return checkOut(this.#checkoutHost, options, resource, 0, false, stack);
      }
      // Nothing idle: queue (or create) through the lender, which the core calls at hand-over, so
      // the caller's one promise resolves with the handle. A timeout of 0 and trackLeaks (the stack
      // is per acquire) take the general path.
      if (stack === undefined && (options?.timeout ?? this.#config.acquireTimeout) !== 0) {
        return this.#core.acquireThrough(this.#lender, options, this.#coreOptions(options));
      }
    }
    return checkOut(this.#checkoutHost, options, null, 0, this.#core.idleCount === 0, stack);
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
    entry.resource = resource;
    if (!this.#closed && this.#isReady(entry, resource, resource.acquiredAt)) {
      return this.#lend(resource, waited, true, undefined);
    }
    return checkOut(this.#checkoutHost, options, resource, waited, true, undefined);
  }

  /** Open, within its lifetime and not due for a ping at `at`: lent as it is, without any await. */
  #isReady(entry: PoolEntry, resource: Resource<PoolEntry>, at: number): boolean {
    return entry.conn.isOpen && !isExpired(entry.expiresAt, at) && !this.#needsPing(entry, resource, at);
  }

  /**
   * A connection idle (since it opened, its last release or its last ping) for at least
   * `pingIdleAfter` is pinged first. Only one dialled for this very acquire is exempt: one filled
   * by `minConns`, or dialled for an acquire that gave up, may have sat idle behind a NAT that
   * dropped it.
   */
  #needsPing(entry: PoolEntry, resource: Resource<PoolEntry>, at: number): boolean {
    if (entry.fresh && resource.createdForHolder) return false;
    return shouldPing(at - Math.max(resource.lastUsedAt, entry.lastPingAt), this.#config.pingIdleAfter);
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

  /**
   * Acquire, run `fn`, and always release. If `fn` throws (or rejects), the connection is released
   * with that error, so destroyed (a reply to the failed work may still be on its way and must not
   * reach the next borrower), and the error is rethrown.
   */
  withConnection<T>(fn: (conn: PooledConnection) => Promise<T>, options?: AcquireOptions): Promise<T> {
    return borrowFor(this.acquire(options), fn);
  }

  /**
   * Acquire, send `data`, read the next message as the reply, release: the safe request/reply for
   * protocols without correlation ids. `timeout` is one deadline for all of it: expiry while waiting
   * for a connection rejects `WSPOOL_ERR_ACQUIRE_TIMEOUT`, after the send `WSPOOL_ERR_READ_TIMEOUT`.
   * Without `timeout`, the wait for a connection is bounded by `acquireTimeout` and the reply is
   * waited for without limit (as `read()` does). On a timeout, abort or any error after the send the
   * connection is destroyed, never reused, so a late reply can never reach another borrower.
   */
  exchange(data: SendData, options?: AcquireOptions): Promise<Message> {
    return exchangeOn(this.acquire(options), RAW_EXCHANGE, data, options);
  }

  /** {@link Pool.exchange} with `sendJSON(value)` and `readJSON<T>()`. */
  exchangeJSON<T = unknown>(value: unknown, options?: AcquireOptions): Promise<T> {
    return exchangeOn(this.acquire(options), JSON_EXCHANGE as ExchangeKind<T>, value, options);
  }

  /** A frozen snapshot of gauges and counters. Cheap and synchronous. */
  stat(): PoolStat {
    return poolStat(this.#core.stat(), this.#counters, this.#endpoints?.stat());
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
    // Dials, their hooks, acquire checks and pings in flight are abandoned: close() must not wait
    // out a connectTimeout, a pingTimeout or a hook.
    this.#endpoints?.stop();
    // Endpoint probes under way are abandoned with the dials.
    this.#closeAbort.abort(poolClosedError());
    // The core forces borrowed connections at the timeout; beforeClose hooks still running then are
    // cut short here (they are past the core's reach: their slots are already free).
    if (timeout === 0) this.#closeDeadline.abort();
    else if (timeout !== undefined && timeout !== Infinity) {
      this.#closeTimer = startTimer(() => this.#closeDeadline.abort(), Math.min(timeout, MAX_TIMER_MS));
    }
    this.#closing = this.#core.close(timeout === undefined ? {} : { timeout }).finally(() => {
      stopTimer(this.#closeTimer);
      this.#closeTimer = undefined;
    });
    return this.#closing;
  }

  /** `await using pool = await createPool(...)` closes the pool at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal The first fill of `minConns`, claimed by `createPool`, which reports its failure. */
  get [kReady](): Promise<void> {
    this.#firstFillClaimed = true;
    return this.#ready;
  }

  /** Report a background failure to `onError` (nothing once the pool is closing: that is expected). */
  #report(error: unknown, phase: BackgroundPhase): void {
    if (this.#closed) return;
    reportBackground(this.#config.onError, error, phase, this.#config.url, this.url);
  }

  // ---- dialling --------------------------------------------------------------------------------

  /** Bound: connectTimeout, close(), and, for the hooks, the owning acquire giving up. */
  async #dial(ownerGaveUp: AbortSignal | undefined): Promise<PoolEntry> {
    const config = this.#config;
    if (this.#endpoints !== undefined) return this.#dialEndpoint(this.#endpoints, ownerGaveUp);
    const { conn, discarded } = await openPooledConnection(config, this.#closeAbort.signal, ownerGaveUp);
    this.#counters.discardedMessages += discarded;
    conn[kSetDiscarding](true);
    conn[kObserver](this.#observer);
    return newPoolEntry(conn, config);
  }

  /** A dial of a pool with `endpoints`: the best endpoint, then the next ones if it fails. */
  async #dialEndpoint(endpoints: EndpointSet, ownerGaveUp: AbortSignal | undefined): Promise<PoolEntry> {
    const config = this.#config;
    const { conn, discarded, endpoint } = await openOnEndpoints(endpoints, config, this.#closeAbort.signal, {
      ownerGaveUp,
    });
    this.#counters.discardedMessages += discarded;
    conn[kSetDiscarding](true);
    const entry = newPoolEntry(conn, config);
    entry.endpoint = endpoint;
    this.#entries.add(entry); // until #endpointGone, which the core's destroy always reaches
    conn[kObserver]({
      connectionClosed: (closed) => {
        // Closed by the peer or the network, not by this pool: the endpoint failed.
        if (!entry.disposing && !this.#closed) endpoints.failed(endpoint, closedError(entry), false);
        this.#connectionClosed(closed as Connection);
      },
      messageDiscarded: (conn) => this.#observer.messageDiscarded(conn),
    });
    return entry;
  }

  /** The endpoint side of this pool: probes through a slot of the core, eviction of connections. */
  #endpointHost(): EndpointHost {
    const reports = endpointReports(this, this.#config);
    return {
      ...reports,
      probe: (endpoint) => {
        const release = this.#reserveForProbe();
        if (release === undefined) return Promise.resolve(undefined); // all borrowed: try later
        return probeEndpoint(this.#config, endpoint, this.#closeAbort.signal).finally(release);
      },
      ejected: (endpoint, error) => {
        this.#evict((e) => e === endpoint);
        reports.ejected(endpoint, error);
      },
      retargeted: (target) => this.#evict((e) => e !== target),
    };
  }

  /**
   * A slot under `maxConns` for a probe. When the pool is full, an idle connection is spare: the
   * least recently used one makes room (a pool full of idle connections on the other endpoints must
   * not keep an ejected one out for ever).
   */
  #reserveForProbe(): (() => void) | undefined {
    const release = this.#core.reserve();
    if (release !== undefined) return release;
    const spare = this.#core.idleResources[0];
    if (spare === undefined) return undefined;
    destroyEntry(spare, 'idle');
    return this.#core.reserve();
  }

  /**
   * Connections whose endpoint takes no more work (`leaves`): idle ones close at once, borrowed
   * ones on release (their lifetime is set to over: see {@link PoolEntry.expiresAt}).
   */
  #evict(leaves: (endpoint: Endpoint) => boolean): void {
    for (const entry of this.#entries) {
      if (entry.endpoint !== undefined && leaves(entry.endpoint)) {
        entry.leaving = true;
        entry.expiresAt = -Infinity;
      }
    }
    for (const resource of [...this.#core.idleResources]) {
      if (resource.value.leaving) destroyEntry(resource, 'ejected');
    }
  }

  async #disposeEntry(entry: PoolEntry, forced: boolean): Promise<void> {
    const conn = entry.conn;
    entry.handle = null;
    if (entry.endpoint !== undefined) this.#endpointGone(entry);
    this.#borrowed.delete(entry);
    if (channels.poolDestroy.hasSubscribers) {
      channels.poolDestroy.publish({ pool: this, reason: forced ? 'closed' : entry.destroyReason });
    }
    // The slot is already free: the refill must not wait on the user's hook below.
    if (!forced && entry.fresh && entry.destroyReason === 'closed') this.#refiller.earlyClose();
    if (!this.#closed && this.#core.totalCount < this.#config.minConns) this.#refiller.schedule(false);
    // Bound: closeTimeout and close({ timeout }) for the hook; closeTimeout for the handshake.
    await closePooledConnection(
      conn,
      this.#config,
      forced,
      truncateReason(entry.closeReason),
      this.#closeDeadline.signal,
    );
  }

  /** An endpoint connection leaves the pool: uncount it; a failed ping is a failure of its endpoint. */
  #endpointGone(entry: PoolEntry): void {
    const endpoint = entry.endpoint as Endpoint;
    if (entry.disposing) return;
    entry.disposing = true;
    this.#entries.delete(entry);
    endpoint.conns--;
    if (entry.destroyReason === 'ping' && !this.#closed) {
      this.#endpoints?.failed(
        endpoint,
        new WsPoolError(
          'WSPOOL_ERR_PING_TIMEOUT',
          `A connection to ${endpoint.redacted} did not answer its ping within pingTimeout.`,
        ),
        false,
      );
    }
  }

  // ---- health ----------------------------------------------------------------------------------

  #connectionClosed(conn: Connection): void {
    // A borrowed connection stays with its borrower (its calls reject CONNECTION_CLOSED; release()
    // frees the slot). An idle one leaves the pool at once.
    for (const resource of this.#core.idleResources) {
      if (resource.value.conn === conn) {
        const cause = conn[kLastError];
        if (isWsPoolError(cause, 'WSPOOL_ERR_PING_TIMEOUT')) {
          // Its keepalive found it dead while idle: a failed health check, like a background
          // ping's, and nobody else hears of it.
          this.#counters.healthCheckDestroyCount++;
          this.#report(cause, 'health-check');
          destroyEntry(resource, 'ping');
        } else {
          destroyEntry(resource, 'closed');
        }
        return;
      }
    }
  }

  /** One background pass (see {@link runHealthPass}), then its diagnostics. Never throws. */
  async #healthCheck(): Promise<void> {
    if (this.#closed) return;
    const { checked, destroyed, created } = await runHealthPass(this.#healthHost); // bound: pingTimeout, close()
    if (channels.poolHealthCheck.hasSubscribers) {
      channels.poolHealthCheck.publish({ pool: this, checked, destroyed, created });
    }
  }

  /** One top-up pass: open what is missing below `minConns` in parallel (see {@link Refiller}). */
  async #topUpOnce(): Promise<number> {
    if (this.#closed) return 0;
    const missing = this.#config.minConns - this.#core.totalCount;
    if (missing <= 0) return 0;
    // Bound: each dial's connectTimeout and close(). A background dial's hooks run for no acquire:
    // only close() bounds them.
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

/** The error of an endpoint connection closed under the pool (for the endpoint's failure count). */
function closedError(entry: PoolEntry): WsPoolError {
  return new WsPoolError(
    'WSPOOL_ERR_CONNECTION_CLOSED',
    `The connection to ${entry.conn.url} closed unexpectedly; the pool counts it against that endpoint.`,
  );
}

/**
 * Create a pool and wait until `minConns` connections are open. Rejects with the dial error —
 * closing what it opened — if that first fill fails.
 */
export async function createPool(config: PoolConfig): Promise<Pool> {
  const pool = new Pool(config);
  try {
    await pool[kReady]; // bound: the dials' connectTimeout (their hooks: none but the hook itself)
  } catch (error) {
    await pool.close(); // bound: closeTimeout per socket
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
