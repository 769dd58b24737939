/** Small statistics helpers for the benchmark: percentiles, medians and spreads. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

export function ratio(ours: number, base: number): number {
  return base === 0 || !Number.isFinite(base) || !Number.isFinite(ours) ? NaN : ours / base;
}

/** Nanoseconds (bigint as string or number) to milliseconds. */
export function nsToMs(ns: bigint | string | number): number {
  return Number(BigInt(ns)) / 1e6;
}

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

export function fmtSpread(s: Spread, digits = 2, unit = ''): string {
  if (s.n === 0) return 'n/a';
  if (s.n === 1) return `${fmt(s.median, digits)}${unit}`;
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** The same orders on every run. */
export { seededRandom } from '../test/support/seeded-random';

/** A shuffled copy of `items` (Fisher-Yates) drawn from `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The median of `values` with a distribution-free confidence interval (order statistics). */
export interface MedianInterval {
  median: number;
  /** The interval's ends: order statistics `k` and `n + 1 - k` of the sorted values. */
  low: number;
  high: number;
  /** What the interval covers, exactly (from the binomial distribution; at least the confidence asked for). */
  coverage: number;
  /** k: the interval is the k-th smallest value to the k-th largest. */
  rank: number;
  n: number;
}

/**
 * The median and its confidence interval from order statistics: with n values, the population's
 * median lies between the k-th smallest and the k-th largest with probability
 * 1 - 2 P(Binomial(n, 1/2) <= k - 1), whatever the distribution; k is the largest that keeps that at
 * `confidence` or more. No resampling, so the same values give the same interval. With fewer than 6
 * values no interval reaches 95 %: low and high are then the min and the max.
 */
export function medianInterval(values: number[], confidence = 0.95): MedianInterval {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, low: NaN, high: NaN, coverage: 0, rank: 0, n: 0 };
  // cdf[j] = P(Binomial(n, 1/2) <= j).
  const cdf: number[] = [];
  let term = Math.pow(0.5, n);
  let sum = 0;
  for (let j = 0; j <= n; j++) {
    sum += term;
    cdf.push(sum);
    term = (term * (n - j)) / (j + 1);
  }
  let k = 1;
  while (k + 1 <= Math.floor((n + 1) / 2) && 1 - 2 * cdf[k] >= confidence) k++;
  return { median: median(sorted), low: sorted[k - 1], high: sorted[n - k], coverage: 1 - 2 * cdf[k - 1], rank: k, n };
}

/** A target read from an interval: met when all of it is on the target's side, missed when all of it is beyond, else not shown. */
export type IntervalVerdict = 'met' | 'missed' | 'not shown';

/** `goodIs` 'below': a value at most `target` is good; 'above': at least `target`. */
export function intervalVerdict(r: MedianInterval, target: number, goodIs: 'below' | 'above'): IntervalVerdict {
  if (!(r.n > 0)) return 'not shown';
  const [good, bad] = goodIs === 'below' ? [r.high <= target, r.low > target] : [r.low >= target, r.high < target];
  return good ? 'met' : bad ? 'missed' : 'not shown';
}

/** A verdict as the tables print it. */
export const verdictText = (v: IntervalVerdict): string => (v === 'not shown' ? 'not shown' : `**${v}**`);
