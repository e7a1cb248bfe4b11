import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../register.js';
import { AGREEMENT_CASES, checkAgreement, type AgreementCase } from './kernelAgreement.js';

beforeAll(() => {
  // wasm has no Conv2DBackpropFilter of its own; splitwire's wasm kernels supply it.
  registerWasmGradKernels();
});

describe('kernel agreement cases, run here on wasm against cpu', () => {
  it('every model and codec op agrees within its stated bound, and no tensor is left behind', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const results = await checkAgreement('wasm', 'cpu');
    expect(results.map((r) => r.name)).toEqual(AGREEMENT_CASES.map((c) => c.name));
    for (const r of results) expect(r, `${r.name}: error ${r.error} (bound ${r.tol}) ${r.failure ?? ''}`).toMatchObject({ ok: true });
    // The bounds are not vacuous: the cases do compute something that differs in float32.
    expect(Math.max(...results.map((r) => r.error))).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);

  it('reports a disagreeing case and a throwing one as failed, with the reason', async () => {
    const cases: AgreementCase[] = [
      { name: 'differs', tol: 1e-4, run: () => [tf.scalar(tf.getBackend() === 'cpu' ? 1 : 1.01)] },
      { name: 'throws', tol: 1e-4, run: () => [tf.reshape(tf.zeros([2, 3]), [4])] },
    ];
    const [differs, throws] = await checkAgreement('wasm', 'cpu', cases);
    expect(differs).toMatchObject({ name: 'differs', ok: false });
    expect(differs!.error).toBeCloseTo(0.01 / 2, 6);
    expect(throws).toMatchObject({ name: 'throws', ok: false, error: Number.POSITIVE_INFINITY });
    expect(throws!.failure).toMatch(/must match the product of shape/);
  });
});
