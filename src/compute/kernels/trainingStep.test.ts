import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { relativeError, seededValues } from './compareBackends.js';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { conv2dBackpropInputConfig } from './conv2dBackpropInput.js';
import { registerWasmGradKernels } from './register.js';

/** Bound on max|wasm - cpu| / (1 + max|cpu|) for whole-net gradients. */
const TOL = 1e-4;

const SHAPES = {
  x: [3, 10, 9, 3],
  w1: [3, 3, 3, 6],
  b1: [6],
  w2: [5, 5, 6, 4],
  target: [3, 5, 5, 4],
} as const;

interface Net {
  vars: tf.Variable[];
  x: tf.Tensor4D;
  target: tf.Tensor4D;
}

/** A 2-conv net: 3x3 'same' conv + bias + ReLU, then a 5x5 stride-2 codec-like conv. */
function makeNet(): Net {
  const v = (name: keyof typeof SHAPES, seed: number, scale: number): tf.Variable => {
    const shape = [...SHAPES[name]];
    return tf.tidy(() => tf.variable(tf.mul(tf.tensor(seededValues(tf.util.sizeFromShape(shape), seed), shape), scale)));
  };
  const vars = [v('w1', 11, 0.3), v('b1', 12, 0.1), v('w2', 13, 0.1)];
  const x = tf.tensor4d(seededValues(tf.util.sizeFromShape([...SHAPES.x]), 14), [...SHAPES.x]);
  const target = tf.tensor4d(seededValues(tf.util.sizeFromShape([...SHAPES.target]), 15), [...SHAPES.target]);
  return { vars, x, target };
}

function loss(net: Net): tf.Scalar {
  const [w1, b1, w2] = net.vars as unknown as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D];
  const h = tf.relu(tf.add(tf.conv2d(net.x, w1, 1, 'same'), b1)) as tf.Tensor4D;
  const y = tf.conv2d(h, w2, 2, 'same');
  return tf.mean(tf.square(tf.sub(y, net.target)));
}

function disposeNet(net: Net): void {
  tf.dispose([...net.vars, net.x, net.target]);
}

/** Gradients of the loss w.r.t. every variable, computed on `backend` and copied out. */
async function gradsOn(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const net = makeNet();
  const { value, grads } = tf.variableGrads(() => loss(net), net.vars);
  const out = net.vars.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  disposeNet(net);
  return out;
}

beforeAll(async () => {
  registerWasmGradKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('conv-net training on wasm with the registered kernels', () => {
  it('tf.variableGrads matches the cpu backend for every weight', async () => {
    const want = await gradsOn('cpu');
    const got = await gradsOn('wasm');
    expect(got).toHaveLength(want.length);
    got.forEach((g, i) => expect(relativeError(g, want[i]!)).toBeLessThanOrEqual(TOL));
  });

  it('a codec-style stride-2 5x5 conv2dTranspose (forward and gradients) matches cpu', async () => {
    // conv2dTranspose runs Conv2DBackpropInput forward; its filter gradient is Conv2DBackpropFilter.
    const run = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const z = tf.tensor4d(seededValues(2 * 4 * 5 * 6, 21), [2, 4, 5, 6]);
        const w = tf.tensor4d(seededValues(5 * 5 * 3 * 6, 22), [5, 5, 3, 6]);
        const r = tf.tensor4d(seededValues(2 * 8 * 10 * 3, 23), [2, 8, 10, 3]);
        const f = (zv: tf.Tensor, wv: tf.Tensor): tf.Tensor =>
          tf.sum(tf.mul(tf.conv2dTranspose(zv as tf.Tensor4D, wv as tf.Tensor4D, [2, 8, 10, 3], 2, 'same'), r));
        const y = tf.conv2dTranspose(z, w, [2, 8, 10, 3], 2, 'same');
        return [y, ...tf.grads(f)([z, w])].map((t) => Float32Array.from(t.dataSync()));
      });
    };
    const want = await run('cpu');
    const got = await run('wasm');
    got.forEach((g, i) => expect(relativeError(g, want[i]!), `output ${i}`).toBeLessThanOrEqual(TOL));
  });

  it('SGD steps lower the loss and the tensor count does not grow', async () => {
    await tf.setBackend('wasm');
    const net = makeNet();
    const opt = tf.train.sgd(0.05);
    const step = (): number => {
      const l = opt.minimize(() => loss(net), true, net.vars)!;
      const value = l.dataSync()[0]!;
      l.dispose();
      return value;
    };
    const first = step();
    const baseline = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 5; i++) last = step();
    expect(tf.memory().numTensors).toBe(baseline);
    expect(last).toBeLessThan(first);
    opt.dispose();
    disposeNet(net);
  });

  it('registration is idempotent and installs both kernels for wasm without warnings', () => {
    const warn = vi.spyOn(console, 'warn');
    registerWasmGradKernels();
    registerWasmGradKernels();
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(conv2dBackpropFilterConfig);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')).toBe(conv2dBackpropInputConfig);
    expect(warn).not.toHaveBeenCalled();
  });
});
