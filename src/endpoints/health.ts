/**
 * One endpoint's health as a small state machine, and the pure rules around it (ejection length,
 * dial backoff). No timers, no sockets: the {@link EndpointSet} owns the clock and calls in.
 *
 *     connecting ──success──▶ ready ◀──────success/probe ok────┐
 *         │                   │  ▲                             │
 *         └──failure──▶ failing ─┘ (success)                   │
 *                         │ consecutive failures ≥ ejectAfterFailures
 *                         ▼                                    │
 *                      ejected ──ejection over, probe ok───────┘
 *                         ▲ └──probe fails: ejected again, n+1 times as long
 *
 * A failure is something that says "this server does not serve": a failed dial, a ping timeout,
 * a request timeout, an unexpected close. An error the server answered with (`WSPOOL_ERR_REMOTE`)
 * proves it serves, so it is never counted (the pool never reports it).
 * @module
 */

/** What `stat().endpoints[i].state` reports. */
export type EndpointState = 'connecting' | 'ready' | 'failing' | 'ejected';

export class EndpointHealth {
  readonly #ejectionTime: number;
  state: EndpointState = 'connecting';
  /** Failures ever counted. */
  failures = 0;
  /** Failures since the last success. */
  consecutiveFailures = 0;
  /** Ejections counted, before the decay earned since `healthySince` (see {@link ejectionsAt}). */
  #ejections = 0;
  /** Epoch ms at which the current ejection ends; `undefined` unless ejected. */
  ejectedUntil: number | undefined;
  /** Epoch ms since which the endpoint has been healthy without interruption; `Infinity` if not. */
  healthySince: number;

  constructor(at: number, ejectionTime: number) {
    this.healthySince = at;
    this.#ejectionTime = ejectionTime;
  }

  /** Ready or connecting: `'priority'` may route to it, and it decays its ejection count. */
  get healthy(): boolean {
    return this.state === 'ready' || this.state === 'connecting';
  }

  /** The ejection count at `at`: one less for each `ejectionTime` healthy since the last trouble. */
  ejectionsAt(at: number): number {
    return decayedCount(this.#ejections, this.healthySince, at, this.#ejectionTime);
  }

  /**
   * The server served (a dial, a ping, a reply). An ejected endpoint stays ejected: only its probe
   * re-admits it (connections still draining there may answer meanwhile).
   */
  succeeded(at: number): void {
    if (this.state === 'ejected') return;
    this.consecutiveFailures = 0;
    if (this.state === 'failing') this.healthySince = at;
    this.state = 'ready';
  }

  /**
   * Count a failure. Returns true when it reaches `threshold` consecutive failures: the caller
   * ejects the endpoint. An endpoint already ejected only counts it.
   */
  failed(at: number, threshold: number): boolean {
    this.failures++;
    this.consecutiveFailures++;
    if (this.state === 'ejected') return false;
    this.#stopDecay(at);
    this.state = 'failing';
    return this.consecutiveFailures >= threshold;
  }

  /**
   * Eject now (`at`); returns n, the number of this ejection after decay, from which the caller
   * sets the length with {@link ejectionDuration} through {@link ejectUntil}.
   */
  eject(at: number): number {
    this.#stopDecay(at);
    this.#ejections++;
    this.state = 'ejected';
    return this.#ejections;
  }

  /** The end of the current ejection (epoch ms). */
  ejectUntil(until: number): void {
    this.ejectedUntil = until;
  }

  /** The probe answered: back in rotation, healthy (and decaying) from `at`. */
  readmit(at: number): void {
    this.state = 'ready';
    this.consecutiveFailures = 0;
    this.ejectedUntil = undefined;
    this.healthySince = at;
  }

  /** Trouble at `at`: bank the decay earned so far, then stop the healthy clock. */
  #stopDecay(at: number): void {
    this.#ejections = this.ejectionsAt(at);
    this.healthySince = Infinity;
  }
}

/**
 * The ejection count left after `count` ejections and healthy time from `healthySince` to `at`:
 * one less for each whole `ejectionTime` (gRFC A50's decay, one per interval not ejected).
 */
export function decayedCount(count: number, healthySince: number, at: number, ejectionTime: number): number {
  if (count === 0 || !(at > healthySince)) return count;
  return Math.max(0, count - Math.floor((at - healthySince) / ejectionTime));
}

/**
 * Length of ejection number `n` (1-based): `base × n`, ±10 % jitter (`random` in [0, 1)) so
 * endpoints ejected together are not probed together, capped at `max`.
 */
export function ejectionDuration(n: number, base: number, max: number, random: number): number {
  return Math.min(max, base * n * (0.9 + 0.2 * random));
}

/**
 * Delay before an endpoint that failed `failures` times in a row is dialled again (gRPC's
 * connection backoff: 1 s × 1.6^(n−1), ±20 % jitter so redials started together spread out),
 * capped at `cap` (the ejection time: an endpoint is never held back longer than an ejection).
 */
export function dialBackoff(failures: number, random: number, cap: number, base = 1_000): number {
  const exp = base * 1.6 ** Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(cap, exp * (0.8 + 0.4 * random));
}
