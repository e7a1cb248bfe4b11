import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { predict } from './grads.js';
import { initModelParams, namedParams, paramsFromNamed, toTensors } from './params.js';
import { buildSplitUNet, getPart, partNames } from './unet.js';
import { referenceUNet, weightsByName } from './unet.reference.js';
import type { PartName, SplitModel, UNetConfig } from './types.js';

const tiny: UNetConfig = { inChannels: 1, classes: 2, baseChannels: 4, depth: 3, size: 16 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function init(model: SplitModel, seed: number): Record<PartName, Float32Array> {
  return initModelParams(model, new Rng(seed, 'model')) as Record<PartName, Float32Array>;
}

function allNamed(model: SplitModel, params: Record<PartName, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of partNames(model.topology)) {
    for (const [k, v] of namedParams(getPart(model, name), params[name])) out.set(k, v);
  }
  return out;
}

function image(cfg: UNetConfig, batch: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed, 'image');
  const n = batch * cfg.size * cfg.size * cfg.inChannels;
  return tf.tensor4d(Float32Array.from({ length: n }, () => rng.uniform()), [batch, cfg.size, cfg.size, cfg.inChannels]);
}

describe('buildSplitUNet', () => {
  it('rejects bad configs naming the field and value', () => {
    expect(() => buildSplitUNet({ ...tiny, depth: 2 }, 'u-shaped')).toThrow('UNetConfig.depth: must be an integer ≥ 3, got 2');
    expect(() => buildSplitUNet({ ...tiny, size: 20, depth: 4 }, 'u-shaped')).toThrow(
      'UNetConfig.size: must be divisible by 2^(depth-1) = 8, got 20',
    );
    expect(() => buildSplitUNet({ ...tiny, classes: 1 }, 'u-shaped')).toThrow('UNetConfig.classes');
    expect(() => buildSplitUNet(tiny, 'ring' as never)).toThrow("topology: must be 'u-shaped' or 'label-sharing', got ring");
  });

  it('counts parameters and FLOPs as computed by hand (depth 3, base 4, 1→2 channels, 16²)', () => {
    const m = buildSplitUNet(tiny, 'u-shaped');
    // enc0 188 + enc1 880; enc2 3488 + up1/dec1 2904; up0/dec0 732 + head 10 (see 3×3·cin·cout + cout per conv)
    expect(getPart(m, 'FE').paramCount).toBe(1068);
    expect(getPart(m, 'M').paramCount).toBe(6392);
    expect(getPart(m, 'BE').paramCount).toBe(742);
    // FE MACs: 9·1·4·256 + 9·4·4·256 + 9·4·8·64 + 9·8·8·64 = 101376; bias+ReLU: 2·(2·1024 + 2·512)
    expect(getPart(m, 'FE').forwardFlops(2)).toBe(2 * (2 * 101376 + 6144));
    const ls = buildSplitUNet(tiny, 'label-sharing');
    expect(getPart(ls, 'FE1').paramCount + getPart(ls, 'S').paramCount).toBe(1068 + 6392 + 742);
    const flops = (mm: SplitModel): number => partNames(mm.topology).reduce((s, n) => s + getPart(mm, n).forwardFlops(1), 0);
    expect(flops(ls)).toBe(flops(m));
  });

  it('gives the paper split tensors at 256², base 32 from shapes alone', () => {
    const m = buildSplitUNet({ inChannels: 3, classes: 2, baseChannels: 32, depth: 5, size: 256 }, 'u-shaped');
    expect(getPart(m, 'FE').outputShapes(1)[0]).toEqual([1, 128, 128, 64]);
    expect(getPart(m, 'M').inputShapes(1)).toEqual([[1, 128, 128, 64]]);
    expect(getPart(m, 'M').outputShapes(1)).toEqual([[1, 128, 128, 64]]);
    expect(getPart(m, 'BE').inputShapes(1)).toEqual([[1, 128, 128, 64], [1, 256, 256, 32]]);
    expect(getPart(m, 'BE').outputShapes(1)).toEqual([[1, 256, 256, 2]]);
  });

  it('names every weight once, and the same set in both cuts', () => {
    const names = (mm: SplitModel): string[] =>
      partNames(mm.topology).flatMap((n) => getPart(mm, n).params.map((p) => `${p.name}:${p.shape.join('x')}`));
    const u = names(buildSplitUNet({ ...tiny, depth: 4 }, 'u-shaped'));
    const l = names(buildSplitUNet({ ...tiny, depth: 4 }, 'label-sharing'));
    expect(new Set(u).size).toBe(u.length);
    expect([...u].sort()).toEqual([...l].sort());
  });

  for (const topology of ['u-shaped', 'label-sharing'] as const) {
    it(`${topology}: every part returns its declared output shapes`, () => {
      const cfg = { ...tiny, depth: 4 };
      const m = buildSplitUNet(cfg, topology);
      const params = init(m, 1);
      const before = tf.memory().numTensors;
      let acts: tf.Tensor[] = [image(cfg, 2, 1)];
      let skip: tf.Tensor | undefined;
      for (const name of partNames(topology)) {
        const part = getPart(m, name);
        const inputs = name === 'BE' ? [acts[0] as tf.Tensor, skip as tf.Tensor] : [acts[0] as tf.Tensor];
        expect(inputs.map((t) => t.shape)).toEqual(part.inputShapes(2));
        const ps = toTensors(part, params[name]);
        const outs = part.forward(ps, inputs);
        tf.dispose(ps);
        expect(outs.map((t) => t.shape)).toEqual(part.outputShapes(2));
        if (name === 'FE') skip = outs[1];
        tf.dispose(acts);
        acts = name === 'FE' ? [outs[0] as tf.Tensor] : outs;
      }
      tf.dispose([...acts, ...(skip ? [skip] : [])]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('rejects an input of the wrong shape', () => {
    const m = buildSplitUNet(tiny, 'u-shaped');
    const fe = getPart(m, 'FE');
    const ps = toTensors(fe, new Float32Array(fe.paramCount));
    const x = tf.zeros([1, 16, 16, 3]);
    expect(() => fe.forward(ps, [x])).toThrow('FE.forward: inputs[0] must have shape [1,16,16,1], got [1,16,16,3]');
    tf.dispose([...ps, x]);
  });

  it('chained FE→M→BE and FE1→S equal an unsplit reference forward', () => {
    const cfg = { ...tiny, inChannels: 2, classes: 3 };
    const u = buildSplitUNet(cfg, 'u-shaped');
    const ls = buildSplitUNet(cfg, 'label-sharing');
    const pu = init(u, 7);
    const named = allNamed(u, pu);
    const pl = { FE1: paramsFromNamed(getPart(ls, 'FE1'), named), S: paramsFromNamed(getPart(ls, 'S'), named) };
    const x = image(cfg, 2, 3);
    const before = tf.memory().numTensors;
    const weights = weightsByName(u, pu);
    const ref = referenceUNet(cfg, weights, x);
    const yu = predict(u, pu, x);
    const yl = predict(ls, pl, x);
    const r = ref.dataSync();
    const scale = Math.max(...Array.from(r, Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    for (const y of [yu, yl]) {
      expect(y.shape).toEqual([2, 16, 16, 3]);
      const d = y.dataSync();
      let worst = 0;
      for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs((d[i] as number) - (r[i] as number)));
      expect(worst / scale).toBeLessThan(1e-5);
    }
    tf.dispose([ref, yu, yl, ...weights.values()]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
