/**
 * `factorized` on the cpu backend: training lowers the rate, real coding matches the model's own
 * estimate, decoding reproduces the model's inference reconstruction, inputs are validated.
 * (Corrupt streams and leaks: codecs.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../model/adam.js';
import { Rng } from '../../sim/rng.js';
import { createLearnedCodec } from './createLearnedCodec.js';
import { smoothFields } from './fixtures.js';
import { rateAccount } from './rateAccount.js';
import { learnedLossAndGrads } from './train.js';
import type { TensorData } from '../types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const STEPS = 36;
const spec = { name: 'factorized', channels: 8, latent: 8, stages: 2 } as const;

function toTensor(t: TensorData): tf.Tensor4D {
  return tf.tensor4d(t.data, t.shape as [number, number, number, number]);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('factorized codec', () => {
  const codec = createLearnedCodec(spec);
  const params = codec.init(new Rng(7, 'codec/factorized'));
  const test = smoothFields(4, 16, 8, new Rng(7, 'test'));
  const history: { bits: number; mse: number }[] = [];

  it(`trains: ${STEPS} Adam steps on MSE + λ·bits lower the rate and the distortion`, () => {
    const adam = new Adam(codec.paramCount, { lr: 1e-2 });
    const rng = new Rng(7, 'train');
    const before = codec.estimate(params, test);
    for (let step = 0; step < STEPS; step++) {
      const batch = smoothFields(2, 16, 8, rng.child(`batch${step}`));
      const x = toTensor(batch);
      const r = learnedLossAndGrads(codec, params, x, { lambda: 0.02, rng: rng.child(`noise${step}`) });
      x.dispose();
      adam.step(params, r.grads);
      history.push({ bits: r.bitsPerElement, mse: r.mse });
    }
    const after = codec.estimate(params, test);
    const mse = (t: TensorData): number => t.data.reduce((s, v, i) => s + (v - (test.data[i] as number)) ** 2, 0) / t.data.length;
    const first = history.slice(0, 5).reduce((s, h) => s + h.bits, 0) / 5;
    const last = history.slice(-5).reduce((s, h) => s + h.bits, 0) / 5;
    console.log(`factorized training: bits/element ${first.toFixed(3)} → ${last.toFixed(3)}; held-out estimate ${before.bits.toFixed(0)} → ${after.bits.toFixed(0)} bits, mse ${mse(before.xhat).toFixed(4)} → ${mse(after.xhat).toFixed(4)}`);
    expect(last).toBeLessThan(0.8 * first);
    expect(after.bits).toBeLessThan(0.8 * before.bits);
    expect(mse(after.xhat)).toBeLessThan(mse(before.xhat));
  }, 60_000);

  it('codes within 1% of its own estimate, plus fixed overhead', () => {
    const bytes = codec.compress(params, test);
    const acc = rateAccount(codec, params, test, bytes);
    console.log(`factorized rate account: ${JSON.stringify(acc)}`);
    expect(acc.gap).toBeLessThan(0.01);
    expect(acc.totalGap).toBeGreaterThan(-0.01);
  });

  it('decompress(compress(x)) is the model inference reconstruction (estimate and forward round)', () => {
    const decoded = codec.decompress(params, codec.compress(params, test));
    const est = codec.estimate(params, test);
    expect(decoded.shape).toEqual(test.shape);
    expect(maxAbsDiff(decoded.data, est.xhat.data)).toBe(0);
    const p = codec.toTensors(params);
    const x = toTensor(test);
    const r = codec.forward(p, x, 'round');
    expect(maxAbsDiff(r.xhat.dataSync() as Float32Array, est.xhat.data)).toBeLessThan(1e-5);
    expect(r.bits.dataSync()[0]).toBeCloseTo(est.bits, 1);
    tf.dispose([p, x, r.xhat, r.bits, ...r.likelihoods]);
  });

  it('validates inputs at the boundary', () => {
    expect(() => codec.compress(params, { data: new Float32Array(10 * 16 * 8), shape: [1, 10, 16, 8] })).toThrow(
      'factorized.encode.shape[1]: must be a positive multiple of 4 (2^(stages + hyper stages)), got 10',
    );
    expect(() => codec.compress(params, { data: new Float32Array(16 * 16 * 4), shape: [1, 16, 16, 4] })).toThrow(
      "factorized.encode.shape[3]: must be 8 (the codec's channels), got 4",
    );
    const nan = { data: test.data.slice(), shape: test.shape };
    nan.data[5] = NaN;
    expect(() => codec.compress(params, nan)).toThrow('factorized.encode.data[5]: must be finite, got NaN');
    expect(() => codec.compress(params.subarray(1), test)).toThrow(/factorized params: must be a Float32Array of length/);
    expect(() => createLearnedCodec({ name: 'factorized', channels: 8, latent: 0 })).toThrow(
      'learnedCodec.latent: must be an integer in 1..65535, got 0',
    );
  });
});
