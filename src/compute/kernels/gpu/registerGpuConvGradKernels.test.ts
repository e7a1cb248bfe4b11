import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { relativeError, seededValues } from '../compareBackends.js';
import {
  GPU_CONV_GRADS_ENV,
  gpuConvGradKernelsActive,
  gpuConvGradsFromEnv,
  registerGpuConvGradKernels,
  unregisterGpuConvGradKernels,
} from './registerGpuConvGradKernels.js';

/** A copy of the cpu backend under another name, so its conv gradient kernels can be replaced. */
const CLONE = 'cpu-gpu-grads';

/** Bound on max|clone - cpu| / (1 + max|cpu|) for whole-net gradients (observed ~1e-7). */
const TOL = 1e-5;

beforeAll(() => {
  const factory = tf.findBackendFactory('cpu');
  if (factory == null) throw new Error('no cpu backend factory');
  tf.registerBackend(CLONE, factory, -1);
  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: CLONE });
});

afterAll(async () => {
  unregisterGpuConvGradKernels(CLONE);
  await tf.setBackend('cpu');
  tf.removeBackend(CLONE);
});

/**
 * Gradients of a conv net that touches both kernels: 3x3 'same' conv, a 5x5 stride-2 conv
 * (a codec layer), a 1x1 conv, and a 5x5 stride-2 conv2dTranspose (whose forward pass is
 * Conv2DBackpropInput and whose filter gradient is Conv2DBackpropFilter).
 */
async function netGrads(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const v = (shape: number[], seed: number, scale: number): tf.Tensor =>
      tf.mul(tf.tensor(seededValues(tf.util.sizeFromShape(shape), seed), shape), scale);
    const x = v([2, 11, 10, 3], 1, 1) as tf.Tensor4D;
    const ws = [v([3, 3, 3, 6], 2, 0.3), v([5, 5, 6, 4], 3, 0.1), v([1, 1, 4, 5], 4, 0.3), v([5, 5, 3, 5], 5, 0.1)];
    const target = v([2, 12, 10, 3], 6, 1);
    const f = (w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor, w4: tf.Tensor): tf.Scalar => {
      const h1 = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'));
      const h2 = tf.conv2d(h1, w2 as tf.Tensor4D, 2, 'same');
      const h3 = tf.conv2d(h2, w3 as tf.Tensor4D, 1, 'valid');
      const y = tf.conv2dTranspose(h3, w4 as tf.Tensor4D, [2, 12, 10, 3], 2, 'same');
      return tf.mean(tf.square(tf.sub(y, target)));
    };
    const grads = tf.grads(f)(ws);
    return grads.map((g) => Float32Array.from(g.dataSync()));
  });
}

describe('registerGpuConvGradKernels', () => {
  it('makes a backend train with the composed kernels, with the gradients of its own', async () => {
    const want = await netGrads('cpu');
    expect(registerGpuConvGradKernels(CLONE)).toEqual([tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, CLONE)?.kernelFunc).not.toBe(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')?.kernelFunc);
    const before = tf.memory().numTensors;
    const got = await netGrads(CLONE);
    expect(tf.memory().numTensors).toBe(before);
    got.forEach((g, i) => expect(relativeError(g, want[i]!), `weight ${i}`).toBeLessThanOrEqual(TOL));
  });

  it('is idempotent and puts the backend\'s own kernels back on unregister', () => {
    registerGpuConvGradKernels(CLONE);
    registerGpuConvGradKernels(CLONE);
    expect(gpuConvGradKernelsActive(CLONE)).toEqual({ filter: true, input: true });
    unregisterGpuConvGradKernels(CLONE);
    expect(gpuConvGradKernelsActive(CLONE)).toEqual({ filter: false, input: false });
    for (const name of [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]) {
      expect(tf.getKernel(name, CLONE)?.kernelFunc).toBe(tf.getKernel(name, 'cpu')?.kernelFunc);
    }
    expect(registerGpuConvGradKernels(CLONE, { filter: true, input: false })).toEqual([tf.Conv2DBackpropFilter]);
    expect(tf.getKernel(tf.Conv2DBackpropInput, CLONE)?.kernelFunc).toBe(tf.getKernel(tf.Conv2DBackpropInput, 'cpu')?.kernelFunc);
    unregisterGpuConvGradKernels(CLONE);
  });

  it(`reads ${GPU_CONV_GRADS_ENV}: 0 disables, filter/input pick one, unset enables both`, () => {
    expect(gpuConvGradsFromEnv({})).toEqual({ filter: true, input: true });
    expect(gpuConvGradsFromEnv({ [GPU_CONV_GRADS_ENV]: '0' })).toEqual({ filter: false, input: false });
    expect(gpuConvGradsFromEnv({ [GPU_CONV_GRADS_ENV]: 'filter' })).toEqual({ filter: true, input: false });
    expect(gpuConvGradsFromEnv({ [GPU_CONV_GRADS_ENV]: 'input' })).toEqual({ filter: false, input: true });
    expect(gpuConvGradsFromEnv({ [GPU_CONV_GRADS_ENV]: '1' })).toEqual({ filter: true, input: true });
    expect(() => gpuConvGradsFromEnv({ [GPU_CONV_GRADS_ENV]: 'yes' })).toThrow(
      "SPLITWIRE_GPU_CONV_GRADS: must be one of 0, 1, off, all, filter, input, got 'yes'",
    );
  });
});
