/**
 * The async readback variants (`partBackwardAsync`, `partLossBackwardAsync`,
 * `flattenTensorsAsync`) against their sync twins: the same tensor computation read with
 * `await data()` instead of `dataSync()`, so the values must agree bit for bit, on wasm (with
 * splitwire's conv gradient kernels) and on cpu, and nothing may leak, errors included.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../compute/backend.js';
import { Rng } from '../sim/rng.js';
import { partBackward, partBackwardAsync, partForward, partLossBackward, partLossBackwardAsync } from './grads.js';
import { flattenTensors, flattenTensorsAsync, initModelParams, toTensors } from './params.js';
import { buildSplitUNet, getPart } from './unet.js';
import type { PartName } from './types.js';

const cfg = { inChannels: 2, classes: 3, baseChannels: 4, depth: 3, size: 16 };
const model = buildSplitUNet(cfg, 'u-shaped');
const params = initModelParams(model, new Rng(41, 'model')) as Record<PartName, Float32Array>;

function random(shape: number[], rng: Rng, lo = 0, hi = 1): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.range(lo, hi)), shape);
}

async function use(backend: 'wasm' | 'cpu'): Promise<void> {
  if (backend === 'wasm') await selectBackend('wasm');
  else await tf.setBackend('cpu');
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['wasm', 'cpu'] as const)('async readback on %s', (backend) => {
  it('flattenTensorsAsync equals flattenTensors', async () => {
    await use(backend);
    const FE = getPart(model, 'FE');
    const ts = toTensors(FE, params.FE);
    const before = tf.memory().numTensors;
    const a = await flattenTensorsAsync(ts);
    expect(Array.from(a)).toEqual(Array.from(flattenTensors(ts)));
    expect(a.length).toBe(FE.paramCount);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(ts);
    expect(Array.from(await flattenTensorsAsync([]))).toEqual([]);
  });

  it('one U-shaped step gives bit-identical losses and gradients with sync and async reads', async () => {
    await use(backend);
    const rng = new Rng(42, 'step');
    const batch = 2;
    const x = random([batch, 16, 16, 2], rng);
    const y = tf.tensor(Int32Array.from({ length: batch * 16 * 16 }, () => rng.int(3)), [batch, 16, 16], 'int32');
    const [FE, M, BE] = [getPart(model, 'FE'), getPart(model, 'M'), getPart(model, 'BE')];
    const before = tf.memory().numTensors;
    const [f1, skip] = partForward(FE, params.FE, [x]) as [tf.Tensor, tf.Tensor];
    const [f2] = partForward(M, params.M, [f1]) as [tf.Tensor];

    const beS = partLossBackward(BE, params.BE, [f2, skip], y, cfg.classes);
    const beA = await partLossBackwardAsync(BE, params.BE, [f2, skip], y, cfg.classes);
    expect(beA.loss).toBe(beS.loss);
    expect(Array.from(beA.dParams)).toEqual(Array.from(beS.dParams));
    for (let k = 0; k < 2; k++) {
      expect(Array.from(await (beA.dInputs[k] as tf.Tensor).data())).toEqual(Array.from((beS.dInputs[k] as tf.Tensor).dataSync()));
    }

    const [g2] = beS.dInputs as [tf.Tensor];
    const mS = partBackward(M, params.M, [f1], [g2]);
    const mA = await partBackwardAsync(M, params.M, [f1], [g2]);
    expect(Array.from(mA.dParams)).toEqual(Array.from(mS.dParams));
    expect(Array.from(await (mA.dInputs[0] as tf.Tensor).data())).toEqual(Array.from((mS.dInputs[0] as tf.Tensor).dataSync()));

    // A null upstream gradient (no gradient for the skip) goes the same way in both.
    const feS = partBackward(FE, params.FE, [x], [mS.dInputs[0] as tf.Tensor, null]);
    const feA = await partBackwardAsync(FE, params.FE, [x], [mS.dInputs[0] as tf.Tensor, null]);
    expect(Array.from(feA.dParams)).toEqual(Array.from(feS.dParams));
    expect(feA.dParams.some((g) => g !== 0)).toBe(true);

    tf.dispose([f1, skip, f2, ...beS.dInputs, ...beA.dInputs, ...mS.dInputs, ...mA.dInputs, ...feS.dInputs, ...feA.dInputs]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('rejects bad arguments with the sync messages and leaks nothing', async () => {
    await use(backend);
    const M = getPart(model, 'M');
    const f1 = tf.zeros(M.inputShapes(1)[0] as number[]);
    const y = tf.zeros([1, 16, 16], 'int32');
    const before = tf.memory().numTensors;
    await expect(partBackwardAsync(M, params.M, [f1], [])).rejects.toThrow('M backward: dOutputs must hold 1 entries, got 0');
    await expect(partBackwardAsync(M, params.M, [f1], [f1, null])).rejects.toThrow('M backward: dOutputs must hold 1 entries, got 2');
    await expect(partLossBackwardAsync(M, params.M, [f1], y, 3)).rejects.toThrow('M loss: part must output [N,H,W,3] logits');
    await expect(partBackwardAsync(M, new Float32Array(3), [f1], [null])).rejects.toThrow(`M params: must have length ${M.paramCount}, got 3`);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([f1, y]);
  });
});
