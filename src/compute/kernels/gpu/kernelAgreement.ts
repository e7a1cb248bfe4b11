/**
 * Every tfjs op the model parts (src/model) and the learned codecs (src/codecs/learned) run,
 * forward and, where they train, backward, as small seeded cases that can run on any two
 * backends and be compared. Used by the WebGPU agreement test and by scripts/gpu-check.mjs
 * on a GPU machine. Values are read with `await data()`: tfjs-webgpu's dataSync reads back
 * through an OffscreenCanvas, which Node does not have.
 */
import * as tf from '@tensorflow/tfjs';
import { relativeError, seededValues } from '../compareBackends.js';
import { conv2dBackpropFilterIm2col } from './conv2dBackpropFilterIm2col.js';
import { conv2dBackpropInputMatmul } from './conv2dBackpropInputMatmul.js';

/** One op (or short chain) with its outputs' error bound, max|a-b| / (1 + max|ref|). */
export interface AgreementCase {
  name: string;
  tol: number;
  /** Builds its seeded inputs and returns the tensors to compare (runs inside tf.tidy). */
  run: () => tf.Tensor[];
}

export interface AgreementResult {
  name: string;
  /** Worst error over the case's outputs (Infinity on a shape mismatch or NaN). */
  error: number;
  tol: number;
  ok: boolean;
  /** Set when the case threw on either backend. */
  failure?: string;
}

/**
 * Error bounds. Sums: products of N(0,1) values summed in float32 in another order (GPU
 * tiles, FMA): ~1e-6 per hundred terms, bounded with margin. Transcendentals: WGSL allows
 * exp/log/tanh a few ULP plus an error growing with |x| (WGSL spec, "Floating Point Accuracy").
 */
const SUM_TOL = 1e-4;
const ELEMENTWISE_TOL = 1e-5;
const TRANSCENDENTAL_TOL = 1e-4;

function val(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.mul(tf.tensor(seededValues(tf.util.sizeFromShape(shape), seed), shape), scale);
}

const t4 = (t: tf.Tensor): tf.Tensor4D => t as tf.Tensor4D;
const t2 = (t: tf.Tensor): tf.Tensor2D => t as tf.Tensor2D;

/** Value and gradients of sum(f(xs) * probe): the gradient path every training op takes. */
function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], seed: number): tf.Tensor[] {
  const y = f(...xs);
  const probe = val(y.shape, seed);
  const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), probe)))(xs);
  return [y, ...grads];
}

/** The layers' GDN: x * rsqrt(beta + x^2 @ gamma) (inverse: * sqrt), as codecs/learned/layers.ts. */
function gdn(x: tf.Tensor, beta: tf.Tensor, gamma: tf.Tensor, inverse: boolean): tf.Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const norm = tf.reshape(tf.add(tf.matMul(t2(tf.reshape(tf.square(x), [n * h * w, c])), t2(gamma)), beta), [n, h, w, c]);
  return tf.mul(x, inverse ? tf.sqrt(norm) : tf.rsqrt(norm));
}

/** The layers' 2x nearest upsampling by concat + reshape (model/layers.ts up2). */
function up2(x: tf.Tensor): tf.Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const cols = tf.reshape(tf.concat([x, x], 3), [n, h, 2 * w * c]);
  return tf.reshape(tf.concat([cols, cols], 2), [n, 2 * h, 2 * w, c]);
}

/** Conv cases: [name, x shape, filter shape, stride]. U-Net convs, codec 5x5/2, strided 1x1 skips. */
const CONVS: [string, number[], number[], number][] = [
  ['3x3/1 same 16->16', [2, 16, 16, 16], [3, 3, 16, 16], 1],
  ['5x5/2 same 8->12', [2, 17, 15, 8], [5, 5, 8, 12], 2],
  ['1x1/2 same 8->16', [2, 16, 16, 8], [1, 1, 8, 16], 2],
  ['3x3/1 same 3->8 (input layer)', [2, 32, 32, 3], [3, 3, 3, 8], 1],
];

export const AGREEMENT_CASES: readonly AgreementCase[] = [
  ...CONVS.map(([name, xs, ws, s], i): AgreementCase => ({
    name: `conv2d ${name}: forward, dx, dW`,
    tol: SUM_TOL,
    run: () => withGrads((x, w) => tf.conv2d(t4(x), t4(w), s, 'same'), [val(xs, 10 + i), val(ws, 20 + i, 0.2)], 30 + i),
  })),
  {
    name: 'fused conv2d 3x3 + bias + relu: forward, grads',
    tol: SUM_TOL,
    run: () =>
      withGrads(
        (x, w, b) => tf.fused.conv2d({ x: t4(x), filter: t4(w), bias: b, strides: 1, pad: 'same', activation: 'relu' }),
        [val([2, 12, 12, 8], 40), val([3, 3, 8, 8], 41, 0.2), val([8], 42, 0.1)],
        43,
      ),
  },
  {
    name: 'masked 5x5 conv (context model): forward, grads',
    tol: SUM_TOL,
    run: () => {
      const mask = tf.reshape(tf.tensor1d(Array.from({ length: 25 }, (_, i) => (i < 12 ? 1 : 0))), [5, 5, 1, 1]);
      return withGrads((x, w) => tf.conv2d(t4(x), t4(tf.mul(w, mask)), 1, 'same'), [val([1, 12, 12, 6], 44), val([5, 5, 6, 8], 45, 0.2)], 46);
    },
  },
  {
    name: 'conv2dTranspose 5x5/2 same 8->6: forward, grads',
    tol: SUM_TOL,
    run: () =>
      withGrads((x, w) => tf.conv2dTranspose(t4(x), t4(w), [2, 16, 14, 6], 2, 'same'), [val([2, 8, 7, 8], 50), val([5, 5, 6, 8], 51, 0.2)], 52),
  },
  {
    name: 'composed filter gradient (im2col + split-K matMul), U-Net layer',
    tol: SUM_TOL,
    run: () => [conv2dBackpropFilterIm2col(t4(val([4, 32, 32, 16], 60)), t4(val([4, 32, 32, 16], 61)), [3, 3, 16, 16], 1, 'same', 1, { splitK: 8 })],
  },
  {
    name: 'composed input gradient (upsampled dy conv), codec layer 5x5/2',
    tol: SUM_TOL,
    run: () => [conv2dBackpropInputMatmul([2, 32, 32, 8], t4(val([2, 16, 16, 12], 62)), t4(val([5, 5, 8, 12], 63, 0.2)), 2, 'same')],
  },
  {
    name: 'matMul (plain, transposed, batched, 1x1 conv as matMul): forward, grads',
    tol: SUM_TOL,
    run: () => [
      ...withGrads((a, b) => tf.matMul(t2(a), t2(b)), [val([64, 48], 70), val([48, 40], 71)], 72),
      tf.matMul(t2(val([48, 64], 73)), t2(val([40, 48], 74)), true, true),
      tf.matMul(val([3, 20, 30], 75) as tf.Tensor3D, val([3, 30, 10], 76) as tf.Tensor3D),
    ],
  },
  {
    name: 'GDN and IGDN (square, matMul, add, rsqrt, sqrt, mul): forward, grads',
    tol: SUM_TOL,
    run: () => {
      const beta = tf.add(tf.abs(val([8], 80)), 1);
      const gamma = tf.add(tf.mul(tf.eye(8), 0.1), tf.abs(val([8, 8], 81, 0.01)));
      return [
        ...withGrads((x, b, g) => gdn(x, b, g, false), [val([2, 8, 8, 8], 82), beta, gamma], 83),
        ...withGrads((x, b, g) => gdn(x, b, g, true), [val([2, 8, 8, 8], 84), beta, gamma], 85),
      ];
    },
  },
  {
    name: 'maxPool 2x2/2, up2 (concat, reshape), skip concat: forward, grads',
    tol: ELEMENTWISE_TOL,
    run: () => [
      // Positive inputs, as after the U-Net's ReLU: tfjs-wasm 4.22's MaxPoolGrad drops the
      // gradient of a window whose maximum is negative (the cpu kernel does not).
      ...withGrads((x) => tf.maxPool(t4(x), 2, 2, 'valid'), [tf.add(tf.abs(val([2, 16, 16, 4], 90)), 0.01)], 91),
      ...withGrads((x) => up2(x), [val([2, 8, 8, 4], 92)], 93),
      ...withGrads((a, b) => tf.concat([a, b], 3), [val([2, 8, 8, 4], 94), val([2, 8, 8, 3], 95)], 96),
    ],
  },
  {
    name: 'pixel shuffle (rank-4 transpose) and tf.transpose: forward, grads',
    tol: ELEMENTWISE_TOL,
    run: () => [
      ...withGrads((x) => tf.reshape(tf.transpose(tf.reshape(x, [2 * 6, 5, 2, 2 * 3]), [0, 2, 1, 3]), [2, 12, 10, 3]), [val([2, 6, 5, 12], 100)], 101),
      tf.transpose(val([3, 4, 5, 6], 102), [3, 1, 2, 0]),
    ],
  },
  {
    name: 'softmax cross-entropy (logSoftmax, oneHot, mean), softmax: forward, grads',
    tol: TRANSCENDENTAL_TOL,
    run: () => {
      const labels = tf.oneHot(tf.cast(tf.floor(tf.mul(tf.sigmoid(val([2 * 8 * 8], 110)), 2.999)), 'int32'), 3);
      const ce = (logits: tf.Tensor): tf.Tensor => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(tf.reshape(logits, [-1, 3]))), -1)));
      return [...withGrads(ce, [val([2, 8, 8, 3], 111, 3)], 112), tf.softmax(val([16, 7], 113, 3))];
    },
  },
  {
    name: 'activations and codec elementwise ops (sigmoid, tanh, softplus, exp, log, leakyRelu, relu): forward, grads',
    tol: TRANSCENDENTAL_TOL,
    run: () => {
      const x = val([4, 257], 120, 2);
      const unary: ((t: tf.Tensor) => tf.Tensor)[] = [
        tf.sigmoid,
        tf.tanh,
        tf.softplus,
        (t) => tf.exp(tf.mul(t, 0.5)),
        (t) => tf.log(tf.add(tf.abs(t), 0.1)),
        (t) => tf.leakyRelu(t, 0.01),
        tf.relu,
      ];
      return unary.flatMap((f, i) => withGrads(f, [x], 121 + i));
    },
  },
  {
    name: 'quantisation and bounds (round, sign, abs, step, maximum, comparisons, cast)',
    tol: ELEMENTWISE_TOL,
    run: () => {
      // Offsets keep values away from .5 ties and 0, where rounding and sign could flip.
      const x = tf.add(tf.round(val([3, 200], 130, 4)), tf.mul(tf.sigmoid(val([3, 200], 131)), 0.8));
      const y = tf.sub(x, 0.4);
      return [
        tf.round(y),
        tf.sign(y),
        tf.abs(y),
        tf.step(y),
        tf.maximum(y, 0.25),
        tf.cast(tf.logicalOr(tf.greaterEqual(y, 0.25), tf.less(x, 0)), 'float32'),
        tf.squaredDifference(x, y),
        tf.div(x, tf.add(tf.abs(y), 1)),
      ];
    },
  },
  {
    name: 'reductions (sum, mean, max, argMax, addN), slice, split, tile',
    tol: SUM_TOL,
    run: () => {
      const x = val([4, 6, 5, 7], 140);
      const [a, b] = tf.split(x, [3, 4], 3);
      return [
        tf.sum(x),
        tf.sum(x, [0, 1, 2]),
        tf.mean(x, -1),
        tf.max(x, 1),
        tf.cast(tf.argMax(x, -1), 'float32'),
        tf.addN([x, x, tf.neg(x)]),
        tf.slice(x, [1, 2, 0, 3], [2, 3, 5, 4]),
        a!,
        b!,
        tf.tile(val([2, 3], 141), [3, 2]),
      ];
    },
  },
  {
    name: 'entropy bottleneck density (matMul, softplus, tanh chain) and normal CDF: forward, grads',
    tol: TRANSCENDENTAL_TOL,
    run: () => {
      const density = (x: tf.Tensor, m: tf.Tensor, bias: tf.Tensor, fac: tf.Tensor): tf.Tensor => {
        const h = tf.add(tf.matMul(t2(tf.softplus(m)), t2(x)), bias);
        return tf.sigmoid(tf.add(h, tf.mul(tf.tanh(fac), tf.tanh(h))));
      };
      const cdf = (x: tf.Tensor): tf.Tensor => {
        const z = tf.mul(tf.abs(x), Math.SQRT1_2);
        const e = tf.mul(tf.exp(tf.neg(tf.square(z))), 0.5);
        return tf.add(e, tf.mul(tf.step(x), tf.sub(1, tf.mul(e, 2))));
      };
      return [
        ...withGrads(density, [val([3, 64], 150), val([3, 3], 151), val([3, 1], 152), val([3, 1], 153)], 154),
        ...withGrads(cdf, [val([5, 40], 155, 2)], 156),
      ];
    },
  },
];

/** Runs `fn` on `backend` and reads every output back asynchronously; disposes what it made. */
export async function readOn(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' failed to initialise`);
  const outs = tf.tidy(fn);
  try {
    return await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  } finally {
    tf.dispose(outs);
  }
}

/**
 * Runs each case on `backend` and on `reference` (default the scalar `cpu` backend) and
 * returns the worst error per case. The reference backend is left active afterwards.
 * @example (await checkAgreement('webgpu')).filter((r) => !r.ok)
 */
export async function checkAgreement(
  backend: string,
  reference = 'cpu',
  cases: readonly AgreementCase[] = AGREEMENT_CASES,
): Promise<AgreementResult[]> {
  const results: AgreementResult[] = [];
  for (const c of cases) {
    try {
      const got = await readOn(backend, c.run);
      const want = await readOn(reference, c.run);
      const error =
        got.length !== want.length ? Number.POSITIVE_INFINITY : Math.max(0, ...got.map((g, i) => relativeError(g, want[i]!)));
      results.push({ name: c.name, error, tol: c.tol, ok: error <= c.tol });
    } catch (err) {
      const failure = err instanceof Error ? err.message : String(err);
      results.push({ name: c.name, error: Number.POSITIVE_INFINITY, tol: c.tol, ok: false, failure });
    }
  }
  return results;
}
