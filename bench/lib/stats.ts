/**
 * Summaries of repeated measurements. Ratios are taken run by run (run i of one contender against
 * run i of the other) and then summarised, so a slow moment of the machine hits both sides of a
 * ratio instead of skewing it.
 */

/** One figure over several runs, in `unit`. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Every run's value, in run order. */
  readonly runs: readonly number[];
  readonly unit: string;
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * The p-th percentile (0–100) by linear interpolation between closest ranks (numpy's default),
 * so p50 of two values is their mean and p95 of 20 values lies between the 19th and 20th.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function summarize(runs: readonly number[], unit: string): Summary {
  if (runs.length === 0) throw new RangeError('summarize needs at least one run');
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs], unit };
}

/** numerator[i] / denominator[i] for each run both have; throws when a denominator is not positive. */
export function ratiosByRun(numerator: readonly number[], denominator: readonly number[]): number[] {
  const n = Math.min(numerator.length, denominator.length);
  if (n === 0) throw new RangeError('ratios need at least one run on each side');
  return Array.from({ length: n }, (_, i) => {
    const d = denominator[i]!;
    if (!(d > 0)) throw new RangeError(`ratio run ${i + 1}: denominator ${d} is not positive`);
    return numerator[i]! / d;
  });
}

/** Rounds for display without trailing noise: 3 significant digits, at most 1 decimal above 100. */
export function round3(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(3));
}
