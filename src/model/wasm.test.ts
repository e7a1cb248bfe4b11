/**
 * The model on the wasm backend (the project's default for training). Forward needs only
 * built-in kernels; backward needs splitwire's conv gradient kernels from src/compute/kernels,
 * so those checks run once that folder's facade (index.ts) exists.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { partBackward, partForward, partLossBackward, predict } from './grads.js';
import { initModelParams } from './params.js';
import { buildSplitUNet, getPart } from './unet.js';
import type { PartName } from './types.js';

const kernelsFacade = new URL('../compute/kernels/index.ts', import.meta.url);
const haveGradKernels = existsSync(kernelsFacade);

const cfg = { inChannels: 2, classes: 3, baseChannels: 4, depth: 3, size: 16 };
const model = buildSplitUNet(cfg, 'u-shaped');
const params = initModelParams(model, new Rng(31, 'model')) as Record<PartName, Float32Array>;

function random(shape: number[], rng: Rng): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform());
}

/** Runs `f` on `backend` and returns plain arrays (tensors do not cross backends). */
async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-8;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return worst / scale;
}

beforeAll(async () => {
  if (haveGradKernels) {
    const mod = (await import(kernelsFacade.href)) as { registerWasmGradKernels: () => void };
    mod.registerWasmGradKernels();
  }
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('wasm backend', () => {
  const rng = new Rng(32, 'wasm');
  const x = random([2, 16, 16, 2], rng);
  const labels = Int32Array.from({ length: 2 * 16 * 16 }, () => rng.int(3));

  it('forward equals the cpu backend', async () => {
    const run = (): Float32Array =>
      tf.tidy(() => predict(model, params, tf.tensor4d(x, [2, 16, 16, 2])).dataSync() as Float32Array);
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-4);
  });

  it.skipIf(!haveGradKernels)('split backward equals the cpu backend', async () => {
    const run = (): Float32Array[] => {
      const before = tf.memory().numTensors;
      const xt = tf.tensor4d(x, [2, 16, 16, 2]);
      const y = tf.tensor(labels, [2, 16, 16], 'int32');
      const [f1, skip0] = partForward(getPart(model, 'FE'), params.FE, [xt]) as [tf.Tensor, tf.Tensor];
      const [f2] = partForward(getPart(model, 'M'), params.M, [f1]) as [tf.Tensor];
      const be = partLossBackward(getPart(model, 'BE'), params.BE, [f2, skip0], y, cfg.classes);
      const mid = partBackward(getPart(model, 'M'), params.M, [f1], [be.dInputs[0] as tf.Tensor]);
      const fe = partBackward(getPart(model, 'FE'), params.FE, [xt], [mid.dInputs[0] as tf.Tensor, be.dInputs[1] as tf.Tensor]);
      tf.dispose([xt, y, f1, skip0, f2, ...be.dInputs, ...mid.dInputs, ...fe.dInputs]);
      expect(tf.memory().numTensors).toBe(before);
      return [Float32Array.of(be.loss), fe.dParams, mid.dParams, be.dParams];
    };
    const cpu = await on('cpu', run);
    const wasm = await on('wasm', run);
    cpu.forEach((c, k) => expect(maxRelDiff(wasm[k] as Float32Array, c), `output ${k}`).toBeLessThan(1e-3));
  });
});
