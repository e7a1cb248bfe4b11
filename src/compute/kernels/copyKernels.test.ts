import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { runOn, seededValues } from './compareBackends.js';
import { registerWasmGradKernels, useWasmCopyKernels } from './register.js';

/** Values of `shape` and `dtype`, seeded (int32 and bool from the same draws). */
function values(shape: number[], dtype: 'float32' | 'int32' | 'bool', seed: number): tf.Tensor {
  const v = seededValues(tf.util.sizeFromShape(shape), seed);
  if (dtype === 'float32') return tf.tensor(v, shape, 'float32');
  if (dtype === 'int32') return tf.tensor(Int32Array.from(v, (x) => Math.round(x * 1000)), shape, 'int32');
  return tf.tensor(Uint8Array.from(v, (x) => (x > 0 ? 1 : 0)), shape, 'bool');
}

/** Runs on `backend`, returning every output's values as plain numbers (bit-exact compare). */
async function exact(backend: string, fn: () => tf.Tensor[]): Promise<number[][]> {
  const out = await runOn(backend, () => fn().map((t) => t.cast('float32')));
  return out.map((a) => Array.from(a));
}

const caseArb = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
  axisPick: fc.nat(),
  pieces: fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 4 }),
  dtype: fc.constantFrom('float32' as const, 'int32' as const, 'bool' as const),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

beforeAll(async () => {
  registerWasmGradKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('Concat and SplitV on wasm (copyKernels.ts)', () => {
  it('concat gives exactly the cpu backend’s values (fast-check seed 42)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const axis = c.axisPick % c.shape.length;
        const run = (): tf.Tensor[] => {
          const parts = c.pieces.map((n, i) => values(c.shape.map((d, k) => (k === axis ? n : d)), c.dtype, c.seed + i));
          return [tf.concat(parts, axis - (c.axisPick % 2 === 0 ? 0 : c.shape.length))];
        };
        expect(await exact('wasm', run)).toEqual(await exact('cpu', run));
      }),
      { seed: 42, numRuns: 100 },
    );
  }, 120_000);

  it('split gives exactly the cpu backend’s values, by sizes (one maybe -1) or by count (fast-check seed 42)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.boolean(), fc.boolean(), async (c, byCount, free) => {
        const axis = c.axisPick % c.shape.length;
        const dim = c.pieces.reduce((a, n) => a + n, 0);
        if (dim === 0) return;
        const shape = c.shape.map((d, k) => (k === axis ? dim : d));
        // tfjs' own prepareSplitSize mishandles a -1 in front (its reduce starts from it): last only.
        const last = c.pieces.length - 1;
        const sizes = free && last > 0 ? c.pieces.map((n, i) => (i === last ? -1 : n)) : c.pieces;
        const split: number | number[] = byCount ? c.pieces.length : sizes;
        if (byCount && dim % c.pieces.length !== 0) return;
        const run = (): tf.Tensor[] => tf.split(values(shape, c.dtype, c.seed), split, axis);
        expect(await exact('wasm', run)).toEqual(await exact('cpu', run));
      }),
      { seed: 42, numRuns: 100 },
    );
  }, 120_000);

  it('the gradient of a channel concat (a split) matches the shipped kernels bit for bit', () => {
    const grad = (): number[][] => {
      const x = values([2, 5, 6, 8], 'float32', 1);
      const y = values([2, 5, 6, 3], 'float32', 2);
      const dy = values([2, 5, 6, 11], 'float32', 3);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.concat([a, b, a], 3), tf.concat([dy, tf.slice(dy, [0, 0, 0, 0], [2, 5, 6, 8])], 3))));
      const out = g([x, y]).map((t) => Array.from(t.dataSync()));
      tf.dispose([x, y, dy]);
      return out;
    };
    const mine = tf.tidy(grad);
    useWasmCopyKernels(false);
    try {
      expect(tf.tidy(grad)).toEqual(mine);
    } finally {
      useWasmCopyKernels(true);
    }
  });

  it('leaves no tensor behind and keeps string tensors working (the shipped kernel)', () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const both = tf.concat([a, a], 1);
    const parts = tf.split(both, [1, 3], 1);
    expect(parts.map((p) => p.shape)).toEqual([
      [2, 1],
      [2, 3],
    ]);
    expect(Array.from(parts[1]!.dataSync())).toEqual([2, 1, 2, 4, 3, 4]);
    const strings = [tf.tensor1d(['a'], 'string'), tf.tensor1d(['b', 'c'], 'string')];
    const s = tf.concat(strings);
    expect(s.dataSync()).toEqual(['a', 'b', 'c']);
    tf.dispose([a, both, ...parts, ...strings, s]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('identity shares memory: a clone outlives its source, and freeing both frees it', () => {
    const before = tf.memory();
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('a tape that saves tensors (identity clones) gives the shipped kernels’ gradients bit for bit', () => {
    const grad = (): number[][] =>
      tf.tidy(() => {
        const x = values([2, 6, 6, 4], 'float32', 5);
        const w = values([3, 3, 4, 5], 'float32', 6);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))));
        return g([x, w]).map((t) => Array.from(t.dataSync()));
      });
    const mine = grad();
    useWasmCopyKernels(false);
    try {
      expect(grad()).toEqual(mine);
    } finally {
      useWasmCopyKernels(true);
    }
  });
});
