/** Mean and Student-t 95 % confidence interval over seeds; paired differences. */
import { t975 } from './tQuantile.js';

/** A mean over `n` values and its 95 % interval (null bounds below two values). */
export interface Interval {
  n: number;
  mean: number | null;
  /** Half-width of the two-sided 95 % interval, t(0.975, n−1)·s/√n. */
  halfWidth: number | null;
  low: number | null;
  high: number | null;
}

/** Mean and 95 % confidence interval of the finite values (others are left out and not counted). */
export function meanInterval(values: ReadonlyArray<number | null | undefined>): Interval {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { n, mean: null, halfWidth: null, low: null, high: null };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, halfWidth: null, low: null, high: null };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const halfWidth = t975(n - 1) * Math.sqrt(variance / n);
  return { n, mean, halfWidth, low: mean - halfWidth, high: mean + halfWidth };
}

/**
 * The paired difference `a − b` over the keys (seeds) both have a finite value for, with its
 * 95 % interval: pairing removes the seed-to-seed variation the two settings share.
 */
export function pairedDifference(a: ReadonlyMap<number, number | null>, b: ReadonlyMap<number, number | null>): Interval {
  const diffs: number[] = [];
  for (const [seed, x] of a) {
    const y = b.get(seed);
    if (typeof x === 'number' && Number.isFinite(x) && typeof y === 'number' && Number.isFinite(y)) diffs.push(x - y);
  }
  return meanInterval(diffs);
}

/**
 * Whether a paired difference (setting − baseline) is, with 95 % confidence, no worse than
 * `−tolerance`: the interval's lower bound is ≥ −tolerance. Null below two pairs.
 */
export function withinTolerance(diff: Interval, tolerance: number): boolean | null {
  return diff.low === null ? null : diff.low >= -tolerance;
}
