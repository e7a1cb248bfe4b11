/** The factorized entropy bottleneck: a proper distribution, its tables, and its aux loss (cpu). */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../model/adam.js';
import { Rng } from '../../sim/rng.js';
import { ransIdealBits } from '../entropy/rans.js';
import { bottleneckSymbols, entropyBottleneck, } from './entropyBottleneck.js';
import { initLearnedParams, learnedToTensors, paramOffsets, ParamBuilder } from './params.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const C = 4;

function setup(seed: number): { b: ParamBuilder; eb: ReturnType<typeof entropyBottleneck>; flat: Float32Array } {
  const b = new ParamBuilder();
  const eb = entropyBottleneck(b, 'eb', C);
  const flat = initLearnedParams(b.specs, new Rng(seed, 'eb'));
  // Perturb the density net so channels differ from the symmetric initialisation.
  const rng = new Rng(seed, 'perturb');
  const quantilesStart = paramOffsets(b.specs)[b.specs.length - 1] as number;
  for (let i = 0; i < quantilesStart; i++) flat[i] = (flat[i] as number) + rng.normal(0, 0.1);
  return { b, eb, flat };
}

/** Likelihoods of the values k + offset, k = −range..range, per channel: [2·range+1][C]. */
function gridLikelihood(s: ReturnType<typeof setup>, offset: number, range: number): Float32Array {
  return tf.tidy(() => {
    const p = learnedToTensors(s.b.specs, s.flat, 'eb');
    const n = 2 * range + 1;
    const v = tf.tensor4d(
      Float32Array.from({ length: n * C }, (_, i) => Math.floor(i / C) - range + offset),
      [1, 1, n, C],
    );
    return s.eb.likelihood(p, v).dataSync() as Float32Array;
  });
}

describe('entropy bottleneck', () => {
  it('likelihoods over the integers (any offset) sum to 1 per channel', () => {
    const s = setup(1);
    for (const offset of [0, 0.37]) {
      const lik = gridLikelihood(s, offset, 400); // the initial density is logistic-like, scale ≈ 10
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let k = c; k < lik.length; k += C) sum += lik[k] as number;
        expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
      }
    }
  });

  it('tables code each symbol at −log2 p of the model, cached per parameter version', () => {
    const s = setup(2);
    const t1 = s.eb.tables(s.flat, s.b.specs);
    expect(s.eb.tables(s.flat, s.b.specs)).toBe(t1);
    const lik = gridLikelihood(s, 0, 6); // medians start at 0: value k is symbol k
    for (let c = 0; c < C; c++) {
      for (let k = -6; k <= 6; k++) {
        const p = lik[(k + 6) * C + c] as number;
        if (p < 1e-3) continue;
        const sym = Int32Array.of(k);
        const bits = ransIdealBits(sym, Int32Array.of(c), t1.tables);
        expect(Math.abs(bits + Math.log2(p))).toBeLessThan(0.01);
      }
    }
    const saved = s.flat[0] as number;
    s.flat[0] = saved + 0.5;
    const t2 = s.eb.tables(s.flat, s.b.specs);
    expect(t2).not.toBe(t1);
    expect(t2.tables[0]?.cdf).not.toEqual(t1.tables[0]?.cdf);
    s.flat[0] = saved; // back to the first parameters: served from the cache
    expect(s.eb.tables(s.flat, s.b.specs)).toBe(t1);
  });

  it('quantises around the medians: round and ste give median + integer, noise stays within ±½', () => {
    const s = setup(3);
    const q = paramOffsets(s.b.specs)[s.b.specs.length - 1] as number;
    for (let c = 0; c < C; c++) s.flat[q + 3 * c + 1] = 0.25 * c; // medians 0, .25, .5, .75
    tf.tidy(() => {
      const p = learnedToTensors(s.b.specs, s.flat, 'eb');
      const rng = new Rng(3, 'y');
      const y = tf.tensor4d(Float32Array.from({ length: 5 * C }, () => rng.normal(0, 3)), [1, 1, 5, C]);
      const yv = y.dataSync();
      for (const mode of ['round', 'ste'] as const) {
        const out = s.eb.quantize(p, y, mode).dataSync();
        out.forEach((v, i) => {
          const m = 0.25 * (i % C);
          expect(Number.isInteger(Math.round((v - m) * 1e4) / 1e4)).toBe(true);
          expect(Math.abs(v - (yv[i] as number))).toBeLessThanOrEqual(0.5 + 1e-6);
        });
      }
      const noisy = s.eb.quantize(p, y, 'noise', new Rng(1, 'noise')).dataSync();
      noisy.forEach((v, i) => expect(Math.abs(v - (yv[i] as number))).toBeLessThanOrEqual(0.5));
      const { symbols } = bottleneckSymbols(yv as Float32Array, Float32Array.from({ length: C }, (_, c) => 0.25 * c));
      const rounded = s.eb.quantize(p, y, 'round').dataSync();
      symbols.forEach((k, i) => expect(k + 0.25 * (i % C)).toBeCloseTo(rounded[i] as number, 5));
    });
  });

  it('the aux loss trains only the quantiles, the likelihood never reaches them', () => {
    const s = setup(4);
    const q = paramOffsets(s.b.specs)[s.b.specs.length - 1] as number;
    const grads = (f: (p: tf.Tensor[]) => tf.Scalar): Float32Array =>
      tf.tidy(() => {
        const p = learnedToTensors(s.b.specs, s.flat, 'eb');
        // 0·Σθ keeps every parameter connected (tf.grads rejects unused arguments).
        const g = tf.grads((...args: tf.Tensor[]) => tf.add(f(args), tf.mul(tf.addN(args.map((a) => tf.sum(a))), 0)) as tf.Scalar)(p);
        return Float32Array.from(g.flatMap((t) => Array.from(t.dataSync())));
      });
    const aux = grads((p) => s.eb.auxLoss(p));
    expect(aux.subarray(0, q).every((v) => v === 0)).toBe(true);
    expect(aux.subarray(q).some((v) => v !== 0)).toBe(true);
    const rate = grads((p) => {
      const v = tf.tensor4d([0.3, -1.2, 2, 0.1, 1, 1, -3, 0], [1, 1, 2, C]);
      return tf.neg(tf.sum(tf.log(s.eb.likelihood(p, v)))) as tf.Scalar;
    });
    expect(rate.subarray(q).every((v) => v === 0)).toBe(true);
    expect(rate.subarray(0, q).some((v) => v !== 0)).toBe(true);
  });

  it('minimising the aux loss moves the quantiles out to the 1e-9 tails', () => {
    const s = setup(5);
    const loss = (): { value: number; grads: Float32Array } =>
      tf.tidy(() => {
        const p = learnedToTensors(s.b.specs, s.flat, 'eb');
        const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => s.eb.auxLoss(args))(p);
        return { value: value.dataSync()[0] as number, grads: Float32Array.from(grads.flatMap((t) => Array.from(t.dataSync()))) };
      });
    const first = loss().value;
    // The net is frozen under this loss and its initial tails are wide (the 1e-9 quantiles sit
    // near ±210), so large steps first, then small ones to settle.
    for (const [lr, steps] of [[2, 250], [0.1, 100]] as const) {
      const adam = new Adam(s.flat.length, { lr });
      for (let i = 0; i < steps; i++) adam.step(s.flat, loss().grads);
    }
    expect(loss().value).toBeLessThan(0.01 * first);
    const { tables } = s.eb.tables(s.flat, s.b.specs);
    for (const t of tables) {
      const n = t.cdf.length - 1;
      expect(n).toBeGreaterThan(300); // covers the quantile range
      expect((t.cdf[n] as number) - (t.cdf[n - 1] as number)).toBe(1); // escape: tail mass < 2^-16
    }
  });

  it('a channel whose lower + upper logits sum to exactly 0 keeps its likelihood (all biases 0, value 0)', () => {
    const b = new ParamBuilder();
    const eb = entropyBottleneck(b, 'eb', C);
    const flat = initLearnedParams(b.specs, new Rng(6, 'eb'));
    const offsets = paramOffsets(b.specs);
    b.specs.forEach((spec, k) => {
      if (spec.name.includes('.bias')) flat.fill(0, offsets[k], offsets[k + 1]);
    });
    // Zero biases make the net odd (positive matrices, tanh), so logits(−½) = −logits(½) exactly.
    const lik = tf.tidy(() => {
      const p = learnedToTensors(b.specs, flat, 'eb');
      return eb.likelihood(p, tf.zeros([1, 1, 1, C]) as tf.Tensor4D).dataSync() as Float32Array;
    });
    // The same mass from the CDF tables (double precision, zero sign taken as 1).
    const { tables } = eb.tables(flat, b.specs);
    for (let c = 0; c < C; c++) {
      const p = lik[c] as number;
      expect(p).toBeGreaterThan(0.01); // CompressAI: σ(u) − σ(−u) with u = logits(½), 0.02499 at the initial matrices
      expect(Math.abs(ransIdealBits(Int32Array.of(0), Int32Array.of(c), tables) + Math.log2(p))).toBeLessThan(0.01);
    }
  });
});
