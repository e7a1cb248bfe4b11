/**
 * Backward pass through a frozen feature codec (the `ayad` baseline after its training
 * rounds; Ayad et al. 2021 fix the autoencoder once trained). The part's first output still
 * passes through the codec's differentiable forward (straight-through rounding), so the part
 * learns against the codec that is really on the wire; the codec's parameters are constants:
 * no rate term, no codec step, nothing written to any codec state.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelPart } from '../model/types.js';
import { readThenFree, readThenFreeSync } from '../model/grads.js';
import { flattenTensors, flattenTensorsAsync, toTensors } from '../model/params.js';
import { learnedCodec } from './codecTasks.js';
import type { LearnedRef } from './types.js';

/** The tensor computation of the sync and async VJPs below; the caller owns the gradients. */
function frozenBackwardTensors(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
  ref: LearnedRef,
): { dInputs: tf.Tensor[]; dParams: tf.Tensor[] } {
  const codec = learnedCodec(ref.spec);
  return tf.tidy(() => {
    const p = toTensors(part, params);
    const cp = codec.toTensors(ref.params);
    const np = p.length;
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const outs = part.forward(args.slice(0, np), args.slice(np));
      const terms = outs.map((o, k) => {
        const d = dOutputs[k];
        const value = k === 0 ? codec.forward(cp, o as tf.Tensor4D, 'ste').xhat : o;
        return d ? tf.sum(tf.mul(value, d)) : tf.mul(tf.sum(value), 0);
      });
      return tf.addN(terms) as tf.Scalar;
    };
    const g = tf.grads(f)([...p, ...inputs]);
    return { dInputs: g.slice(np), dParams: g.slice(0, np) };
  });
}

/**
 * VJP of a part whose first output goes through the frozen codec `ref` (its global params):
 * the gradients of the part's inputs and parameters for the task gradient `dOutputs`, read
 * back synchronously ({@link partBackwardThroughFrozenCodecAsync}: with `await data()`).
 */
export function partBackwardThroughFrozenCodec(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
  ref: LearnedRef,
): { dInputs: tf.Tensor[]; dParams: Float32Array } {
  const r = frozenBackwardTensors(part, params, inputs, dOutputs, ref);
  return { dInputs: r.dInputs, dParams: readThenFreeSync(() => flattenTensors(r.dParams), r.dParams, r.dInputs) };
}

/** {@link partBackwardThroughFrozenCodec} with the gradients read by `await data()`. */
export async function partBackwardThroughFrozenCodecAsync(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
  ref: LearnedRef,
): Promise<{ dInputs: tf.Tensor[]; dParams: Float32Array }> {
  const r = frozenBackwardTensors(part, params, inputs, dOutputs, ref);
  return { dInputs: r.dInputs, dParams: await readThenFree(() => flattenTensorsAsync(r.dParams), r.dParams, r.dInputs) };
}
