/**
 * The plain-JS raster-scan context model equals the tensor path that trains it: masked conv over
 * the final ŷ, then the entropy-parameters net (cpu backend).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { serialContextPass, type ContextWeights } from './contextModel.js';
import { scaleIndex, scaleTables } from './gaussianConditional.js';
import { conv1x1, MASK_A_5x5, maskedConv5x5 } from './layers.js';
import { roundHalfEven } from './ops.js';
import { initLearnedParams, learnedToTensors, paramViews, ParamBuilder } from './params.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('serial context model', () => {
  it('gives the σ, μ of masked conv + entropy parameters on the ŷ it reconstructs', () => {
    const n = 4;
    const [B, H, W] = [2, 5, 6];
    const widths = [4 * n, Math.floor((10 * n) / 3), Math.floor((8 * n) / 3), 2 * n];
    const b = new ParamBuilder();
    const ctx = maskedConv5x5(b, 'ctx', n, 2 * n, MASK_A_5x5);
    const ep = [0, 1, 2].map((k) => conv1x1(b, `ep${k}`, widths[k] as number, widths[k + 1] as number));
    const flat = initLearnedParams(b.specs, new Rng(19, 'ctx'));
    const rng = new Rng(19, 'data');
    const hyper = Float32Array.from({ length: B * H * W * 2 * n }, () => rng.normal());
    const y = Float32Array.from({ length: B * H * W * n }, () => rng.normal(0, 2));
    const v = paramViews(b.specs, flat, 'ctx');
    const weights: ContextWeights = {
      n,
      ctxW: v[0] as Float32Array,
      ctxB: v[1] as Float32Array,
      mask: MASK_A_5x5,
      ep: [0, 1, 2].map((k) => ({ w: v[2 + 2 * k] as Float32Array, b: v[3 + 2 * k] as Float32Array, cin: widths[k] as number, cout: widths[k + 1] as number })),
    };
    const { scales } = scaleTables();
    const record = { sigmas: new Float32Array(y.length), means: new Float32Array(y.length) };
    const tablesSeen: number[] = [];
    const yhat = serialContextPass([B, H, W], hyper, weights, scales, (i, t, mean) => {
      tablesSeen.push(t);
      return roundHalfEven(Math.fround((y[i] as number) - mean));
    }, record);

    const [sigma, mean] = tf.tidy(() => {
      const p = learnedToTensors(b.specs, flat, 'ctx');
      let h: tf.Tensor4D = tf.concat([tf.tensor4d(hyper, [B, H, W, 2 * n]), ctx(p, tf.tensor4d(yhat, [B, H, W, n]))], 3);
      ep.forEach((l, k) => {
        h = l(p, h);
        if (k < 2) h = tf.leakyRelu(h, 0.01);
      });
      return tf.split(h, 2, 3).map((t) => t.dataSync() as Float32Array);
    }) as [Float32Array, Float32Array];
    for (let i = 0; i < y.length; i++) {
      expect(Math.abs((record.sigmas[i] as number) - (sigma[i] as number))).toBeLessThan(1e-4);
      expect(Math.abs((record.means[i] as number) - (mean[i] as number))).toBeLessThan(1e-4);
      expect(Math.abs((yhat[i] as number) - (y[i] as number))).toBeLessThanOrEqual(0.5 + 1e-4);
      expect(tablesSeen[i]).toBe(scaleIndex(record.sigmas[i] as number, scales));
    }
  });
});
