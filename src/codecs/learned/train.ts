/**
 * One training evaluation of a learned codec on its own (no task model): the rate–distortion
 * loss MSE(x, x̂) + λ·bits/elements(x), plus the auxiliary quantile loss, and the gradient of
 * their sum with respect to the flat parameters. Pool workers training a gradient codec
 * (DESIGN.md §1: rate + λ_g·MSE) or the tests use it; feature codecs trained inside the task graph
 * call `forward` and `auxLoss` themselves.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.js';
import type { LearnedCodec, QuantMode } from './types.js';

/** Options of `learnedLossAndGrads`. */
export interface LearnedStepOptions {
  /** Weight of the rate term, per bit per input element. */
  lambda: number;
  /** Quantisation in training; default 'noise' (then `rng` is required). */
  mode?: QuantMode;
  rng?: Rng;
}

/** Loss terms (read back) and the gradient, in flat parameter order. */
export interface LearnedStepResult {
  /** mse + λ·bitsPerElement (the auxiliary loss not included). */
  loss: number;
  mse: number;
  /** −Σ log2 p of the batch's latents. */
  bits: number;
  bitsPerElement: number;
  aux: number;
  grads: Float32Array;
}

/**
 * Loss and gradient of (mse + λ·bits/elements + aux) at `flat` for batch `x` (caller keeps `x`).
 * @example const r = learnedLossAndGrads(codec, params, x, { lambda: 0.01, rng }); adam.step(params, r.grads);
 */
export function learnedLossAndGrads(
  codec: LearnedCodec,
  flat: Float32Array,
  x: tf.Tensor4D,
  opts: LearnedStepOptions,
): LearnedStepResult {
  if (!(opts.lambda >= 0)) throw new RangeError(`learnedLossAndGrads.lambda: must be ≥ 0, got ${opts.lambda}`);
  const mode = opts.mode ?? 'noise';
  const elements = x.size;
  let result: LearnedStepResult | undefined;
  // The result leaves the tidy through a variable, not as its return value: tidy walks what it
  // returns for tensors, element by element through a typed array (the gradient: ~10 ms each).
  tf.tidy(() => {
    const p = codec.toTensors(flat);
    let parts = [NaN, NaN, NaN];
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const r = codec.forward(args, x, mode, opts.rng);
      const mse = tf.mean(tf.squaredDifference(x, r.xhat)) as tf.Scalar;
      const aux = codec.auxLoss(args);
      // Read inside: valueAndGrads frees f's intermediates before returning.
      parts = [mse, r.bits, aux].map((t) => t.dataSync()[0] as number);
      return tf.addN([mse, tf.mul(r.bits, opts.lambda / elements), aux]) as tf.Scalar;
    };
    const { grads } = tf.valueAndGrads(f)(p);
    const [mse, bits, aux] = parts as [number, number, number];
    const flatGrads = new Float32Array(codec.paramCount);
    let offset = 0;
    for (const g of grads) {
      flatGrads.set(g.dataSync() as Float32Array, offset);
      offset += g.size;
    }
    result = { loss: mse + (opts.lambda * bits) / elements, mse, bits, bitsPerElement: bits / elements, aux, grads: flatGrads };
  });
  return result as LearnedStepResult;
}
