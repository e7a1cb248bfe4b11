/**
 * Registers the composed conv gradient kernels (im2col filter gradient, conv input gradient)
 * in place of a backend's own, and can put the originals back (for benchmarks and tests).
 */
import * as tf from '@tensorflow/tfjs';
import { im2colFilterGradKernel } from './conv2dBackpropFilterIm2col.js';
import { matmulInputGradKernel } from './conv2dBackpropInputMatmul.js';

/** Which of the two kernels to replace. */
export interface GpuConvGradSelection {
  filter: boolean;
  input: boolean;
}

/** The environment switch: `0`/`off` none, `filter` or `input` only one, unset/`1`/`all` both. */
export const GPU_CONV_GRADS_ENV = 'SPLITWIRE_GPU_CONV_GRADS';

const SWITCH: Record<string, GpuConvGradSelection> = {
  '0': { filter: false, input: false },
  off: { filter: false, input: false },
  '1': { filter: true, input: true },
  all: { filter: true, input: true },
  filter: { filter: true, input: false },
  input: { filter: false, input: true },
};

/**
 * Reads `SPLITWIRE_GPU_CONV_GRADS` (see {@link GPU_CONV_GRADS_ENV}); throws naming the
 * variable and the allowed values on anything else.
 */
export function gpuConvGradsFromEnv(env: Record<string, string | undefined> = process.env): GpuConvGradSelection {
  const raw = env[GPU_CONV_GRADS_ENV];
  if (raw === undefined || raw === '') return { filter: true, input: true };
  const sel = SWITCH[raw.trim().toLowerCase()];
  if (sel === undefined) {
    throw new Error(`${GPU_CONV_GRADS_ENV}: must be one of ${Object.keys(SWITCH).join(', ')}, got '${raw}'`);
  }
  return { ...sel };
}

/** The backend's own kernels, saved the first time each is replaced (per backend name). */
const originals = new Map<string, Map<string, tf.KernelConfig | undefined>>();

function replace(config: tf.KernelConfig): void {
  const { kernelName, backendName } = config;
  let saved = originals.get(backendName);
  if (saved === undefined) {
    saved = new Map();
    originals.set(backendName, saved);
  }
  if (!saved.has(kernelName)) saved.set(kernelName, tf.getKernel(kernelName, backendName));
  // Unregister first: registering over a kernel works but logs a warning.
  if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel(config);
}

/**
 * Makes `backendName` run Conv2DBackpropFilter as im2col + matMul and Conv2DBackpropInput as
 * a conv of the upsampled dy (see their files). Idempotent; the backend's own kernels are
 * kept for {@link unregisterGpuConvGradKernels}. Returns the kernel names now replaced.
 * @example registerGpuConvGradKernels('webgpu', gpuConvGradsFromEnv())
 */
export function registerGpuConvGradKernels(
  backendName: string,
  which: GpuConvGradSelection = { filter: true, input: true },
): string[] {
  const names: string[] = [];
  if (which.filter) {
    replace(im2colFilterGradKernel(backendName));
    names.push(tf.Conv2DBackpropFilter);
  }
  if (which.input) {
    replace(matmulInputGradKernel(backendName));
    names.push(tf.Conv2DBackpropInput);
  }
  return names;
}

/** Puts back `backendName`'s own conv gradient kernels (none if it had none). Idempotent. */
export function unregisterGpuConvGradKernels(backendName: string): void {
  const saved = originals.get(backendName);
  if (saved === undefined) return;
  for (const [kernelName, original] of saved) {
    if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
    if (original !== undefined) tf.registerKernel(original);
  }
  originals.delete(backendName);
}

/** Which conv gradient kernels of `backendName` are splitwire's composed ones now. */
export function gpuConvGradKernelsActive(backendName: string): GpuConvGradSelection {
  const saved = originals.get(backendName);
  return { filter: saved?.has(tf.Conv2DBackpropFilter) ?? false, input: saved?.has(tf.Conv2DBackpropInput) ?? false };
}
