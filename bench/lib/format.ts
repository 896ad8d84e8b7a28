/**
 * Number formatting shared by the console, the Markdown report and the chart.
 *
 * @module
 */

/** `1.23 M`, `45.6 k`, `812` — three significant figures. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)} M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)} k`;
  return value.toPrecision(3);
}

/** `2.71×`. */
export function formatRatio(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}×`;
}

/** `0.91–0.98×`: the range of per-round ratios. */
export function formatRatioRange(min: number | null, max: number | null): string {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return '—';
  return `${min.toFixed(2)}–${max.toFixed(2)}×`;
}

/** Half the min–max range of the rounds, relative to the median: `±1.8%`. */
export function formatSpread(entry: { median: number; min: number; max: number }): string {
  if (entry.median <= 0 || !Number.isFinite(entry.median)) return '—';
  return `±${(((entry.max - entry.min) / 2 / entry.median) * 100).toFixed(1)}%`;
}

/** Microseconds with sensible precision: `41.2`, `1 234`. */
export function formatMicros(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** Nanoseconds: `182 ns`, `4.1 µs`. */
export function formatNanos(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)} ms`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)} µs`;
  return `${Math.round(value)} ns`;
}

/** Milliseconds: `3.42 ms`. */
export function formatMillis(value: number): string {
  if (!Number.isFinite(value)) return '—';
  // toPrecision(3) turns 18,000 into "1.80e+4": seconds read better from 1 s up.
  return value >= 1_000 ? `${(value / 1_000).toPrecision(3)} s` : `${value.toPrecision(3)} ms`;
}

/** Bytes: `1.62 KB` (1 KB = 1024 B), `-120 B`. */
export function formatBytes(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1024) return `${(value / 1024).toFixed(2)} KB`;
  return `${Math.round(value)} B`;
}

/** `1k`, `10k`, `100k`. */
export function formatCount(value: number): string {
  return value >= 1000 && value % 1000 === 0 ? `${value / 1000}k` : String(value);
}
