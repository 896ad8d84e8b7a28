/**
 * Small statistics helpers. Medians of rounds, not means: one round disturbed by the machine
 * should not move the reported number.
 *
 * @module
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** `numerator / denominator`, or `null` when either side is missing or the denominator is 0. */
export function ratio(numerator: number | undefined, denominator: number | undefined): number | null {
  if (numerator === undefined || denominator === undefined || denominator === 0) return null;
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator)) return null;
  return numerator / denominator;
}

/** The middle and the range of per-round ratios. */
export interface PairedRatio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The ratio of `subject` to `baseline` round by round (round i of one against round i of the other),
 * then the median of those ratios and their range; `null` when either is missing, the rounds do not
 * pair up, or a baseline round is 0.
 *
 * Rounds alternate contenders, so round i of each ran minutes apart at most; a ratio within one
 * round cancels the machine's drift between rounds, which the ratio of two medians does not (its
 * medians may come from rounds at different load).
 */
export function pairedRatio(
  subject: readonly number[] | undefined,
  baseline: readonly number[] | undefined,
): PairedRatio | null {
  if (subject === undefined || baseline === undefined) return null;
  if (subject.length === 0 || subject.length !== baseline.length) return null;
  const ratios: number[] = [];
  for (const [index, value] of subject.entries()) {
    const r = ratio(value, baseline[index]);
    if (r === null) return null;
    ratios.push(r);
  }
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** The message of anything thrown, on one line. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0] ?? text;
}
