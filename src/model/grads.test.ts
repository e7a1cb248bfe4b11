import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { partBackward, partForward, partLossBackward, predict } from './grads.js';
import { diceCrossEntropy } from './loss.js';
import { initModelParams, namedParams } from './params.js';
import { buildSplitUNet, getPart, partNames } from './unet.js';
import { referenceUNet, weightsByName } from './unet.reference.js';
import type { PartName, SplitModel, UNetConfig } from './types.js';

const tiny: UNetConfig = { inChannels: 1, classes: 3, baseChannels: 2, depth: 3, size: 8 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function init(model: SplitModel, seed: number): Record<PartName, Float32Array> {
  return initModelParams(model, new Rng(seed, 'model')) as Record<PartName, Float32Array>;
}

function randomTensor(shape: number[], rng: Rng, lo = 0, hi = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.range(lo, hi)), shape);
}

function labelsFor(cfg: UNetConfig, batch: number, rng: Rng): tf.Tensor {
  const n = batch * cfg.size * cfg.size;
  return tf.tensor(Int32Array.from({ length: n }, () => rng.int(cfg.classes)), [batch, cfg.size, cfg.size], 'int32');
}

/** Σ_k <out_k, dOut_k> in float64 for parameters `params`. */
function vjpObjective(m: SplitModel, name: PartName, params: Float32Array, inputs: tf.Tensor[], dOut: tf.Tensor[]): number {
  const outs = partForward(getPart(m, name), params, inputs);
  let s = 0;
  outs.forEach((o, k) => {
    const a = o.dataSync();
    const b = (dOut[k] as tf.Tensor).dataSync();
    for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  });
  tf.dispose(outs);
  return s;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-8;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return worst / scale;
}

describe('partBackward', () => {
  it('matches central finite differences along random directions (M, tiny net, batch 2)', () => {
    const m = buildSplitUNet(tiny, 'u-shaped');
    const params = init(m, 3);
    const rng = new Rng(5, 'fd');
    const M = getPart(m, 'M');
    const f1 = randomTensor(M.inputShapes(2)[0] as number[], rng);
    const g2 = randomTensor(M.outputShapes(2)[0] as number[], rng, -1, 1);
    const before = tf.memory().numTensors;
    const { dInputs, dParams } = partBackward(M, params.M, [f1], [g2]);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(dInputs[0]?.shape).toEqual(f1.shape);
    // h trades float32 rounding (∝ 1/h) against ReLU and max-pool kinks crossed (∝ h): measured
    // here, h ≥ 3e-4 crosses kinks (errors up to 10%), h = 1e-4 agrees to ~0.1%; the absolute
    // floor covers rounding (~1e-6 on the objective / 2h) when the derivative itself is small.
    const h = 1e-4;
    for (let trial = 0; trial < 3; trial++) {
      // parameter direction
      const dir = Float32Array.from({ length: M.paramCount }, () => rng.normal());
      const plus = params.M.map((p, i) => p + h * (dir[i] as number));
      const minus = params.M.map((p, i) => p - h * (dir[i] as number));
      const fd = (vjpObjective(m, 'M', plus, [f1], [g2]) - vjpObjective(m, 'M', minus, [f1], [g2])) / (2 * h);
      const an = dParams.reduce((s, g, i) => s + g * (dir[i] as number), 0);
      expect(Math.abs(fd - an)).toBeLessThan(1e-2 * Math.abs(an) + 2e-2);
      // input direction
      const v = randomTensor(f1.shape, rng, -1, 1);
      const xp = tf.add(f1, tf.mul(v, h));
      const xm = tf.sub(f1, tf.mul(v, h));
      const fdx = (vjpObjective(m, 'M', params.M, [xp], [g2]) - vjpObjective(m, 'M', params.M, [xm], [g2])) / (2 * h);
      const anx = tf.sum(tf.mul(dInputs[0] as tf.Tensor, v)).dataSync()[0] as number;
      expect(Math.abs(fdx - anx)).toBeLessThan(1e-2 * Math.abs(anx) + 2e-2);
      tf.dispose([v, xp, xm]);
    }
    tf.dispose([...dInputs, f1, g2]);
  });

  it('treats a null upstream gradient as zero and keeps numTensors flat', () => {
    const m = buildSplitUNet(tiny, 'u-shaped');
    const params = init(m, 4);
    const FE = getPart(m, 'FE');
    const rng = new Rng(6, 'null');
    const x = randomTensor(FE.inputShapes(2)[0] as number[], rng);
    const [s1, s0] = FE.outputShapes(2) as [number[], number[]];
    const g1 = randomTensor(s1, rng, -1, 1);
    const zero = tf.zeros(s0);
    const before = tf.memory().numTensors;
    const a = partBackward(FE, params.FE, [x], [g1, null]);
    const b = partBackward(FE, params.FE, [x], [g1, zero]);
    expect(Array.from(a.dParams)).toEqual(Array.from(b.dParams));
    expect(a.dParams.some((g) => g !== 0)).toBe(true);
    const none = partBackward(FE, params.FE, [x], [null, null]);
    expect(none.dParams.every((g) => g === 0)).toBe(true);
    expect(none.dInputs[0]?.shape).toEqual(x.shape);
    tf.dispose([...a.dInputs, ...b.dInputs, ...none.dInputs]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => partBackward(FE, params.FE, [x], [g1])).toThrow('FE backward: dOutputs must hold 2 entries, got 1');
    expect(() => partBackward(FE, params.FE, [x], [zero, null])).toThrow('FE backward: dOutputs[0]: must have shape');
    tf.dispose([x, g1, zero]);
  });
});

describe('chain rule across the split', () => {
  for (const topology of ['u-shaped', 'label-sharing'] as const) {
    it(`${topology}: split backward equals the gradient of the whole model`, () => {
      const cfg = { ...tiny, inChannels: 2 };
      const m = buildSplitUNet(cfg, topology);
      const params = init(m, 11);
      const rng = new Rng(12, 'chain');
      const x = randomTensor([2, 8, 8, 2], rng);
      const y = labelsFor(cfg, 2, rng);
      const before = tf.memory().numTensors;

      // split: what the protocol runs, one part at a time
      const split = new Map<string, Float32Array>();
      const keep = (name: PartName, d: Float32Array): void => {
        for (const [k, v] of namedParams(getPart(m, name), d)) split.set(k, v);
      };
      let loss: number;
      if (topology === 'u-shaped') {
        const [f1, skip0] = partForward(getPart(m, 'FE'), params.FE, [x]) as [tf.Tensor, tf.Tensor];
        const [f2] = partForward(getPart(m, 'M'), params.M, [f1]) as [tf.Tensor];
        const be = partLossBackward(getPart(m, 'BE'), params.BE, [f2, skip0], y, cfg.classes);
        const [g2, gSkip] = be.dInputs as [tf.Tensor, tf.Tensor];
        const mid = partBackward(getPart(m, 'M'), params.M, [f1], [g2]);
        const fe = partBackward(getPart(m, 'FE'), params.FE, [x], [mid.dInputs[0] as tf.Tensor, gSkip]);
        keep('FE', fe.dParams);
        keep('M', mid.dParams);
        keep('BE', be.dParams);
        loss = be.loss;
        tf.dispose([f1, skip0, f2, ...be.dInputs, ...mid.dInputs, ...fe.dInputs]);
      } else {
        const [f1] = partForward(getPart(m, 'FE1'), params.FE1, [x]) as [tf.Tensor];
        const s = partLossBackward(getPart(m, 'S'), params.S, [f1], y, cfg.classes);
        const fe = partBackward(getPart(m, 'FE1'), params.FE1, [x], s.dInputs);
        keep('FE1', fe.dParams);
        keep('S', s.dParams);
        loss = s.loss;
        tf.dispose([f1, ...s.dInputs, ...fe.dInputs]);
      }
      expect(tf.memory().numTensors).toBe(before);

      // whole model: one tape through the independent unsplit reference
      const w = weightsByName(m, params);
      const names = [...w.keys()];
      const full = tf.valueAndGrads((...ts: tf.Tensor[]) =>
        diceCrossEntropy(referenceUNet(cfg, new Map(names.map((n, i) => [n, ts[i] as tf.Tensor])), x as tf.Tensor4D), y, cfg.classes),
      )(names.map((n) => w.get(n) as tf.Tensor));
      expect(loss).toBeCloseTo(full.value.dataSync()[0] as number, 5);
      names.forEach((n, i) => {
        const g = (full.grads[i] as tf.Tensor).dataSync();
        expect(maxRelDiff(split.get(n) as Float32Array, g), n).toBeLessThan(1e-4);
      });
      tf.dispose([full.value, ...full.grads, ...w.values()]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
    });
  }
});

describe('partLossBackward', () => {
  it('rejects a part that does not output logits', () => {
    const m = buildSplitUNet(tiny, 'u-shaped');
    const params = init(m, 1);
    const M = getPart(m, 'M');
    const f1 = tf.zeros(M.inputShapes(1)[0] as number[]);
    const y = tf.zeros([1, 8, 8], 'int32');
    expect(() => partLossBackward(M, params.M, [f1], y, 3)).toThrow('M loss: part must output [N,H,W,3] logits');
    tf.dispose([f1, y]);
  });
});

describe('predict', () => {
  it('chains the parts and frees everything but the logits', () => {
    for (const topology of ['u-shaped', 'label-sharing'] as const) {
      const m = buildSplitUNet(tiny, topology);
      const params = init(m, 2);
      const x = tf.ones([1, 8, 8, 1]);
      const before = tf.memory().numTensors;
      const y = predict(m, params, x);
      expect(y.shape).toEqual([1, 8, 8, 3]);
      expect(tf.memory().numTensors).toBe(before + 1);
      y.dispose();
      expect(() => predict(m, { [partNames(topology)[0] as PartName]: params[partNames(topology)[0] as PartName] }, x)).toThrow('predict: params.');
      x.dispose();
    }
  });
});
