import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { makeConv2dBackpropInputConfig } from './conv2dBackpropInput.js';

let registered = false;
let builtinInput: tf.KernelConfig | undefined;

/**
 * Registers splitwire's conv gradient kernels for the wasm backend: the missing
 * `Conv2DBackpropFilter` and a faster `Conv2DBackpropInput`. Idempotent; safe before or
 * after `tf.setBackend('wasm')`.
 */
export function registerWasmGradKernels(): void {
  if (registered) return;
  builtinInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  // Unregister first: registering over a kernel works but logs a warning on every run.
  if (builtinInput !== undefined) tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
  tf.registerKernel(makeConv2dBackpropInputConfig(builtinInput));
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') !== undefined) {
    tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
  }
  tf.registerKernel(conv2dBackpropFilterConfig);
  registered = true;
}

/** The wasm backend's own `Conv2DBackpropInput`, as it was before registration (for benchmarks). */
export function builtinWasmInputGradKernel(): tf.KernelConfig | undefined {
  return registered ? builtinInput : tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
}
