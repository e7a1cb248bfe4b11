import { describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { fastNormal, fractalNoise, gaussianBlur, octavesFor, profileAt, radialProfile, valueNoise } from './noise.js';

describe('noise helpers', () => {
  it('fastNormal has mean ≈ 0 and std ≈ 1', () => {
    const rng = new Rng(1, 'n');
    let s = 0;
    let s2 = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const z = fastNormal(rng);
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(Math.sqrt(s2 / n) - 1)).toBeLessThan(0.02);
  });

  it('value and fractal noise stay in [-1, 1] and are not constant', () => {
    for (const field of [valueNoise(new Rng(2), 64, 8), fractalNoise(new Rng(3), 64, 3, 4)]) {
      const lo = Math.min(...field);
      const hi = Math.max(...field);
      expect(lo).toBeGreaterThanOrEqual(-1);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi - lo).toBeGreaterThan(0.3);
    }
  });

  it('octavesFor ends at lattice cells of two to four pixels', () => {
    expect(octavesFor(64, 5)).toBe(2);
    expect(octavesFor(256, 5)).toBe(4);
    expect(octavesFor(16, 8)).toBe(1);
  });

  it('gaussianBlur keeps constants, keeps the mean and lowers the variance', () => {
    const flat = new Float32Array(10 * 12 * 3).fill(0.4);
    gaussianBlur(flat, 10, 12, 3, 1.3);
    for (const v of flat) expect(v).toBeCloseTo(0.4, 6);

    const rng = new Rng(4);
    const img = Float32Array.from({ length: 32 * 32 }, () => rng.uniform());
    const before = [...img];
    gaussianBlur(img, 32, 32, 1, 1);
    const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((x, y) => x + y, 0) / a.length;
    const variance = (a: ArrayLike<number>): number => {
      const m = mean(a);
      return Array.from(a).reduce((x, y) => x + (y - m) ** 2, 0) / a.length;
    };
    expect(mean(img)).toBeCloseTo(mean(before), 2);
    expect(variance(img)).toBeLessThan(variance(before) / 3);
  });

  it('gaussianBlur blurs along both axes of a non-square image', () => {
    // 9 rows × 15 columns, impulse at (row 4, column 7): at least 4 px from every border,
    // beyond the kernel radius of 3, so no mass is lost to border clamping.
    const w = 15;
    const img = new Float32Array(9 * w);
    img[4 * w + 7] = 1;
    gaussianBlur(img, 9, w, 1, 1);
    expect(img[4 * w + 6]).toBeCloseTo(img[4 * w + 8]!, 6);
    expect(img[3 * w + 7]).toBeCloseTo(img[5 * w + 7]!, 6);
    expect(img[3 * w + 7]).toBeCloseTo(img[4 * w + 6]!, 6);
    expect(img[4 * w + 7]).toBeLessThan(0.2);
    expect(img.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('radial profiles are positive and periodic', () => {
    const table = radialProfile(new Rng(5), 5, 0.6);
    for (const v of table) expect(v).toBeGreaterThanOrEqual(0.35);
    expect(profileAt(table, 0.3)).toBeCloseTo(profileAt(table, 0.3 + 2 * Math.PI), 5);
    expect(profileAt(table, -0.3)).toBeCloseTo(profileAt(table, 2 * Math.PI - 0.3), 5);
  });
});
