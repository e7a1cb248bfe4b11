import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { conv2dBackpropInputConfig } from './conv2dBackpropInput.js';

let builtinInput: tf.KernelConfig | undefined;
let registered = false;

/**
 * Registers splitwire's conv gradient kernels for the wasm backend: the missing
 * `Conv2DBackpropFilter` and a faster `Conv2DBackpropInput`. Idempotent; works before or
 * after `tf.setBackend('wasm')` (neither kernel needs a setup step).
 */
export function registerWasmGradKernels(): void {
  if (registered) return;
  builtinInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  for (const config of [conv2dBackpropFilterConfig, conv2dBackpropInputConfig]) {
    // Unregister first: registering over a kernel works but logs a warning.
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  registered = true;
}

/** The wasm backend's own `Conv2DBackpropInput`, as shipped (kept for benchmarks). */
export function builtinWasmInputGradKernel(): tf.KernelConfig | undefined {
  return registered ? builtinInput : tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
}
