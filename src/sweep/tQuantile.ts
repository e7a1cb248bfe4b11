/**
 * Two-sided 95 % critical values of Student's t distribution, t(0.975, df), for confidence
 * intervals over a handful of seeds.
 */

// t(0.975, df) for df = 1..30 (standard tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
// Beyond 30, linear in 1/df between the tabled points (40, 60, 120, ∞).
const TAIL: Array<[number, number]> = [
  [30, 2.042],
  [40, 2.021],
  [60, 2.0],
  [120, 1.98],
  [Infinity, 1.96],
];

/** t(0.975, df): the multiplier of the standard error for a two-sided 95 % interval. */
export function t975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`df: must be a positive integer, got ${df}`);
  if (df <= 30) return T975[df - 1] as number;
  for (let i = 1; i < TAIL.length; i++) {
    const [d0, t0] = TAIL[i - 1] as [number, number];
    const [d1, t1] = TAIL[i] as [number, number];
    if (df <= d1) {
      const x = (1 / df - 1 / d0) / (1 / d1 - 1 / d0);
      return t0 + x * (t1 - t0);
    }
  }
  return 1.96;
}
