import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { conv2dBackpropInputConfig } from './conv2dBackpropInput.js';
import { concatConfig, identityConfig, splitVConfig } from './copyKernels.js';

let builtinInput: tf.KernelConfig | undefined;
/** The shipped Concat, SplitV and Identity, kept to fall back to (strings) and for benchmarks. */
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
 * faster `Conv2DBackpropInput`, `Concat` and `SplitV` that copy short runs without a view
 * each, and an `Identity` that shares memory instead of copying (copyKernels.ts). Idempotent; works before or after `tf.setBackend('wasm')` (none of
 * them needs a setup step).
 */
export function registerWasmGradKernels(): void {
  if (registered) return;
  builtinInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  const shipped = [tf.getKernel(tf.Concat, 'wasm'), tf.getKernel(tf.SplitV, 'wasm'), tf.getKernel(tf.Identity, 'wasm')];
  builtinCopies = shipped.filter((k): k is tf.KernelConfig => k !== undefined);
  for (const config of [conv2dBackpropFilterConfig, conv2dBackpropInputConfig, ...copyConfigs()]) replaceKernel(config);
  registered = true;
}

/** splitwire's copy kernels, each falling back to the shipped one of its name. */
function copyConfigs(): tf.KernelConfig[] {
  const shipped = (name: string): tf.KernelConfig | undefined => builtinCopies.find((k) => k.kernelName === name);
  return [concatConfig(shipped(tf.Concat)), splitVConfig(shipped(tf.SplitV)), identityConfig(shipped(tf.Identity))];
}

/**
 * Benchmarks: `false` puts the shipped wasm `Concat`, `SplitV` and `Identity` back, `true`
 * splitwire's (after {@link registerWasmGradKernels}). Results are the same either way; only
 * speed differs.
 */
export function useWasmCopyKernels(on: boolean): void {
  registerWasmGradKernels();
  for (const config of on ? copyConfigs() : builtinCopies) replaceKernel(config);
}

/** The wasm backend's own `Conv2DBackpropInput`, as shipped (kept for benchmarks). */
export function builtinWasmInputGradKernel(): tf.KernelConfig | undefined {
  return registered ? builtinInput : tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
}
