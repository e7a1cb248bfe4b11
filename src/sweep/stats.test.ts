import { describe, expect, it } from 'vitest';
import { meanInterval, pairedDifference, withinTolerance } from './stats.js';
import { t975 } from './tQuantile.js';

describe('t975', () => {
  it('matches the table and tends to the normal quantile', () => {
    expect(t975(1)).toBe(12.706);
    expect(t975(2)).toBe(4.303);
    expect(t975(10)).toBe(2.228);
    expect(t975(30)).toBe(2.042);
    expect(t975(50)).toBeGreaterThan(2.0);
    expect(t975(50)).toBeLessThan(2.021);
    expect(t975(100000)).toBeCloseTo(1.96, 3);
    expect(() => t975(0)).toThrow('df: must be a positive integer, got 0');
  });
});

describe('meanInterval', () => {
  it('mean ± t·s/√n over the finite values', () => {
    // 1, 2, 3: mean 2, s = 1, n = 3 → half-width 4.303/√3.
    const i = meanInterval([1, 2, null, 3, Number.NaN]);
    expect(i.n).toBe(3);
    expect(i.mean).toBe(2);
    expect(i.halfWidth).toBeCloseTo(4.303 / Math.sqrt(3), 12);
    expect(i.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 12);
  });
  it('no interval from one value, nothing from none', () => {
    expect(meanInterval([0.5])).toEqual({ n: 1, mean: 0.5, halfWidth: null, low: null, high: null });
    expect(meanInterval([])).toEqual({ n: 0, mean: null, halfWidth: null, low: null, high: null });
  });
});

describe('pairedDifference', () => {
  it('pairs by seed, so a shared seed effect cancels', () => {
    const none = new Map([[1, 0.5], [2, 0.7], [3, 0.9], [4, 0.6]]);
    // Each seed 0.01 below none, whatever the seed's own level; seed 4 unpaired.
    const codec = new Map<number, number | null>([[1, 0.49], [2, 0.69], [3, 0.89], [5, 0.1]]);
    const d = pairedDifference(codec, none);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(-0.01, 12);
    expect(d.halfWidth).toBeCloseTo(0, 12);
    expect(withinTolerance(d, 0.02)).toBe(true);
    expect(withinTolerance(d, 0.005)).toBe(false);
    // Unpaired, the same numbers give a wide interval.
    expect(meanInterval([0.49, 0.69, 0.89]).halfWidth).toBeGreaterThan(0.4);
  });
  it('says nothing below two pairs', () => {
    expect(withinTolerance(pairedDifference(new Map([[1, 0.5]]), new Map([[1, 0.5]])), 0.02)).toBeNull();
  });
});
