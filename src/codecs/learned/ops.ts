/**
 * Small differentiable ops the learned codecs need and tfjs lacks (custom gradients), and
 * their plain-JS twins where the coder side must reproduce a tensor computation.
 */
import * as tf from '@tensorflow/tfjs';

const boundCache = new Map<number, (x: tf.Tensor) => tf.Tensor>();

/**
 * max(x, bound) whose gradient passes where x ≥ bound or where it pushes x up (dy < 0), so
 * a parameter stuck under the bound can still recover (CompressAI `LowerBound`, after
 * tensorflow/compression `lower_bound`).
 */
export function lowerBound(x: tf.Tensor, bound: number): tf.Tensor {
  let f = boundCache.get(bound);
  if (f === undefined) {
    f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const a = args[0] as tf.Tensor;
      (args[1] as tf.GradSaveFunc)([a]);
      return {
        value: tf.maximum(a, tf.scalar(bound)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const pass = tf.logicalOr(tf.greaterEqual(saved[0] as tf.Tensor, bound), tf.less(dy, 0));
          return tf.mul(dy, tf.cast(pass, 'float32'));
        },
      };
    }) as (x: tf.Tensor) => tf.Tensor;
    boundCache.set(bound, f);
  }
  return f(x);
}

/** round(x) (half to even, as tf.round) with the identity as gradient (straight-through estimator). */
export const steRound = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.round(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => dy,
})) as (x: tf.Tensor) => tf.Tensor;

/** x with a zero gradient (tfjs has no stop_gradient op). */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/** JS twin of tf.round: nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return (r - x === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0; // + 0 turns −0 into 0, as tf.round
}

// Numerical Recipes `erfcc` (Press et al., 2nd ed., §6.2): erfc(z) for z ≥ 0 with fractional
// error < 1.2e-7 everywhere, computed directly (no 1 − erf cancellation in the tail).
const ERFC_COEF = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/** erfc(z) for z ≥ 0 (Numerical Recipes erfcc). */
export function erfcPos(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  let poly = ERFC_COEF[9] as number;
  for (let k = 8; k >= 0; k--) poly = (ERFC_COEF[k] as number) + t * poly;
  return t * Math.exp(-z * z + poly);
}

/** Standard normal CDF Φ(x), accurate in relative terms in both tails. */
export function normalCdf(x: number): number {
  const e = 0.5 * erfcPos(Math.abs(x) * Math.SQRT1_2);
  return x < 0 ? e : 1 - e;
}

/** Φ⁻¹(p) for p in (0, 1), by bisection on `normalCdf` (used once per table build). */
export function normalQuantile(p: number): number {
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = 0.5 * (lo + hi);
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Φ(x) elementwise, the same formula as `normalCdf` (differentiable). */
export function normalCdfTf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.mul(tf.abs(x), Math.SQRT1_2);
    const t = tf.div(1, tf.add(tf.mul(z, 0.5), 1));
    let poly: tf.Tensor = tf.mul(t, ERFC_COEF[9] as number);
    for (let k = 8; k >= 1; k--) poly = tf.mul(t, tf.add(poly, ERFC_COEF[k] as number));
    poly = tf.add(poly, ERFC_COEF[0] as number);
    const e = tf.mul(tf.mul(t, tf.exp(tf.sub(poly, tf.square(z)))), 0.5);
    // e + step(x)·(1 − 2e): no tf.where, whose boolean condition has no gradient in tfjs.
    return tf.add(e, tf.mul(tf.step(x), tf.sub(1, tf.mul(e, 2))));
  });
}
