import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../compute/backend.js';
import { profileKernels } from './kernelProfile.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('profileKernels', () => {
  it('counts every kernel call, nested ones apart, and puts the kernels back', async () => {
    const before = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const p = await profileKernels(async () => {
      const g = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'same')))(w);
      await g.data();
      g.dispose();
    });
    const calls = Object.fromEntries(p.kernels.map((k) => [k.kernel, k.calls]));
    expect(calls['Conv2DBackpropFilter']).toBe(1);
    // splitwire's filter gradient is made of other kernels: they are counted on their own.
    expect(calls['Conv2D']).toBeGreaterThanOrEqual(1);
    for (const k of p.kernels) expect(k.selfMs).toBeGreaterThanOrEqual(0);
    const inKernels = p.kernels.reduce((a, k) => a + k.selfMs, 0);
    expect(inKernels + p.outsideKernelsMs).toBeCloseTo(p.totalMs, 6);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(before);
    tf.dispose([x, w]);
  });

  it('puts the kernels back when the profiled function throws', async () => {
    const before = tf.getKernel(tf.Add, 'wasm');
    await expect(
      profileKernels(async () => {
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tf.getKernel(tf.Add, 'wasm')).toBe(before);
  });
});
