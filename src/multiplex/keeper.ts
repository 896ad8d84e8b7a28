/**
 * Keeps a multiplexed pool's connections: the set of open ones; dials (through the exclusive
 * pool's `openPooledConnection`, so hooks behave the same in both pools), for the queue as load
 * needs and for the `minConns` floor with backed-off refills; draining and retiring; close events;
 * the background check (drain expired, close idle, ping idle); and the sockets still closing when
 * the pool closes. It owns every timer of that work. The pool owns the requests: the keeper
 * reaches them only through {@link KeeperHost}.
 * @module
 */
import { setMaxListeners } from 'node:events';
import { MAX_TIMER_MS, now, startTimer, stopTimer, type Timer } from '../clock.js';
import type { Connection } from '../connection/connection.js';
import type { Message } from '../connection/inbox.js';
import {
  kLastError,
  kObserver,
  kSetMessageHandler,
  kSetPacer,
  kTerminate,
  quietSince,
  type ConnectionObserver,
} from '../connection/internal.js';
import { channels as diagnostics, type DestroyReason } from '../diagnostics.js';
import { connectionClosedError, isWsPoolError, poolClosedError, type WsPoolError } from '../errors.js';
import { redactUrl } from '../util/redact.js';
import type { ResolvedPoolConfig } from '../ws-pool/config.js';
import { HealthChecker } from '../ws-pool/health.js';
import { reportBackground, type BackgroundPhase } from '../ws-pool/on-error.js';
import { closePooledConnection } from '../ws-pool/close-connection.js';
import { Refiller } from '../ws-pool/refiller.js';
import { openPooledConnection, type OpenedConnection } from '../ws-pool/open-connection.js';
import { connectionExpiry, isExpired, isIdleExpired, shouldPing } from '../ws-pool/policy.js';
import { SendRate } from '../subscriptions/send-rate.js';
import { Channel, ChannelSet } from './channel.js';
import { dialsNeeded } from './least-loaded.js';
import {
  EndpointSet,
  type Endpoint,
  type EndpointHost,
  type EndpointStat,
} from '../endpoints/endpoint-set.js';
import { endpointReports, openOnEndpoints, probeEndpoint } from '../ws-pool/endpoint-dial.js';
import { EndpointChannelSet } from './endpoint-channels.js';
import { requestTimeoutError } from './errors.js';

/** What the keeper needs from its pool: the request side. */
export interface KeeperHost {
  /** The pool object, for diagnostics payloads. */
  readonly pool: object;
  /** Receives every inbound frame of every connection, with the connection it came on. */
  readonly onFrame: (message: Message, conn: Connection) => void;
  /** Requests waiting for room. */
  queued(): number;
  /** Room appeared (a connection opened): hand it queued requests. */
  pump(): void;
  /** The socket of `channel` closed: fail the requests it carried with `error`. */
  failCarried(channel: Channel, error: WsPoolError): void;
  /**
   * A dial failed and no connection is open or opening: fail the queued requests with its error;
   * returns how many it failed.
   */
  failQueued(error: unknown): number;
  /** The socket of `channel` closed: move its subscriptions (called before `failCarried`). */
  subscriptionsLost(channel: Channel): void;
  /** `channel` is past its lifetime and carries subscriptions: move them make-before-break. */
  rotate(channel: Channel): void;
}

/** How one dial ended: `null` on success. Dials never reject, so nobody has to catch them. */
export type DialOutcome = null | { error: unknown };

export class ConnectionKeeper {
  /** The open connections; the pool chooses among them. */
  readonly channels: ChannelSet;
  /** With `endpoints` only: their health and the choice among them. */
  readonly #endpoints: EndpointSet | undefined;
  readonly #config: ResolvedPoolConfig;
  readonly #maxInFlight: number;
  readonly #host: KeeperHost;
  readonly #observer: ConnectionObserver;
  readonly #health: HealthChecker;
  /** Every dial listens on this one signal; the pool closing aborts them all. */
  readonly #abort = new AbortController();
  readonly #dials = new Set<Promise<DialOutcome>>();
  /** Sockets the pool let go of and that are still closing, with their close. */
  readonly #closing = new Map<Connection, Promise<void>>();
  #stopped = false;
  readonly #refiller: Refiller;
  /** Dials in progress. */
  dialing = 0;
  /** Endpoint probes in progress: connections too (they count toward `maxConns`), but serve nobody. */
  probing = 0;
  newConnsCount = 0;
  failedConnectCount = 0;
  maxLifetimeDestroyCount = 0;
  maxIdleDestroyCount = 0;
  healthCheckDestroyCount = 0;

  /** `maxSendRate`, or `Infinity` (no pacer at all). */
  readonly #sendRate: number;

  constructor(config: ResolvedPoolConfig, maxInFlightPerConn: number, host: KeeperHost, sendRate = Infinity) {
    this.#config = config;
    this.#sendRate = sendRate;
    this.#maxInFlight = maxInFlightPerConn;
    this.#host = host;
    this.#observer = {
      connectionClosed: (conn) => this.#connectionClosed(conn as Connection),
      messageDiscarded: () => undefined, // never discarding: every frame goes to onFrame
    };
    // Up to maxConns dials listen at once and each stops when it settles: not a leak.
    setMaxListeners(0, this.#abort.signal);
    this.#health = new HealthChecker(config.healthCheckPeriod, () => this.#check());
    this.#refiller = new Refiller(config.minConns, () => this.#topUpOnce());
    if (config.endpoints === undefined) {
      this.#endpoints = undefined;
      this.channels = new ChannelSet();
    } else {
      const endpoints = new EndpointSet(config.endpoints, this.#endpointHost(host.pool));
      this.#endpoints = endpoints;
      this.channels = new EndpointChannelSet(endpoints, (endpoint) => this.#want(endpoint));
    }
  }

  /** Open, opening and probing connections: what counts toward `maxConns`. */
  get total(): number {
    return this.channels.size + this.dialing + this.probing;
  }

  /** Start the background check and the first fill of `minConns` (retried with backoff). */
  start(): void {
    this.#health.start();
    this.#refiller.fill().catch(ignore); // a failure hands over to backed-off refills
  }

  /**
   * Open one connection (with `endpoints`: on the best one, `first` if given, the next ones if it
   * fails); the host hears how it went first, then the returned promise settles.
   * @param owned the caller reports a failure itself (a subscription's dial): not to onError here.
   */
  dial(first?: Endpoint, owned = false): Promise<DialOutcome> {
    if (this.#stopped) return Promise.resolve({ error: poolClosedError('multiplexed pool') });
    this.dialing++;
    const endpoints = this.#endpoints;
    const opening: Promise<OpenedConnection & { endpoint?: Endpoint }> =
      endpoints === undefined
        ? openPooledConnection(this.#config, this.#abort.signal, undefined, true)
        : openOnEndpoints(endpoints, this.#config, this.#abort.signal, { first, keepGreeting: true });
    const attempt = opening.then(
      (opened): DialOutcome => {
        this.dialing--;
        this.#adopt(opened.conn, opened.endpoint);
        return null;
      },
      (error: unknown): DialOutcome => {
        this.dialing--;
        if (!this.#stopped) {
          this.failedConnectCount++;
          // Requests queued for room must not hang on a server that cannot be reached: once no
          // connection is open or opening they fail with this error (as an exclusive acquire
          // fails with the error of the dial it started). An error no request carries goes to
          // onError: a caller's error never does.
          let failed = 0;
          if (this.dialing === 0 && this.channels.accepting() === 0) failed = this.#host.failQueued(error);
          if (failed === 0 && !owned) this.#report(error, 'refill');
        }
        return { error };
      },
    );
    this.#dials.add(attempt);
    void attempt.then(() => this.#dials.delete(attempt));
    return attempt;
  }

  /** Open connections for the queue, up to `maxConns`; not awaited: any of them serves it. */
  grow(): void {
    if (this.#stopped) return;
    const n = dialsNeeded(
      this.#host.queued(),
      this.#maxInFlight,
      this.dialing,
      this.total,
      this.#config.maxConns,
    );
    for (let i = 0; i < n; i++) void this.dial(); // never rejects
  }

  /**
   * Take no new request on `channel`; close it once those it carries have settled and its
   * subscriptions have moved (make-before-break, see the pool's subscriptions).
   */
  drain(channel: Channel): void {
    channel.accepting = false;
    channel.draining = true;
    if (channel.inFlight === 0 && channel.subscriptions === 0) this.retire(channel, 'lifetime');
    else {
      if (channel.subscriptions > 0) this.#host.rotate(channel);
      this.grow(); // its share of the queue needs a replacement
    }
  }

  /** Resolves when one of the dials under way settles (at once when none is). */
  dialSettled(): Promise<void> {
    return Promise.race(this.#dials).then(ignore);
  }

  /** Close a connection with nothing in flight (drained, idle, or the pool closing). */
  retire(channel: Channel, reason: DestroyReason): void {
    channel.accepting = false;
    channel.draining = false;
    this.channels.remove(channel);
    channel.pacer?.stop();
    if (channel.endpoint !== undefined) channel.endpoint.conns--;
    const conn = channel.conn;
    conn[kObserver](undefined);
    if (diagnostics.poolDestroy.hasSubscribers) {
      diagnostics.poolDestroy.publish({ pool: this.#host.pool, reason });
    }
    this.#track(conn, closePooledConnection(conn, this.#config));
    this.grow(); // room under maxConns for the queue
    this.#belowMin();
  }

  /** A dial succeeded: share the connection and give it the queue. */
  #adopt(conn: Connection, endpoint: Endpoint | undefined): void {
    if (this.#stopped || !conn.isOpen) {
      if (endpoint !== undefined) endpoint.conns--;
      this.#track(conn, conn[kTerminate]().then(ignore));
      return;
    }
    this.newConnsCount++;
    const config = this.#config;
    const channel = new Channel(
      conn,
      connectionExpiry(conn.createdAt, config.maxConnLifetime, config.maxConnLifetimeJitter, Math.random()),
    );
    // Frames that came before (a greeting, a push right after the handshake) go first, in order.
    conn[kSetMessageHandler](this.#host.onFrame);
    conn[kObserver](this.#observer);
    if (this.#sendRate !== Infinity) {
      channel.pacer = new SendRate(this.#sendRate);
      conn[kSetPacer](channel.pacer); // its pings too
    }
    channel.endpoint = endpoint;
    this.channels.add(channel);
    this.#host.pump();
  }

  /** A socket closed under its requests: they fail at once; the queue stays and finds others. */
  #connectionClosed(conn: Connection): void {
    const channel = this.channels.find(conn);
    if (channel === undefined) return;
    channel.accepting = false;
    channel.draining = false;
    this.channels.remove(channel);
    channel.pacer?.stop();
    // Closed by the peer, the network or its keepalive — not by this pool, nor by a background
    // ping (which counted itself): a failure of its endpoint.
    const endpoint = this.#stopped || channel.destroyReason !== 'closed' ? undefined : channel.endpoint;
    if (channel.endpoint !== undefined) channel.endpoint.conns--;
    const cause = conn[kLastError];
    if (channel.destroyReason === 'closed' && isWsPoolError(cause, 'WSPOOL_ERR_PING_TIMEOUT')) {
      // Its keepalive found it dead: a failed health check like a background ping's. With requests
      // on it, they reject with this as their cause; with none, only onError hears of it.
      channel.destroyReason = 'ping';
      this.healthCheckDestroyCount++;
      if (channel.inFlight === 0) this.#report(cause, 'health-check');
    }
    if (diagnostics.poolDestroy.hasSubscribers) {
      diagnostics.poolDestroy.publish({ pool: this.#host.pool, reason: channel.destroyReason });
    }
    this.#host.subscriptionsLost(channel);
    // The close code and reason are known from `closed`, which has already settled: one microtask.
    void conn.closed.then((info) => {
      const error = connectionClosedError(info.code, info.reason, cause);
      if (endpoint !== undefined) {
        this.#endpoints?.failed(
          endpoint,
          isWsPoolError(cause, 'WSPOOL_ERR_PING_TIMEOUT') ? cause : error,
          false,
        );
      }
      if (channel.inFlight > 0) this.#host.failCarried(channel, error);
      // Closed by the peer before it ever answered: repeats of that back off (see Refiller).
      if (!channel.served && channel.destroyReason === 'closed') this.#refiller.earlyClose();
      this.grow();
      this.#belowMin();
    });
  }

  /** The pool let go of `conn`; `close()` waits for `closing` (which never rejects). */
  #track(conn: Connection, closing: Promise<void>): void {
    this.#closing.set(conn, closing);
    void closing.then(() => this.#closing.delete(conn));
  }

  /** A connection went away: top up to `minConns` soon (debounced; backed off after failures). */
  #belowMin(): void {
    if (this.#stopped || this.#config.minConns === 0) return;
    if (this.channels.accepting() + this.dialing < this.#config.minConns) this.#refiller.schedule(false);
  }

  /** A reply or a pong proved the server serves: refills need no backoff. */
  proven(): void {
    this.#refiller.proven();
  }

  /** No more dials, checks or refills; dials under way are aborted. */
  stop(): void {
    this.#stopped = true;
    this.#health.stop();
    this.#refiller.stop();
    this.#endpoints?.stop();
    this.#abort.abort();
  }

  /**
   * Close every connection, then resolve once every dial has settled and every socket is closed;
   * after `timeout` ms the sockets still closing are terminated. Call after {@link stop}, once the
   * pool has failed every request.
   */
  async close(timeout: number): Promise<void> {
    for (const channel of [...this.channels.list]) this.retire(channel, 'closed');
    // Bound: stop() aborted every dial; the handshake and the hooks end on that signal (or by
    // connectTimeout), and a connection that opened meanwhile is handed back and closed below.
    await Promise.all(this.#dials);
    if (this.#closing.size === 0) return;
    let timer: Timer | undefined;
    if (timeout !== Infinity) {
      timer = startTimer(
        () => {
          for (const conn of this.#closing.keys()) void conn[kTerminate]();
        },
        Math.min(timeout, MAX_TIMER_MS),
      );
    }
    try {
      // Bound: `timeout` (the timer above terminates what is left), else each close's own: at most
      // closeTimeout for beforeClose, then closeTimeout for the handshake, then a terminate.
      await Promise.all(this.#closing.values());
    } finally {
      stopTimer(timer);
    }
  }

  // ---- endpoints -------------------------------------------------------------------------------

  /** A reply (or an error the server answered with) took `latencyMs`: the endpoint serves. */
  replied(endpoint: Endpoint, latencyMs: number): void {
    this.#endpoints?.succeeded(endpoint, latencyMs);
  }

  /** A request sent to `endpoint` timed out: a failure of that endpoint. */
  timedOut(endpoint: Endpoint, timeout: number): void {
    this.#endpoints?.failed(endpoint, requestTimeoutError(timeout), false);
  }

  /** `stat().endpoints` (pools with `endpoints` only). */
  endpointStat(): readonly EndpointStat[] | undefined {
    if (this.#endpoints === undefined) return undefined;
    (this.channels as EndpointChannelSet).countInFlight();
    return this.#endpoints.stat();
  }

  /**
   * The balance chose `endpoint` but no connection there has room: open one there if it has none
   * open or opening and `maxConns` allows (otherwise the queue's growth decides).
   */
  #want(endpoint: Endpoint): void {
    if (this.#stopped || endpoint.conns > 0 || this.total >= this.#config.maxConns) return;
    void this.dial(endpoint); // never rejects
  }

  #endpointHost(pool: object): EndpointHost {
    const reports = endpointReports(pool, this.#config);
    return {
      ...reports,
      probe: (endpoint) => {
        if (this.#stopped || !this.#roomForProbe()) return Promise.resolve(undefined); // try later
        this.probing++;
        return probeEndpoint(this.#config, endpoint, this.#abort.signal).finally(() => {
          this.probing--;
          this.grow(); // its room under maxConns is free again
        });
      },
      ejected: (endpoint, error) => {
        this.#evacuate((e) => e === endpoint);
        reports.ejected(endpoint, error);
      },
      retargeted: (target) => this.#evacuate((e) => e !== target),
    };
  }

  /**
   * Room under `maxConns` for a probe. When the pool is full, a connection with nothing in flight is
   * spare and makes room (a pool full of idle connections must not keep an ejected endpoint out).
   */
  #roomForProbe(): boolean {
    if (this.total < this.#config.maxConns) return true;
    const spare = this.channels.list.find((channel) => channel.accepting && channel.inFlight === 0);
    if (spare === undefined) return false;
    this.retire(spare, 'idle');
    return this.total < this.#config.maxConns;
  }

  /**
   * Connections whose endpoint takes no more work (`leaves`): those with nothing in flight close at
   * once, the others take no new request and close when their last one settles.
   * (Subscriptions, once the pool carries them, move off these connections here.)
   */
  #evacuate(leaves: (endpoint: Endpoint) => boolean): void {
    for (const channel of [...this.channels.list]) {
      if (channel.endpoint === undefined || !leaves(channel.endpoint) || !channel.accepting) continue;
      if (channel.inFlight === 0) {
        this.retire(channel, 'ejected');
      } else {
        channel.accepting = false;
        channel.draining = true;
      }
    }
  }

  /** One background pass: drain expired, close idle above `minConns`, ping idle, top up. */
  async #check(): Promise<void> {
    if (this.#stopped) return;
    const config = this.#config;
    const channels = this.channels;
    const t = now();
    let checked = 0;
    let destroyed = 0;
    const pings: Promise<void>[] = [];
    for (const channel of [...channels.list]) {
      if (!channel.accepting) {
        // Draining past its lifetime with subscriptions that did not move yet: try again.
        if (channel.draining && channel.subscriptions > 0) this.#host.rotate(channel);
        continue;
      }
      checked++;
      if (isExpired(channel.expiresAt, t)) {
        this.maxLifetimeDestroyCount++;
        destroyed++;
        this.drain(channel); // its requests finish first: retiring never cuts one off
      } else if (channel.inFlight > 0) {
        continue; // busy: neither idle nor in need of a keep-alive ping
      } else if (
        channel.subscriptions === 0 && // a connection carrying subscriptions is never idle
        isIdleExpired(t - channel.idleSince, config.maxConnIdleTime, channels.accepting(), config.minConns)
      ) {
        this.maxIdleDestroyCount++;
        destroyed++;
        this.retire(channel, 'idle');
      } else if (
        !channel.pinging &&
        shouldPing(
          t - Math.max(channel.idleSince, channel.lastPingAt, quietSince(channel.conn)),
          config.pingIdleAfter,
        )
      ) {
        pings.push(
          this.#ping(channel).then((ok) => {
            if (!ok) destroyed++;
          }),
        );
      }
    }
    await Promise.all(pings); // bound: each ping's pingTimeout, or its socket's close
    // While refills back off they own the top-up (see Refiller). Bound: connectTimeout per dial,
    // and stop(), which aborts them.
    const created = await this.#refiller.topUpIfIdle();
    if (diagnostics.poolHealthCheck.hasSubscribers) {
      diagnostics.poolHealthCheck.publish({ pool: this.#host.pool, checked, destroyed, created });
    }
  }

  /**
   * Keep-alive ping of an idle connection (proxies and NATs cut silent ones). No pong within
   * `pingTimeout`: the socket is cut, and requests that were sent on it meanwhile fail at once.
   */
  async #ping(channel: Channel): Promise<boolean> {
    channel.pinging = true;
    try {
      // Bound: pingTimeout, or the socket's close. close() does not wait for this ping: it closes the
      // socket within its own bounds, and the ping rejects with the close.
      const rtt = await channel.conn.ping({ timeout: this.#config.pingTimeout });
      channel.lastPingAt = now();
      this.#refiller.proven();
      if (channel.endpoint !== undefined) this.#endpoints?.succeeded(channel.endpoint, rtt);
      return true;
    } catch (error) {
      // Closed meanwhile (the pool, or the peer): the close path has it; not a failed check.
      if (this.#stopped || !channel.conn.isOpen) return true;
      if (channel.endpoint !== undefined) this.#endpoints?.failed(channel.endpoint, error, false);
      this.healthCheckDestroyCount++;
      channel.destroyReason = 'ping';
      void channel.conn[kTerminate]();
      // Requests sent on it meanwhile fail with CONNECTION_CLOSED; the ping's own error has no caller.
      this.#report(error, 'health-check');
      return false;
    } finally {
      channel.pinging = false;
    }
  }

  /** `error` had no caller to reject: tell `onError`. */
  #report(error: unknown, phase: BackgroundPhase): void {
    const url = this.#config.url;
    if (this.#config.onError !== undefined)
      reportBackground(this.#config.onError, error, phase, url, redactUrl(url));
  }

  /** One top-up pass: open what is missing below `minConns` in parallel; rejects with the first dial error. */
  async #topUpOnce(): Promise<number> {
    if (this.#stopped) return 0;
    const missing = Math.min(
      this.#config.minConns - (this.channels.accepting() + this.dialing),
      // A draining connection takes no new request but is still open: it counts toward maxConns
      // until its last request settles and it closes.
      this.#config.maxConns - (this.channels.size + this.dialing),
    );
    if (missing <= 0) return 0;
    // Bound: connectTimeout per dial, and stop(), which aborts them; dial() never rejects.
    const outcomes = await Promise.all(Array.from({ length: missing }, () => this.dial()));
    const failed = outcomes.find((outcome) => outcome !== null);
    if (failed) throw failed.error;
    return missing;
  }
}

function ignore(): void {}
