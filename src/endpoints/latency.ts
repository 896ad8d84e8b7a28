/**
 * Peak-sensitive moving average of an endpoint's latency (Finagle's "peak EWMA"): a sample above
 * the average replaces it at once, so a server that turns slow is avoided at its first slow
 * answer; lower samples pull it down exponentially with time (decay about 10 s), so a server that
 * recovers wins its share back gradually instead of on one lucky reply.
 *
 * Reading decays it too, toward a floor the caller gives (the fastest endpoint's average): an
 * endpoint that gets no traffic because it was slow does not stay "slow" for ever on a stale
 * sample — after a while it looks as fast as the best one, is tried again, and that try measures it
 * afresh. (Decaying toward 0 instead would keep the ratio between two idle endpoints for ever.)
 * @module
 */

/** The default decay constant τ, in ms: a sample's weight drops to 1/e after this long. */
export const LATENCY_DECAY_MS = 10_000;

export class PeakEwma {
  readonly #tau: number;
  #value: number | undefined;
  /** Monotonic ms of the last sample. */
  #at = 0;

  constructor(tau = LATENCY_DECAY_MS) {
    this.#tau = tau;
  }

  /** The average as of the last sample, in ms; `undefined` until the first sample. */
  get value(): number | undefined {
    return this.#value;
  }

  /**
   * The average at monotonic time `at`: above `floor`, the excess decays with the time since the
   * last sample (τ as for samples).
   */
  valueAt(at: number, floor: number): number | undefined {
    const value = this.#value;
    if (value === undefined || value <= floor) return value;
    return floor + (value - floor) * Math.exp(-Math.max(0, at - this.#at) / this.#tau);
  }

  /** Record a round trip of `sample` ms taken at monotonic time `at`. */
  observe(sample: number, at: number): void {
    const previous = this.#value;
    if (!(sample >= 0) || !Number.isFinite(sample)) return;
    if (previous === undefined || sample > previous) {
      this.#value = sample;
    } else {
      // The older average weighs e^(−Δt/τ): samples far apart in time replace it almost entirely.
      const w = Math.exp(-Math.max(0, at - this.#at) / this.#tau);
      this.#value = previous * w + sample * (1 - w);
    }
    this.#at = at;
  }
}
