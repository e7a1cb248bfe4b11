import { describe, it, expect } from 'vitest';
import { Rng } from './rng.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('Rng determinism', () => {
  it('gives the same sequence for the same seed and path', () => {
    expect(draws(new Rng(42, 'a/b'), 100)).toEqual(draws(new Rng(42, 'a/b'), 100));
    expect(draws(new Rng('scenario-x'), 10)).toEqual(draws(new Rng('scenario-x'), 10));
  });

  it('pins golden draws for seed 42 (a changed generator changes every traffic log)', () => {
    expect(draws(new Rng(42), 3)).toEqual([1618592079, 2182750463, 2966498509]);
    expect(new Rng(42).child('link/client-0/uplink').uniform()).toBe(0.19335919104169663);
  });

  it('differs between seeds and between paths', () => {
    expect(draws(new Rng(1), 8)).not.toEqual(draws(new Rng(2), 8));
    expect(draws(new Rng(1, 'x'), 8)).not.toEqual(draws(new Rng(1, 'y'), 8));
    // seed and path are joined with a separator, so seed 1 path '2' is not seed 12 path ''
    expect(draws(new Rng(1, '2'), 8)).not.toEqual(draws(new Rng(12, ''), 8));
  });
});

describe('Rng child streams', () => {
  it('names children by path, independent of how they are reached', () => {
    const root = new Rng(7);
    expect(root.child('link').child('client-0').path).toBe('link/client-0');
    expect(draws(root.child('link').child('client-0'), 20)).toEqual(draws(root.child('link/client-0'), 20));
  });

  it('is unaffected by draws from the parent or from siblings', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    a.uniform();
    a.child('noise').uniform();
    expect(draws(a.child('data'), 20)).toEqual(draws(b.child('data'), 20));
  });

  it('gives siblings uncorrelated streams', () => {
    const root = new Rng(99);
    const x = root.child('x');
    const y = root.child('y');
    const n = 20_000;
    let sxy = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      const u = x.uniform();
      const v = y.uniform();
      sx += u;
      sy += v;
      sxy += u * v;
      sxx += u * u;
      syy += v * v;
    }
    const cov = sxy / n - (sx / n) * (sy / n);
    const corr = cov / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
    expect(Math.abs(corr)).toBeLessThan(0.03); // 4 sigma at n = 20,000
  });
});

describe('Rng distributions', () => {
  const N = 50_000;

  it('uniform: in [0, 1), mean 1/2, variance 1/12, flat over 10 bins', () => {
    const rng = new Rng(3, 'uniform');
    const bins = new Array<number>(10).fill(0);
    let sum = 0;
    let sq = 0;
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const u = rng.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sq += u * u;
      bins[Math.floor(u * 10)]!++;
    }
    expect(outside).toBe(0);
    const mean = sum / N;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.006);
    expect(Math.abs(sq / N - mean * mean - 1 / 12)).toBeLessThan(0.003);
    const expected = N / 10;
    const chi2 = bins.reduce((acc, b) => acc + (b - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9); // chi-square, 9 dof, p = 0.001
  });

  it('int and range stay in bounds and hit every value', () => {
    const rng = new Rng(3, 'int');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const k = rng.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
      seen.add(k);
      const r = rng.range(-2, 5);
      expect(r >= -2 && r < 5).toBe(true);
    }
    expect(seen.size).toBe(7);
  });

  it('bernoulli matches p', () => {
    const rng = new Rng(3, 'bern');
    let hits = 0;
    for (let i = 0; i < N; i++) if (rng.bernoulli(0.3)) hits++;
    expect(Math.abs(hits / N - 0.3)).toBeLessThan(0.01);
  });

  it('normal: mean, std and tail mass', () => {
    const rng = new Rng(3, 'normal');
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (let i = 0; i < N; i++) {
      const z = rng.normal(1, 2);
      sum += z;
      sq += z * z;
      if (Math.abs(z - 1) > 4) beyond2++;
    }
    const mean = sum / N;
    expect(Math.abs(mean - 1)).toBeLessThan(0.04);
    expect(Math.abs(Math.sqrt(sq / N - mean * mean) - 2)).toBeLessThan(0.04);
    expect(Math.abs(beyond2 / N - 0.0455)).toBeLessThan(0.006); // P(|Z| > 2)
  });

  it('gamma has mean = shape, for shape above and below 1', () => {
    for (const shape of [0.5, 3]) {
      const rng = new Rng(3, `gamma-${shape}`);
      let sum = 0;
      for (let i = 0; i < 20_000; i++) sum += rng.gamma(shape);
      expect(Math.abs(sum / 20_000 - shape)).toBeLessThan(0.05 * shape + 0.02);
    }
  });

  it('dirichlet sums to 1 with non-negative parts; shuffle permutes', () => {
    const rng = new Rng(3, 'dir');
    const p = rng.dirichlet(0.5, 6);
    expect(p).toHaveLength(6);
    expect(p.every((x) => x >= 0)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });
});
