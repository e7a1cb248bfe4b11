/**
 * The model's and codecs' ops on WebGPU against the scalar cpu backend. Runs only where Dawn's
 * `webgpu` package and `@tensorflow/tfjs-backend-webgpu` are installed and Dawn finds an
 * adapter (see docs/gpu.md); elsewhere it registers as skipped, saying why.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../backend.js';
import { AGREEMENT_CASES, checkAgreement } from './kernelAgreement.js';
import { gpuConvGradKernelsActive, registerGpuConvGradKernels, unregisterGpuConvGradKernels } from './registerGpuConvGradKernels.js';

/** Activates WebGPU the way splitwire does (backend.ts); the reason when it cannot. */
async function probe(): Promise<{ ok: boolean; reason: string }> {
  try {
    await selectBackend('webgpu');
    return { ok: true, reason: '' };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

const gpu = await probe();
const title = gpu.ok ? 'webgpu agrees with cpu' : `webgpu agrees with cpu (skipped: no WebGPU adapter: ${gpu.reason})`;

describe.skipIf(!gpu.ok)(title, () => {
  it('on every model and codec op, within each case\'s stated bound (composed conv gradient kernels as configured)', async () => {
    const results = await checkAgreement('webgpu', 'cpu');
    const table = results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.error.toExponential(2)} <= ${r.tol}  ${r.name}${r.failure ? `: ${r.failure}` : ''}`);
    process.stdout.write(`webgpu vs cpu (conv grads composed: ${JSON.stringify(gpuConvGradKernelsActive('webgpu'))}):\n${table.join('\n')}\n`);
    expect(results.filter((r) => !r.ok), table.join('\n')).toEqual([]);
  }, 120_000);

  it('on the conv cases with tfjs-webgpu\'s own gradient kernels too', async () => {
    const active = gpuConvGradKernelsActive('webgpu');
    unregisterGpuConvGradKernels('webgpu');
    try {
      const convCases = AGREEMENT_CASES.filter((c) => c.name.startsWith('conv2d'));
      const results = await checkAgreement('webgpu', 'cpu', convCases);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    } finally {
      registerGpuConvGradKernels('webgpu', active);
      await tf.setBackend('webgpu');
    }
  }, 120_000);
});
