import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  conv2dBackpropFilterConfig,
  conv2dFilterGrad,
  planFilterGrad,
  type FilterGradPlan,
} from './conv2dBackpropFilter.js';
import { resolveConvGeometry } from './convGeometry.js';
import { convCase, describeCase, relativeError, runOn, seededValues, type ConvCase } from './compareBackends.js';
import { registerWasmGradKernels } from './register.js';

/** Bound on max|wasm - cpu| / (1 + max|cpu|); float32 sums here have <= ~600 terms. */
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

function outShape(c: ConvCase): [number, number, number, number] {
  const g = resolveConvGeometry('test', c.xShape, c.filterShape, c.strides, c.pad, c.dimRoundingMode, 'NHWC');
  return [g.batch, g.outHeight, g.outWidth, g.outChannels];
}

function inputs(c: ConvCase): { x: tf.Tensor4D; dy: tf.Tensor4D } {
  const dyShape = outShape(c);
  const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), c.seed), c.xShape);
  const dy = tf.tensor4d(seededValues(tf.util.sizeFromShape(dyShape), c.seed + 1), dyShape);
  return { x, dy };
}

/** The cpu backend's own Conv2DBackpropFilter kernel: the reference. */
async function cpuFilterGrad(c: ConvCase): Promise<Float32Array> {
  const [ref] = await runOn('cpu', () => {
    const { x, dy } = inputs(c);
    const attrs = {
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: c.dimRoundingMode,
      filterShape: c.filterShape,
    };
    return [tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor];
  });
  return ref!;
}

beforeAll(async () => {
  registerWasmGradKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('Conv2DBackpropFilter on wasm', () => {
  it('every formulation matches the cpu kernel over random shapes, strides, pads and rounding', async () => {
    const plans: FilterGradPlan[] = [
      { method: 'im2col' },
      { method: 'conv', groups: 1 },
      { method: 'conv', groups: 2 },
      { method: 'conv', groups: 3 },
    ];
    await fc.assert(
      fc.asyncProperty(drawArb, async (draw) => {
        const c = convCase(draw);
        const ref = await cpuFilterGrad(c);
        const got = await runOn('wasm', () => {
          const { x, dy } = inputs(c);
          return plans.map((plan) => conv2dFilterGrad(x, dy, c.filterShape, c, plan));
        });
        got.forEach((g, i) => {
          const err = relativeError(g, ref);
          if (!(err <= TOL)) throw new Error(`plan ${JSON.stringify(plans[i])}: error ${err} on ${describeCase(c)}`);
        });
      }),
      { seed: 42, numRuns: 150 },
    );
  }, 60_000);

  it('tf.grad of conv2d w.r.t. the filter matches the cpu backend', async () => {
    await fc.assert(
      fc.asyncProperty(drawArb, async (draw) => {
        const c = convCase({ ...draw, dimRoundingMode: undefined });
        const grad = (): tf.Tensor[] => {
          const { x, dy } = inputs(c);
          const w = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), c.seed + 2), c.filterShape);
          // Loss sum(conv(x, w) * dy) has dy as its output gradient.
          const f = (wv: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(x, wv as tf.Tensor4D, c.strides, c.pad), dy));
          return [tf.grad(f)(w)];
        };
        const [want] = await runOn('cpu', grad);
        const [got] = await runOn('wasm', grad);
        const err = relativeError(got!, want!);
        if (!(err <= TOL)) throw new Error(`error ${err} on ${describeCase(c)}`);
      }),
      { seed: 42, numRuns: 120 },
    );
  }, 60_000);

  it('covers batch sizes where the default plan is the ungrouped conv', async () => {
    const c = convCase({ batch: 8, inC: 4, outC: 5, kh: 3, kw: 3, sh: 2, sw: 1, h: 9, w: 10, pad: 'same', seed: 7 });
    expect(planFilterGrad(resolveConvGeometry('t', c.xShape, c.filterShape, c.strides, c.pad, undefined, 'NHWC'))).toEqual({
      method: 'conv',
      groups: 1,
    });
    const ref = await cpuFilterGrad(c);
    const [got] = await runOn('wasm', () => {
      const { x, dy } = inputs(c);
      return [tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: c.strides,
        pad: c.pad,
        dataFormat: 'NHWC',
        filterShape: c.filterShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor];
    });
    expect(relativeError(got!, ref)).toBeLessThanOrEqual(TOL);
  });

  it('accepts bare TensorInfos as the engine may pass them, and disposes its own handles', () => {
    const c = convCase({ batch: 2, inC: 2, outC: 3, kh: 3, kw: 3, sh: 1, sw: 1, h: 5, w: 5, pad: 'same', seed: 9 });
    const { x, dy } = inputs(c);
    const want = conv2dFilterGrad(x, dy, c.filterShape, c);
    const before = tf.memory().numTensors;
    const bare = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape };
    const got = conv2dBackpropFilterConfig.kernelFunc({
      inputs: { x: bare(x), dy: bare(dy) },
      backend: tf.backend(),
      attrs: attrs as unknown as tf.NamedAttrMap,
    }) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(relativeError(got.dataSync() as Float32Array, want.dataSync() as Float32Array)).toBe(0);
    tf.dispose([x, dy, want, got]);
  });

  it('leaves no tensor behind', () => {
    const c = convCase({ batch: 2, inC: 3, outC: 4, kh: 5, kw: 3, sh: 2, sw: 3, h: 11, w: 9, pad: [1, 2, 0, 3], seed: 3 });
    const { x, dy } = inputs(c);
    const before = tf.memory().numTensors;
    for (const plan of [{ method: 'im2col' }, { method: 'conv', groups: 1 }, { method: 'conv', groups: 4 }] as const) {
      conv2dFilterGrad(x, dy, c.filterShape, c, plan).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });

  it('rejects NCHW and a dy of the wrong shape, naming the op and the shapes', () => {
    const x = tf.zeros([1, 6, 6, 2]) as tf.Tensor4D;
    const dy = tf.zeros([1, 5, 6, 3]) as tf.Tensor4D;
    expect(() => conv2dFilterGrad(x, dy, [3, 3, 2, 3], { strides: 1, pad: 'same' })).toThrow(
      'Conv2DBackpropFilter: dy must have shape [1,6,6,3], got [1,5,6,3]',
    );
    expect(() => conv2dFilterGrad(x, dy, [3, 3, 2, 3], { strides: 1, pad: 'same', dataFormat: 'NCHW' })).toThrow(
      "Conv2DBackpropFilter: dataFormat must be 'NHWC' on the wasm backend, got 'NCHW'",
    );
    tf.dispose([x, dy]);
  });
});
