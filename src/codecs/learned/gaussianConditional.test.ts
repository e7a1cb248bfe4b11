/** Gaussian conditional: Φ, the scale table, table indexes and likelihoods (cpu). */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ransIdealBits } from '../entropy/rans.js';
import { gaussianLikelihood, scaleIndex, scaleTables, SCALES_LEVELS } from './gaussianConditional.js';
import { normalCdf, normalCdfTf, normalQuantile, roundHalfEven } from './ops.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('standard normal cdf', () => {
  // Reference values (Abramowitz & Stegun table 26.1 / high-precision erfc).
  const ref: [number, number][] = [
    [0, 0.5],
    [-1, 0.15865525393145707],
    [1, 0.8413447460685429],
    [-3, 0.0013498980316301],
    [-6, 9.865876450376946e-10],
    [-10, 7.619853024160527e-24],
  ];

  it('is accurate in relative terms deep in the lower tail', () => {
    for (const [x, p] of ref) expect(Math.abs(normalCdf(x) / p - 1)).toBeLessThan(2e-7);
  });

  it('tensor version equals the JS version; its quantile inverts it', () => {
    const xs = ref.map(([x]) => x);
    const got = tf.tidy(() => normalCdfTf(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => expect(Math.abs((got[i] as number) / normalCdf(x) - 1)).toBeLessThan(1e-5));
    expect(normalQuantile(5e-10)).toBeCloseTo(-6.109410204869, 6);
  });

  it('roundHalfEven matches tf.round on ties', () => {
    const xs = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, -3.7];
    const tfr = tf.tidy(() => tf.round(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => expect(roundHalfEven(x)).toBe(tfr[i]));
  });
});

describe('scale table and indexes', () => {
  const { scales, tables } = scaleTables();

  it('has 64 log-spaced scales from 0.11 to 256, one CDF table each', () => {
    expect(scales.length).toBe(SCALES_LEVELS);
    expect(scales[0]).toBeCloseTo(0.11, 12);
    expect(scales[63]).toBeCloseTo(256, 9);
    expect((scales[10] as number) / (scales[9] as number)).toBeCloseTo((scales[50] as number) / (scales[49] as number), 12);
    expect(tables.length).toBe(64);
    expect(scaleTables()).toBe(scaleTables());
  });

  it('indexes each σ to the nearest scale in log σ, clamped at the ends', () => {
    expect(scaleIndex(0.01, scales)).toBe(0);
    expect(scaleIndex(Number.NaN, scales)).toBe(0);
    expect(scaleIndex(1000, scales)).toBe(63);
    for (let i = 1; i < 64; i++) {
      const mid = Math.sqrt((scales[i - 1] as number) * (scales[i] as number));
      expect(scaleIndex(mid * 0.999, scales)).toBe(i - 1);
      expect(scaleIndex(mid * 1.001, scales)).toBe(i);
      expect(scaleIndex(scales[i] as number, scales)).toBe(i);
    }
  });

  it('tables code symbols at −log2 of the discretised Gaussian of their scale', () => {
    // The widest table (σ = 256, ±1564 values) spends ~1.5% of its 2^16 slots on the floor of one
    // slot per tail symbol: ≈ 0.03 bits on every symbol, the 16-bit precision's price.
    for (const [t, tol] of [[0, 0.01], [20, 0.01], [40, 0.01], [63, 0.05]] as const) {
      const s = scales[t] as number;
      for (const k of [0, 1, -2, 5]) {
        const p = normalCdf((k + 0.5) / s) - normalCdf((k - 0.5) / s);
        if (p < 1e-3) continue;
        const bits = ransIdealBits(Int32Array.of(k), Int32Array.of(t), tables);
        expect(Math.abs(bits + Math.log2(p))).toBeLessThan(tol);
      }
    }
  });
});

describe('gaussian likelihood', () => {
  it('sums to 1 over the integers for any mean and scale (small scales bounded at 0.11)', () => {
    for (const [mu, sigma] of [[0, 0.05], [0.3, 0.5], [-1.7, 3], [2.2, 12]] as const) {
      const n = 201;
      const sum = tf.tidy(() => {
        const v = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i - 100 + Math.round(mu)));
        const lik = gaussianLikelihood(v, tf.fill([n], sigma), tf.fill([n], mu));
        return tf.sum(lik).dataSync()[0] as number;
      });
      expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
    }
  });

  it('its scale gradient is the finite difference of −log2 p', () => {
    const f = (s: tf.Tensor): tf.Scalar => tf.neg(tf.sum(tf.log(gaussianLikelihood(tf.tensor1d([2, -1, 0]), s, null)))) as tf.Scalar;
    const at = [0.8, 1.5, 3];
    const g = tf.tidy(() => tf.grad(f)(tf.tensor1d(at)).dataSync());
    at.forEach((s, i) => {
      const h = 1e-2;
      const up = at.slice();
      const dn = at.slice();
      up[i] = s + h;
      dn[i] = s - h;
      const fd = tf.tidy(() => ((f(tf.tensor1d(up)).dataSync()[0] as number) - (f(tf.tensor1d(dn)).dataSync()[0] as number)) / (2 * h));
      expect(g[i]).toBeCloseTo(fd, 2);
    });
  });
});
