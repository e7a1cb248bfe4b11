import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { relativeError } from '../compareBackends.js';
import { conv2dBackpropFilterIm2col, planIm2col } from './conv2dBackpropFilterIm2col.js';
import { resolveDilatedGeometry } from './dilatedConvGeometry.js';
import { caseTensors, gradCaseArb, referenceFilterGrad, type GradCase } from './gradCases.js';

/**
 * Bound on max|got - cpu| / (1 + max|cpu|). Each dW entry sums <= 3*11*11 = 363 products of
 * N(0,1) values in float32 in a different order than the cpu kernel: observed <= 1.1e-7 over
 * the 200 seeded cases.
 */
const TOL = 1e-5;

const data = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

/** The composed gradient with each plan variant, and the cpu backend's own kernel. */
function compare(c: GradCase): { errors: number[]; shapeOk: boolean } {
  return tf.tidy(() => {
    const { x, dy } = caseTensors(c);
    const want = referenceFilterGrad(c, x, dy);
    const dyShape = dy.shape;
    const rows = dyShape[0] * (c.dataFormat === 'NCHW' ? dyShape[2] : dyShape[1]);
    const opts = { dataFormat: c.dataFormat, dimRoundingMode: c.dimRoundingMode };
    const variants = [
      conv2dBackpropFilterIm2col(x, dy, c.filterShape, c.strides, c.pad, c.dilations, opts),
      conv2dBackpropFilterIm2col(x, dy, c.filterShape, c.strides, c.pad, c.dilations, { ...opts, splitK: 1 }),
      // Every output row its own batch entry of the split-K matMul.
      conv2dBackpropFilterIm2col(x, dy, c.filterShape, c.strides, c.pad, c.dilations, { ...opts, splitK: rows }),
      // One output row per band, each split per image.
      conv2dBackpropFilterIm2col(x, dy, c.filterShape, c.strides, c.pad, c.dilations, { ...opts, maxColsBytes: 1, splitK: c.xShape[0] }),
    ];
    return {
      errors: variants.map((v) => relativeError(data(v), data(want))),
      shapeOk: variants.every((v) => v.shape.join() === c.filterShape.join()),
    };
  });
}

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('conv2dBackpropFilterIm2col on the cpu backend', () => {
  it(`matches the cpu Conv2DBackpropFilter within ${TOL} over strides, dilations, pads, kernels 1/3/5, odd sizes, NCHW`, () => {
    fc.assert(
      fc.property(gradCaseArb(fc), (c) => {
        const { errors, shapeOk } = compare(c);
        if (!shapeOk) throw new Error(`wrong output shape on ${JSON.stringify(c)}`);
        errors.forEach((e, i) => {
          if (!(e <= TOL)) throw new Error(`variant ${i}: error ${e} on ${JSON.stringify(c)}`);
        });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('satisfies <dW, v> = sum(conv2d(x, v) * dy) for a dilated conv (f is linear in the filter)', () => {
    // Independent of any gradient kernel: the cpu backend's forward dilated conv only.
    const c: GradCase = { xShape: [2, 9, 8, 3], filterShape: [3, 3, 3, 4], strides: [1, 1], dilations: [2, 2], pad: 'same', dataFormat: 'NHWC', seed: 5 };
    const [lhs, rhs] = tf.tidy(() => {
      const { x, dy, w: v } = caseTensors(c);
      const dW = conv2dBackpropFilterIm2col(x, dy, c.filterShape, 1, 'same', 2);
      return [tf.sum(tf.mul(dW, v)).dataSync()[0]!, tf.sum(tf.mul(tf.conv2d(x, v, 1, 'same', 'NHWC', 2), dy)).dataSync()[0]!];
    });
    expect(Math.abs(lhs - rhs) / (1 + Math.abs(rhs))).toBeLessThan(1e-5);
  });

  it('plans split-K and bands from the shape', () => {
    const geo = (x: number[], f: number[], s: number) => resolveDilatedGeometry('t', x, f, s, 'same', 1, undefined);
    // U-Net level 1 at 128x128, batch 8: K = 288, 9 tiles; ~29 batch entries wanted, 16 divides 8*128 rows.
    expect(planIm2col(geo([8, 128, 128, 32], [3, 3, 32, 32], 1))).toEqual({ bandRows: 128, bands: 1, splitK: 16 });
    // 256x256: one row of im2col is 2.4 MB, so 256 MiB bands hold 113 rows.
    expect(planIm2col(geo([8, 256, 256, 32], [3, 3, 32, 32], 1))).toEqual({ bandRows: 113, bands: 3, splitK: 8 });
    // Tiny layers stay one plain matMul.
    expect(planIm2col(geo([1, 4, 4, 2], [3, 3, 2, 2], 1))).toEqual({ bandRows: 4, bands: 1, splitK: 1 });
    expect(planIm2col(geo([8, 128, 128, 32], [3, 3, 32, 32], 1), undefined, 3).splitK).toBe(3);
  });

  it('leaves no tensor behind', () => {
    const c: GradCase = { xShape: [2, 7, 9, 3], filterShape: [5, 3, 3, 4], strides: [2, 1], dilations: [1, 1], pad: 'same', dataFormat: 'NHWC', seed: 3 };
    const { x, dy } = caseTensors(c);
    const before = tf.memory().numTensors;
    conv2dBackpropFilterIm2col(x, dy, c.filterShape, c.strides, c.pad, 1, { maxColsBytes: 1 }).dispose();
    conv2dBackpropFilterIm2col(x, dy, c.filterShape, c.strides, c.pad).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });

  it('rejects a dy of the wrong shape and bad attributes, naming the op and the values', () => {
    const x = tf.zeros([1, 6, 6, 2]) as tf.Tensor4D;
    const dy = tf.zeros([1, 5, 6, 3]) as tf.Tensor4D;
    expect(() => conv2dBackpropFilterIm2col(x, dy, [3, 3, 2, 3], 1, 'same')).toThrow(
      'Conv2DBackpropFilterIm2col: dy must have shape [1,6,6,3], got [1,5,6,3]',
    );
    expect(() => conv2dBackpropFilterIm2col(x, dy, [3, 3, 4, 3], 1, 'same')).toThrow(
      'Conv2DBackpropFilterIm2col: filter in-channels 4 must equal the input\'s channels 2',
    );
    expect(() => conv2dBackpropFilterIm2col(x, dy, [3, 3, 2, 3], 0, 'same')).toThrow(
      'Conv2DBackpropFilterIm2col: strides must be positive integers, got 0',
    );
    expect(() => conv2dBackpropFilterIm2col(x, dy, [3, 3, 2, 3], 1, 'same', 1, { dataFormat: 'NWHC' as 'NHWC' })).toThrow(
      "Conv2DBackpropFilterIm2col: dataFormat must be 'NHWC' or 'NCHW', got 'NWHC'",
    );
    tf.dispose([x, dy]);
  });
});
