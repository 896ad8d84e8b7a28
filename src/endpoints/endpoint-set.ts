/**
 * The endpoints of one pool: their health, latency and load, the choice of where new work goes,
 * and the ejection clock. Used by both pool kinds through the one dial path; it never imports a
 * pool — the pool is its {@link EndpointHost} (probe dials, closing an ejected endpoint's idle
 * connections, diagnostics).
 *
 * Timers, one per endpoint at most, owned here and cleared by {@link EndpointSet.stop}:
 * - after a failure, a probe once the endpoint's jittered dial backoff is up (a failing endpoint
 *   that gets no traffic — `'priority'` routes around it — still finds its way back);
 * - after an ejection, a probe once the ejection is over: one dial and a ping decide re-admission,
 *   so recovery never waits for traffic;
 * - in `'priority'` mode, one more: the moment an earlier endpoint has been healthy for
 *   `failbackAfter`, so the pool fails back even while idle.
 * @module
 */
import { monotonic, now, startTimer, stopTimer, type Timer } from '../clock.js';
import { leastLoaded, nextInPriority, priorityTarget, type Candidate } from './choose.js';
import type { EndpointSpec, ResolvedEndpoints } from './config.js';
import { dialBackoff, ejectionDuration, EndpointHealth, type EndpointState } from './health.js';
import { PeakEwma } from './latency.js';

/** One endpoint in `stat().endpoints` (config order). */
export interface EndpointStat {
  /** Credentials and query values redacted. */
  readonly url: string;
  /** `'connecting'` until its first result, `'ready'` after a success, `'failing'` after a failure, or `'ejected'`. */
  readonly state: EndpointState;
  /** Its configured weight (default 1). */
  readonly weight: number;
  /** Open and opening connections (probes included). */
  readonly openConns: number;
  /** Requests in flight on its connections (multiplexed pools; 0 for exclusive pools). */
  readonly inFlight: number;
  /** Peak-sensitive moving average of handshake, ping and reply times; `undefined` until measured. */
  readonly latencyMs: number | undefined;
  /** Failures ever counted. */
  readonly failures: number;
  /** Failures since its last success; `ejectAfterFailures` of them eject it. */
  readonly consecutiveFailures: number;
  /** Ejections, less one for each `ejectionTime` it stayed healthy since. */
  readonly ejections: number;
  /** Epoch ms at which the current ejection ends; `undefined` unless ejected. */
  readonly ejectedUntil: number | undefined;
}

/** What the set needs from its pool. */
export interface EndpointHost {
  /**
   * Dial `endpoint` and ping it, then close that connection; resolve with the round trip in ms or
   * reject with why it failed. Bounded by the pool's `connectTimeout` + `pingTimeout`, and settles
   * at once when the pool closes. The pool counts it toward `maxConns` while open; with no room
   * under `maxConns` it resolves `undefined` at once, and the set tries again a little later.
   */
  probe(endpoint: Endpoint): Promise<number | undefined>;
  /** `endpoint` is out: close its idle connections, send it no new work, report `error`. */
  ejected(endpoint: Endpoint, error: unknown): void;
  /** `endpoint` is back in rotation. */
  readmitted(endpoint: Endpoint): void;
  /** `'priority'`: `endpoint` now takes everything; connections elsewhere may be let go when idle. */
  retargeted(endpoint: Endpoint): void;
}

/** What an endpoint's load is counted in, for a choice. */
export type LoadKind = 'conns' | 'inFlight' | 'subscriptions';

/** One endpoint and what the pool tracks about it. */
export class Endpoint {
  readonly url: URL;
  readonly redacted: string;
  readonly weight: number;
  readonly index: number;
  readonly health: EndpointHealth;
  readonly latency = new PeakEwma();
  /** Open and opening connections, probes included (kept by the pool). */
  conns = 0;
  /** Requests in flight on its connections (kept by a multiplexed pool). */
  inFlight = 0;
  /** Server subscriptions on its connections (kept by a multiplexed pool). */
  subscriptions = 0;
  /** Epoch ms before which a new dial should go elsewhere (its dial backoff). */
  retryAt = 0;
  /** The probe timer (backoff or ejection), if armed. */
  timer: Timer | undefined;
  /** A probe is running. */
  probing = false;
  /** The last failure, for the report when it is ejected. */
  lastError: unknown;

  constructor(spec: EndpointSpec, at: number, ejectionTime: number) {
    this.url = spec.url;
    this.redacted = spec.redacted;
    this.weight = spec.weight;
    this.index = spec.index;
    this.health = new EndpointHealth(at, ejectionTime);
  }
}

export class EndpointSet {
  readonly list: readonly Endpoint[];
  readonly #config: ResolvedEndpoints;
  readonly #host: EndpointHost;
  readonly #random: () => number;
  /** `'priority'`: the index taking everything (-1 before the first choice). */
  #target = -1;
  #failbackTimer: Timer | undefined;
  #stopped = false;

  constructor(config: ResolvedEndpoints, host: EndpointHost, random: () => number = Math.random) {
    const at = now();
    this.#config = config;
    this.#host = host;
    this.#random = random;
    this.list = Object.freeze(config.specs.map((spec) => new Endpoint(spec, at, config.ejectionTime)));
  }

  get balance(): ResolvedEndpoints['balance'] {
    return this.#config.balance;
  }

  /**
   * Where the next piece of work goes: in `'priority'` mode the target (or, with `tried`, the next
   * in order), otherwise the least-loaded by `kind`. Endpoints in `tried`, and those `accepts`
   * rejects (a multiplexed pool: no connection with room there), are skipped; `undefined` when
   * nothing is left.
   */
  pick(
    kind: LoadKind,
    tried?: ReadonlySet<Endpoint>,
    accepts?: (endpoint: Endpoint) => boolean,
  ): Endpoint | undefined {
    const at = now();
    const candidates = this.#candidates(kind, at);
    let skip: Set<number> | undefined;
    if (tried !== undefined || accepts !== undefined) {
      skip = new Set();
      for (const endpoint of this.list) {
        if (tried?.has(endpoint) === true || (accepts !== undefined && !accepts(endpoint)))
          skip.add(endpoint.index);
      }
    }
    const index =
      this.#config.balance === 'priority'
        ? nextInPriority(candidates, this.#retarget(candidates, at), skip ?? EMPTY)
        : leastLoaded(candidates, skip);
    return index === -1 ? undefined : this.list[index];
  }

  /** `'priority'` mode: the endpoint taking everything now (failing back when due). */
  target(): Endpoint | undefined {
    if (this.#config.balance !== 'priority') return undefined;
    const at = now();
    return this.list[this.#retarget(this.#candidates('conns', at), at)];
  }

  /** The server at `endpoint` served; `latencyMs` (a handshake, ping or reply time) if measured. */
  succeeded(endpoint: Endpoint, latencyMs?: number): void {
    if (latencyMs !== undefined) endpoint.latency.observe(latencyMs, monotonic());
    const health = endpoint.health;
    if (health.state === 'ready' && latencyMs !== undefined) return; // the hot case: nothing changes
    const wasHealthy = health.healthy;
    health.succeeded(now());
    if (health.state !== 'ready') return; // ejected: only its probe re-admits it
    endpoint.retryAt = 0;
    if (!endpoint.probing) this.#disarm(endpoint);
    if (!wasHealthy) this.#healthChanged();
  }

  /**
   * Count a failure of `endpoint` (never an error the server answered with: the caller filters
   * those). `dial`: it was a failed dial, so new dials go elsewhere for a jittered backoff.
   */
  failed(endpoint: Endpoint, error: unknown, dial: boolean): void {
    if (this.#stopped) return;
    const at = now();
    const health = endpoint.health;
    endpoint.lastError = error;
    const wasHealthy = health.healthy;
    if (health.failed(at, this.#config.ejectAfterFailures)) {
      this.#eject(endpoint, at, error);
      return;
    }
    if (health.state === 'ejected') return; // its ejection timer already decides
    const backoff = dialBackoff(health.consecutiveFailures, this.#random(), this.#config.ejectionTime);
    if (dial) endpoint.retryAt = at + backoff;
    if (endpoint.timer === undefined && !endpoint.probing) this.#arm(endpoint, backoff);
    if (wasHealthy) this.#healthChanged();
  }

  /** A snapshot per endpoint, in config order. */
  stat(): readonly EndpointStat[] {
    const at = now();
    const mono = monotonic();
    const floor = this.#fastest();
    return Object.freeze(
      this.list.map((endpoint): EndpointStat => {
        const health = endpoint.health;
        return Object.freeze({
          url: endpoint.redacted,
          state: health.state,
          weight: endpoint.weight,
          openConns: endpoint.conns,
          inFlight: endpoint.inFlight,
          latencyMs: endpoint.latency.valueAt(mono, floor),
          failures: health.failures,
          consecutiveFailures: health.consecutiveFailures,
          ejections: health.ejectionsAt(at),
          ejectedUntil: health.ejectedUntil,
        });
      }),
    );
  }

  /** No more probes or timers; results of probes under way are ignored. */
  stop(): void {
    this.#stopped = true;
    stopTimer(this.#failbackTimer);
    this.#failbackTimer = undefined;
    for (const endpoint of this.list) this.#disarm(endpoint);
  }

  // ---- the ejection clock ----------------------------------------------------------------------

  #eject(endpoint: Endpoint, at: number, error: unknown): void {
    const config = this.#config;
    const n = endpoint.health.eject(at);
    const duration = ejectionDuration(n, config.ejectionTime, config.maxEjectionTime, this.#random());
    endpoint.health.ejectUntil(at + duration);
    this.#disarm(endpoint);
    if (!endpoint.probing) this.#arm(endpoint, duration);
    this.#host.ejected(endpoint, error);
    this.#healthChanged();
  }

  #arm(endpoint: Endpoint, delay: number): void {
    this.#disarm(endpoint);
    endpoint.timer = startTimer(() => {
      endpoint.timer = undefined;
      this.#probe(endpoint);
    }, delay);
  }

  #disarm(endpoint: Endpoint): void {
    stopTimer(endpoint.timer);
    endpoint.timer = undefined;
  }

  /** One probe: a dial and a ping, on its own timer, whether or not any traffic wants the endpoint. */
  #probe(endpoint: Endpoint): void {
    if (this.#stopped || endpoint.probing) return;
    endpoint.probing = true;
    // Bounded by the host: connectTimeout + pingTimeout, or the pool closing.
    this.#host.probe(endpoint).then(
      (rtt) => {
        endpoint.probing = false;
        if (this.#stopped) return;
        if (rtt === undefined) {
          // The pool is full: no probe now, and no verdict either. Try again after a short backoff.
          this.#arm(endpoint, dialBackoff(1, this.#random(), this.#config.ejectionTime));
          return;
        }
        const health = endpoint.health;
        if (health.state === 'ejected') {
          endpoint.latency.observe(rtt, monotonic());
          health.readmit(now());
          endpoint.retryAt = 0;
          this.#host.readmitted(endpoint);
          this.#healthChanged();
        } else {
          this.succeeded(endpoint, rtt);
        }
      },
      (error: unknown) => {
        endpoint.probing = false;
        if (this.#stopped) return;
        if (endpoint.health.state === 'ejected') {
          endpoint.health.failed(now(), Infinity); // counted; it stays out, n+1 times as long
          this.#eject(endpoint, now(), error);
        } else {
          this.failed(endpoint, error, true);
        }
      },
    );
  }

  // ---- 'priority' ------------------------------------------------------------------------------

  #candidates(kind: LoadKind, at: number): Candidate[] {
    const mono = monotonic();
    const floor = this.#fastest();
    return this.list.map((endpoint) => ({
      weight: endpoint.weight,
      load: endpoint[kind],
      latencyMs: endpoint.latency.valueAt(mono, floor),
      usable: endpoint.health.state !== 'ejected' && endpoint.retryAt <= at,
      healthy: endpoint.health.healthy,
      healthySince: endpoint.health.healthySince,
    }));
  }

  /** The lowest latency average of any endpoint (what stale averages decay toward). */
  #fastest(): number {
    let fastest = Infinity;
    for (const endpoint of this.list) {
      const value = endpoint.latency.value;
      if (value !== undefined && value < fastest) fastest = value;
    }
    return fastest === Infinity ? 0 : fastest;
  }

  /** Re-evaluate the `'priority'` target; tell the host when it moved. */
  #retarget(candidates: readonly Candidate[], at: number): number {
    const previous = this.#target;
    const target = priorityTarget(candidates, previous, at, this.#config.failbackAfter);
    this.#target = target;
    if (previous !== -1 && target !== previous) this.#host.retargeted(this.list[target] as Endpoint);
    return target;
  }

  /**
   * Health changed: in `'priority'` mode move the target now if it must, and arm the failback
   * timer for the earliest endpoint ahead of it that is healthy but not yet for `failbackAfter`.
   */
  #healthChanged(): void {
    if (this.#config.balance !== 'priority' || this.#stopped) return;
    const at = now();
    const candidates = this.#candidates('conns', at);
    const target = this.#retarget(candidates, at);
    stopTimer(this.#failbackTimer);
    this.#failbackTimer = undefined;
    let due = Infinity;
    for (let i = 0; i < target; i++) {
      const c = candidates[i] as Candidate;
      if (c.healthy) due = Math.min(due, c.healthySince + this.#config.failbackAfter);
    }
    if (due === Infinity) return;
    this.#failbackTimer = startTimer(
      () => {
        this.#failbackTimer = undefined;
        this.#healthChanged();
      },
      Math.max(0, due - at),
    );
  }
}

const EMPTY: ReadonlySet<number> = new Set();
