import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { conv2dBackpropInputConfig } from './conv2dBackpropInput.js';
import { concatConfig, splitVConfig } from './copyKernels.js';

let builtinInput: tf.KernelConfig | undefined;
/** The shipped Concat and SplitV, kept to fall back to (strings) and for benchmarks. */
let builtinCopies: tf.KernelConfig[] = [];
let registered = false;

/** Registers `config` in place of any kernel of its name and backend. */
function replaceKernel(config: tf.KernelConfig): void {
  // Unregister first: registering over a kernel works but logs a warning.
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/**
 * Registers splitwire's kernels for the wasm backend: the missing `Conv2DBackpropFilter`, a
 * faster `Conv2DBackpropInput`, and `Concat` and `SplitV` that copy short runs without a view
 * each (copyKernels.ts). Idempotent; works before or after `tf.setBackend('wasm')` (none of
 * them needs a setup step).
 */
export function registerWasmGradKernels(): void {
  if (registered) return;
  builtinInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  const shipped = [tf.getKernel(tf.Concat, 'wasm'), tf.getKernel(tf.SplitV, 'wasm')];
  builtinCopies = shipped.filter((k): k is tf.KernelConfig => k !== undefined);
  for (const config of [conv2dBackpropFilterConfig, conv2dBackpropInputConfig, concatConfig(shipped[0]), splitVConfig(shipped[1])]) {
    replaceKernel(config);
  }
  registered = true;
}

/**
 * Benchmarks: `false` puts the shipped wasm `Concat` and `SplitV` back, `true` splitwire's
 * (after {@link registerWasmGradKernels}). Results are the same either way; only speed differs.
 */
export function useWasmCopyKernels(on: boolean): void {
  registerWasmGradKernels();
  const shipped = builtinCopies;
  const configs = on ? [concatConfig(shipped.find((k) => k.kernelName === tf.Concat)), splitVConfig(shipped.find((k) => k.kernelName === tf.SplitV))] : shipped;
  for (const config of configs) replaceKernel(config);
}

/** The wasm backend's own `Conv2DBackpropInput`, as shipped (kept for benchmarks). */
export function builtinWasmInputGradKernel(): tf.KernelConfig | undefined {
  return registered ? builtinInput : tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
}
