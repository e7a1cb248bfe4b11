import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { relativeError } from '../compareBackends.js';
import { conv2dBackpropInputMatmul, upsampleWithZeros } from './conv2dBackpropInputMatmul.js';
import { caseTensors, gradCaseArb, referenceInputGrad, type GradCase } from './gradCases.js';

/**
 * Bound on max|got - cpu| / (1 + max|cpu|). Each dx entry sums <= 5*5*6 = 150 products of
 * N(0,1) values in float32 in a different order than the cpu kernel: observed <= 2.4e-7 over
 * the 200 seeded cases.
 */
const TOL = 1e-5;

const data = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('conv2dBackpropInputMatmul on the cpu backend', () => {
  it(`matches the cpu Conv2DBackpropInput within ${TOL} over strides, dilations, pads, kernels 1/3/5, odd sizes, NCHW`, () => {
    fc.assert(
      fc.property(gradCaseArb(fc), (c) => {
        const [err, shape] = tf.tidy(() => {
          const { dy, w } = caseTensors(c);
          const want = referenceInputGrad(c, dy, w);
          const got = conv2dBackpropInputMatmul(c.xShape, dy, w, c.strides, c.pad, c.dilations, {
            dataFormat: c.dataFormat,
            dimRoundingMode: c.dimRoundingMode,
          });
          return [relativeError(data(got), data(want)), got.shape.join()] as const;
        });
        if (shape !== c.xShape.join()) throw new Error(`shape [${shape}] on ${JSON.stringify(c)}`);
        if (!(err <= TOL)) throw new Error(`error ${err} on ${JSON.stringify(c)}`);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('satisfies <dx, v> = sum(conv2d(v, w) * dy) for a dilated conv (f is linear in the input)', () => {
    // Independent of any gradient kernel: the cpu backend's forward dilated conv only.
    const c: GradCase = { xShape: [2, 9, 8, 3], filterShape: [3, 5, 3, 4], strides: [1, 1], dilations: [2, 2], pad: 'same', dataFormat: 'NHWC', seed: 8 };
    const [lhs, rhs] = tf.tidy(() => {
      const { x: v, dy, w } = caseTensors(c);
      const dx = conv2dBackpropInputMatmul(c.xShape, dy, w, 1, 'same', 2);
      return [tf.sum(tf.mul(dx, v)).dataSync()[0]!, tf.sum(tf.mul(tf.conv2d(v, w, 1, 'same', 'NHWC', 2), dy)).dataSync()[0]!];
    });
    expect(Math.abs(lhs - rhs) / (1 + Math.abs(rhs))).toBeLessThan(1e-5);
  });

  it('upsamples with s-1 zeros after each element', () => {
    const up = tf.tidy(() => Array.from(upsampleWithZeros(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), 2, 3).dataSync()));
    expect(up).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('leaves no tensor behind', () => {
    const c: GradCase = { xShape: [2, 7, 9, 3], filterShape: [5, 3, 3, 4], strides: [2, 2], dilations: [1, 1], pad: 'same', dataFormat: 'NHWC', seed: 3 };
    const { dy, w } = caseTensors(c);
    const before = tf.memory().numTensors;
    conv2dBackpropInputMatmul(c.xShape, dy, w, c.strides, c.pad).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([dy, w]);
  });

  it('rejects a dy of the wrong shape, naming the op and the shapes', () => {
    const dy = tf.zeros([1, 3, 3, 2]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 2, 2]) as tf.Tensor4D;
    expect(() => conv2dBackpropInputMatmul([1, 6, 6, 2], dy, w, 1, 'same')).toThrow(
      'Conv2DBackpropInputMatmul: dy must have shape [1,6,6,2], got [1,3,3,2]',
    );
    tf.dispose([dy, w]);
  });
});
