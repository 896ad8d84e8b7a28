/**
 * Latency recording over `perf_hooks.createHistogram` (HdrHistogram: constant memory, 3 significant
 * digits at any magnitude). Values are recorded in whole microseconds: the histogram stores
 * integers, and a microsecond is fine enough for a network round trip.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Percentiles in milliseconds; all 0 when nothing was recorded. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class LatencyHistogram {
  readonly #histogram: RecordableHistogram = createHistogram();

  /** Record one latency in ms (sub-microsecond values count as 1 µs). */
  record(ms: number): void {
    this.#histogram.record(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.#histogram.count;
  }

  /** Fold `other`'s samples into this one. */
  add(other: LatencyHistogram): void {
    this.#histogram.add(other.#histogram);
  }

  reset(): void {
    this.#histogram.reset();
  }

  summary(): LatencySummary {
    const h = this.#histogram;
    if (h.count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    return {
      count: h.count,
      min: h.min / 1000,
      mean: h.mean / 1000,
      p50: h.percentile(50) / 1000,
      p90: h.percentile(90) / 1000,
      p99: h.percentile(99) / 1000,
      max: h.max / 1000,
    };
  }
}
