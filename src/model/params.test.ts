import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { shapeSize } from './layers.js';
import { flattenTensors, initModelParams, initParams, namedParams, paramsFromNamed, toTensors } from './params.js';
import { buildSplitUNet, getPart } from './unet.js';

const cfg = { inChannels: 3, classes: 2, baseChannels: 8, depth: 3, size: 16 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('initParams', () => {
  it('is He-normal for conv weights, zero for biases, and reproducible from the seed', () => {
    const m = buildSplitUNet(cfg, 'u-shaped');
    const M = getPart(m, 'M');
    const a = initParams(M, new Rng(1, 'M'));
    expect(Array.from(initParams(M, new Rng(1, 'M')))).toEqual(Array.from(a));
    expect(Array.from(initParams(M, new Rng(2, 'M')))).not.toEqual(Array.from(a));
    const named = namedParams(M, a);
    for (const spec of M.params) {
      const v = named.get(spec.name) as Float32Array;
      if (spec.kind === 'bias') {
        expect(v.every((x) => x === 0), spec.name).toBe(true);
        continue;
      }
      if (v.length < 4000) continue;
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
      expect(std / Math.sqrt(2 / spec.fanIn), spec.name).toBeGreaterThan(0.95);
      expect(std / Math.sqrt(2 / spec.fanIn), spec.name).toBeLessThan(1.05);
      expect(Math.abs(mean)).toBeLessThan(0.05 * std);
    }
  });

  it('gives each part of a model its own stream', () => {
    const p = initModelParams(buildSplitUNet(cfg, 'label-sharing'), new Rng(3, 'model'));
    expect(Object.keys(p).sort()).toEqual(['FE1', 'S']);
    expect(p.FE1?.length).toBe(getPart(buildSplitUNet(cfg, 'label-sharing'), 'FE1').paramCount);
  });
});

describe('toTensors / flattenTensors', () => {
  it('round-trip in parameter order, copy the values, and free nothing they do not own', () => {
    const m = buildSplitUNet(cfg, 'u-shaped');
    const FE = getPart(m, 'FE');
    const flat = initParams(FE, new Rng(4, 'FE'));
    const before = tf.memory().numTensors;
    const ts = toTensors(FE, flat);
    expect(ts.map((t) => t.shape)).toEqual(FE.params.map((p) => p.shape));
    expect(ts.reduce((n, t) => n + t.size, 0)).toBe(FE.paramCount);
    flat[0] = 123; // later in-place updates must not reach live tensors
    const back = flattenTensors(ts);
    expect(back[0]).not.toBe(123);
    back[0] = 123;
    expect(Array.from(back)).toEqual(Array.from(flat));
    tf.dispose(ts);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => toTensors(FE, new Float32Array(5))).toThrow(`FE params: must have length ${FE.paramCount}, got 5`);
  });
});

describe('namedParams / paramsFromNamed', () => {
  it('move weights between the two cuts by name', () => {
    const u = buildSplitUNet(cfg, 'u-shaped');
    const l = buildSplitUNet(cfg, 'label-sharing');
    const pu = initModelParams(u, new Rng(5, 'model'));
    const named = new Map<string, Float32Array>();
    for (const name of ['FE', 'M', 'BE'] as const) for (const [k, v] of namedParams(getPart(u, name), pu[name] as Float32Array)) named.set(k, v);
    const s = paramsFromNamed(getPart(l, 'S'), named);
    const sNamed = namedParams(getPart(l, 'S'), s);
    for (const spec of getPart(l, 'S').params) {
      expect(sNamed.get(spec.name)?.length).toBe(shapeSize(spec.shape));
      expect(Array.from(sNamed.get(spec.name) as Float32Array)).toEqual(Array.from(named.get(spec.name) as Float32Array));
    }
    named.delete('head.b');
    expect(() => paramsFromNamed(getPart(l, 'S'), named)).toThrow('S params.head.b: missing');
  });
});
