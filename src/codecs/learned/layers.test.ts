/** Transform layers against hand computation and their defining properties (cpu backend). */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import {
  attentionBlock,
  conv,
  convTranspose,
  gdn,
  GDN_PEDESTAL,
  MASK_A_5x5,
  MASK_CHECKERBOARD_5x5,
  maskedConv5x5,
  pixelShuffle,
  residualBlock,
  residualBlockUpsample,
  residualBlockWithStride,
  subpelConv,
  type KernelMask,
  type Layer,
} from './layers.js';
import { lowerBound } from './ops.js';
import { initLearnedParams, learnedToTensors, paramViews, ParamBuilder } from './params.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function build(make: (b: ParamBuilder) => Layer, seed = 1): { layer: Layer; b: ParamBuilder; flat: Float32Array } {
  const b = new ParamBuilder();
  const layer = make(b);
  return { layer, b, flat: initLearnedParams(b.specs, new Rng(seed, 'layers')) };
}

function apply(l: { layer: Layer; b: ParamBuilder; flat: Float32Array }, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => l.layer(learnedToTensors(l.b.specs, l.flat, 'test'), x).dataSync() as Float32Array);
}

function random(shape: [number, number, number, number], rng: Rng): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

describe('GDN and IGDN', () => {
  const c = 3;
  const rng = new Rng(2, 'gdn');
  // Stored parameters: β, then γ as [c_j, c_i]; effective value = stored² − pedestal.
  const beta = [1.3, 0.7, 2.1];
  const gamma = Array.from({ length: c * c }, () => rng.range(0, 0.5));
  const xs = Float32Array.from({ length: 2 * 2 * c }, () => rng.normal());

  for (const inverse of [false, true]) {
    it(`${inverse ? 'IGDN' : 'GDN'} equals x_i ${inverse ? '·' : '/'} √(β_i + Σ_j γ_ji x_j²)`, () => {
      const l = build((b) => gdn(b, 'g', c, inverse));
      const v = paramViews(l.b.specs, l.flat, 'test');
      (v[0] as Float32Array).set(beta.map(Math.sqrt));
      (v[1] as Float32Array).set(gamma.map(Math.sqrt));
      const x = tf.tensor4d(xs, [1, 2, 2, c]);
      const got = apply(l, x);
      x.dispose();
      for (let p = 0; p < 4; p++) {
        for (let i = 0; i < c; i++) {
          let norm = (beta[i] as number) - GDN_PEDESTAL;
          for (let j = 0; j < c; j++) norm += ((gamma[j * c + i] as number) - GDN_PEDESTAL) * (xs[p * c + j] as number) ** 2;
          const want = (xs[p * c + i] as number) * (inverse ? Math.sqrt(norm) : 1 / Math.sqrt(norm));
          expect(got[p * c + i]).toBeCloseTo(want, 5);
        }
      }
    });
  }

  it('initialises to β = 1, γ = 0.1·I and floors β at 1e-6 through the reparametrisation', () => {
    const l = build((b) => gdn(b, 'g', 1));
    const x = tf.tensor4d([2], [1, 1, 1, 1]);
    expect(apply(l, x)[0]).toBeCloseTo(2 / Math.sqrt(1 + 0.1 * 4), 5);
    const v = paramViews(l.b.specs, l.flat, 'test');
    (v[0] as Float32Array)[0] = -3; // below the bound: β = 1e-6
    (v[1] as Float32Array)[0] = 0; // γ = 0
    expect(apply(l, x)[0]).toBeCloseTo(2 / Math.sqrt(1e-6), 0);
    x.dispose();
  });

  it('lowerBound passes gradients above the bound, and below it only when they push up', () => {
    const x = tf.tensor1d([0.5, 2]);
    const grad = (w: number[]): number[] =>
      Array.from(tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(lowerBound(a, 1), w)))(x).dataSync()));
    expect(grad([3, 3])).toEqual([0, 3]); // descent would push x[0] further down: blocked
    expect(grad([-3, -3])).toEqual([-3, -3]); // descent pushes x[0] up toward the bound: passed
    x.dispose();
  });
});

describe('up- and downsampling', () => {
  const rng = new Rng(3, 'shapes');

  it('pixelShuffle equals tf.depthToSpace (NHWC)', () => {
    const x = random([2, 3, 4, 12], rng);
    const a = pixelShuffle(x, 2);
    const b = tf.depthToSpace(x, 2, 'NHWC');
    expect(a.shape).toEqual([2, 6, 8, 3]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
  });

  it('strided conv halves, transposed conv and sub-pixel conv double the size', () => {
    const x = random([1, 8, 8, 4], rng);
    const cases: [Layer, number[]][] = [];
    const b = new ParamBuilder();
    cases.push([conv(b, 'c', 4, 6, 5, 2), [1, 4, 4, 6]]);
    cases.push([convTranspose(b, 't', 4, 6, 5), [1, 16, 16, 6]]);
    cases.push([subpelConv(b, 's', 4, 6), [1, 16, 16, 6]]);
    cases.push([residualBlockWithStride(b, 'rbs', 4, 6), [1, 4, 4, 6]]);
    cases.push([residualBlockUpsample(b, 'rbu', 4, 6), [1, 16, 16, 6]]);
    cases.push([residualBlock(b, 'rb', 4, 6), [1, 8, 8, 6]]);
    cases.push([attentionBlock(b, 'att', 4), [1, 8, 8, 4]]);
    const flat = initLearnedParams(b.specs, new Rng(3, 'p'));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const p = learnedToTensors(b.specs, flat, 'test');
      for (const [layer, shape] of cases) expect(layer(p, x).shape).toEqual(shape);
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('masked 5×5 context convolution', () => {
  const n = 2;
  const size = 6;

  /** Output at (h, w) before and after perturbing the input at (ph, pw). */
  function dependsOn(mask: KernelMask, h: number, w: number, ph: number, pw: number): boolean {
    const l = build((b) => maskedConv5x5(b, 'ctx', n, 3, mask), 4);
    const rng = new Rng(5, 'ctx');
    const base = Float32Array.from({ length: size * size * n }, () => rng.normal());
    const moved = base.slice();
    moved[(ph * size + pw) * n] = (moved[(ph * size + pw) * n] as number) + 10;
    const out = (d: Float32Array): number[] => {
      const x = tf.tensor4d(d, [1, size, size, n]);
      const y = apply(l, x);
      x.dispose();
      return Array.from(y.subarray((h * size + w) * 3, (h * size + w + 1) * 3));
    };
    return out(base).some((v, i) => v !== out(moved)[i]);
  }

  it('type A sees only positions before the current one in raster order', () => {
    expect(MASK_A_5x5.reduce<number>((s, m) => s + m, 0)).toBe(12);
    expect(dependsOn(MASK_A_5x5, 3, 3, 3, 2)).toBe(true); // left
    expect(dependsOn(MASK_A_5x5, 3, 3, 1, 5)).toBe(true); // two rows up, two right
    expect(dependsOn(MASK_A_5x5, 3, 3, 3, 3)).toBe(false); // itself
    expect(dependsOn(MASK_A_5x5, 3, 3, 3, 4)).toBe(false); // right
    expect(dependsOn(MASK_A_5x5, 3, 3, 4, 1)).toBe(false); // next row
  });

  it('checkerboard sees only positions of the other parity', () => {
    expect(MASK_CHECKERBOARD_5x5.reduce<number>((s, m) => s + m, 0)).toBe(12);
    expect(dependsOn(MASK_CHECKERBOARD_5x5, 3, 2, 3, 3)).toBe(true);
    expect(dependsOn(MASK_CHECKERBOARD_5x5, 3, 2, 5, 3)).toBe(true);
    expect(dependsOn(MASK_CHECKERBOARD_5x5, 3, 2, 3, 2)).toBe(false);
    expect(dependsOn(MASK_CHECKERBOARD_5x5, 3, 2, 4, 3)).toBe(false);
    expect(dependsOn(MASK_CHECKERBOARD_5x5, 3, 2, 1, 0)).toBe(false);
  });
});
