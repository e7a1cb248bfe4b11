/**
 * End to end on the cpu backend: a tiny U-shaped split model learns a trivially learnable toy
 * segmentation (mask = image > 0.5) with Adam, running the protocol's steps part by part.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { Adam } from './adam.js';
import { partBackward, partForward, partLossBackward, predict } from './grads.js';
import { confusion, iouDice } from './metrics.js';
import { initModelParams } from './params.js';
import { buildSplitUNet, getPart } from './unet.js';
import type { PartName } from './types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training the split U-Net', () => {
  it('60 Adam steps on mask = image > 0.5 cut the loss and segment the mask', () => {
    // base 2, batch 2: the cpu backend's Conv2DBackpropFilter is a scalar loop (tfjs 4.22), so this
    // is what fits the folder's time budget; wider nets learn the same task on the wasm backend.
    const cfg = { inChannels: 1, classes: 2, baseChannels: 2, depth: 3, size: 16 };
    const model = buildSplitUNet(cfg, 'u-shaped');
    const params = initModelParams(model, new Rng(21, 'model')) as Record<PartName, Float32Array>;
    const parts = { FE: getPart(model, 'FE'), M: getPart(model, 'M'), BE: getPart(model, 'BE') };
    const opt = {
      FE: new Adam(parts.FE.paramCount, { lr: 3e-2 }),
      M: new Adam(parts.M.paramCount, { lr: 3e-2 }),
      BE: new Adam(parts.BE.paramCount, { lr: 3e-2 }),
    };
    const rng = new Rng(22, 'toy');
    const pixels = Float32Array.from({ length: 2 * 16 * 16 }, () => rng.uniform());
    const x = tf.tensor4d(pixels, [2, 16, 16, 1]);
    const truth = Uint8Array.from(pixels, (v) => (v > 0.5 ? 1 : 0));
    const y = tf.tensor(Int32Array.from(truth), [2, 16, 16], 'int32');

    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const [f1, skip0] = partForward(parts.FE, params.FE, [x]) as [tf.Tensor, tf.Tensor];
      const [f2] = partForward(parts.M, params.M, [f1]) as [tf.Tensor];
      const be = partLossBackward(parts.BE, params.BE, [f2, skip0], y, cfg.classes);
      const mid = partBackward(parts.M, params.M, [f1], [be.dInputs[0] as tf.Tensor]);
      const fe = partBackward(parts.FE, params.FE, [x], [mid.dInputs[0] as tf.Tensor, be.dInputs[1] as tf.Tensor]);
      opt.BE.step(params.BE, be.dParams);
      opt.M.step(params.M, mid.dParams);
      opt.FE.step(params.FE, fe.dParams);
      losses.push(be.loss);
      tf.dispose([f1, skip0, f2, ...be.dInputs, ...mid.dInputs, ...fe.dInputs]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const first = losses[0] as number;
    const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(last).toBeLessThan(0.4 * first);

    const logits = predict(model, params, x);
    const pred = tf.tidy(() => tf.argMax(logits, 3).dataSync() as Int32Array);
    logits.dispose();
    const { meanIoU } = iouDice(confusion(pred, truth, 2), 2);
    expect(meanIoU).toBeGreaterThan(0.8);
    tf.dispose([x, y]);
  }, 60_000);
});
