import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dInputGrad } from './conv2dBackpropInput.js';
import { resolveConvGeometry } from './convGeometry.js';
import { convCase, describeCase, relativeError, runOn, seededValues, type ConvCase } from './compareBackends.js';
import { registerWasmGradKernels } from './register.js';

/** Bound on max|wasm - cpu| / (1 + max|cpu|); float32 sums here have <= ~200 terms. */
const TOL = 1e-4;

const drawArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  inC: fc.integer({ min: 1, max: 8 }),
  outC: fc.integer({ min: 1, max: 8 }),
  kh: fc.constantFrom(1, 3, 5),
  kw: fc.constantFrom(1, 3, 5),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 12 }),
  w: fc.integer({ min: 1, max: 12 }),
  pad: fc.oneof(
    fc.constant('same' as const),
    fc.constant('valid' as const),
    fc.integer({ min: 0, max: 3 }),
    fc.tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
    ),
  ),
  dimRoundingMode: fc.option(fc.constantFrom('floor' as const, 'round' as const, 'ceil' as const), {
    nil: undefined,
  }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function tensors(c: ConvCase): { dy: tf.Tensor4D; w: tf.Tensor4D } {
  const g = resolveConvGeometry('test', c.xShape, c.filterShape, c.strides, c.pad, c.dimRoundingMode, 'NHWC');
  const dyShape: [number, number, number, number] = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  const dy = tf.tensor4d(seededValues(tf.util.sizeFromShape(dyShape), c.seed + 1), dyShape);
  const w = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), c.seed + 2), c.filterShape);
  return { dy, w };
}

function kernelAttrs(c: ConvCase): tf.NamedAttrMap {
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.dimRoundingMode, inputShape: c.xShape };
  return attrs as unknown as tf.NamedAttrMap;
}

beforeAll(async () => {
  registerWasmGradKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('Conv2DBackpropInput on wasm', () => {
  it('matches the cpu kernel over random shapes, strides, pads and rounding', async () => {
    await fc.assert(
      fc.asyncProperty(drawArb, async (draw) => {
        const c = convCase(draw);
        const run = (): tf.Tensor[] => {
          const { dy, w } = tensors(c);
          return [tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, kernelAttrs(c)) as tf.Tensor];
        };
        const [want] = await runOn('cpu', run);
        const [got] = await runOn('wasm', run);
        const err = relativeError(got!, want!);
        if (!(err <= TOL)) throw new Error(`error ${err} on ${describeCase(c)}`);
      }),
      { seed: 42, numRuns: 150 },
    );
  }, 60_000);

  it('tf.grad of conv2d w.r.t. the input matches the cpu backend', async () => {
    await fc.assert(
      fc.asyncProperty(drawArb, async (draw) => {
        const c = convCase({ ...draw, dimRoundingMode: undefined });
        const grad = (): tf.Tensor[] => {
          const { dy, w } = tensors(c);
          const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), c.seed), c.xShape);
          // Loss sum(conv(x, w) * dy) has dy as its output gradient.
          const f = (xv: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(xv as tf.Tensor4D, w, c.strides, c.pad), dy));
          return [tf.grad(f)(x)];
        };
        const [want] = await runOn('cpu', grad);
        const [got] = await runOn('wasm', grad);
        const err = relativeError(got!, want!);
        if (!(err <= TOL)) throw new Error(`error ${err} on ${describeCase(c)}`);
      }),
      { seed: 42, numRuns: 120 },
    );
  }, 60_000);

  it('replaces the built-in kernel and leaves no tensor behind', () => {
    const c = convCase({ batch: 2, inC: 3, outC: 4, kh: 5, kw: 3, sh: 2, sw: 3, h: 11, w: 9, pad: [1, 2, 0, 3], seed: 3 });
    const { dy, w } = tensors(c);
    const before = tf.memory().numTensors;
    const out = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, kernelAttrs(c)) as tf.Tensor;
    expect(out.shape).toEqual(c.xShape);
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
    conv2dInputGrad(c.xShape, dy, w, c).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([dy, w]);
  });

  it('rejects a dy of the wrong shape, naming the op and the shapes', () => {
    const dy = tf.zeros([1, 3, 3, 2]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 1, 2]) as tf.Tensor4D;
    expect(() => conv2dInputGrad([1, 6, 6, 1], dy, w, { strides: 1, pad: 'same' })).toThrow(
      'Conv2DBackpropInput: dy must have shape [1,6,6,2], got [1,3,3,2]',
    );
    tf.dispose([dy, w]);
  });
});
