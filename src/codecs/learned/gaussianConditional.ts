/**
 * Gaussian conditional entropy model (Ballé et al. 2018 scale hyperprior; Minnen et al. 2018 add
 * means; CompressAI `GaussianConditional`): each latent is N(μ, σ) convolved with U(−½, ½), so a
 * quantised value v has likelihood Φ((½ − |v − μ|)/σ) − Φ((−½ − |v − μ|)/σ) (the |·| keeps both
 * terms in the lower tail, where Φ is accurate).
 *
 * Coding uses a fixed table of scales (default 64, log-spaced 0.11..256, CompressAI's
 * `get_scale_table`): a latent is coded with the table scale nearest its σ. Tables hold no
 * learned parameters, so they are built once per process.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.js';
import { buildCdf, type CdfTable } from '../entropy/cdf.js';
import { LIKELIHOOD_BOUND } from './entropyBottleneck.js';
import { lowerBound, normalCdf, normalCdfTf, normalQuantile, steRound } from './ops.js';
import type { QuantMode } from './types.js';

/** Smallest σ (CompressAI `scale_bound`); smaller predictions are raised to it. */
export const SCALE_BOUND = 0.11;
/** Scale table defaults (CompressAI `SCALES_MIN`, `SCALES_MAX`, `SCALES_LEVELS`). */
export const SCALES_MIN = 0.11;
export const SCALES_MAX = 256;
export const SCALES_LEVELS = 64;
/** Mass outside a table's range, split between both tails (CompressAI `tail_mass`). */
export const GC_TAIL_MASS = 1e-9;

/** The scale table and one CDF table per scale. */
export interface ScaleTables {
  scales: Float64Array;
  tables: CdfTable[];
}

const cache = new Map<number, ScaleTables>();

/** exp(linspace(ln 0.11, ln 256, levels)) and its CDF tables (cached per `levels`). */
export function scaleTables(levels = SCALES_LEVELS): ScaleTables {
  const hit = cache.get(levels);
  if (hit !== undefined) return hit;
  const scales = new Float64Array(levels);
  const lo = Math.log(SCALES_MIN);
  const hi = Math.log(SCALES_MAX);
  for (let i = 0; i < levels; i++) scales[i] = Math.exp(levels === 1 ? hi : lo + ((hi - lo) * i) / (levels - 1));
  // A table covers ±⌈σ·m⌉ with m = −Φ⁻¹(tail/2): beyond it the escape path (CompressAI `update`).
  const multiplier = -normalQuantile(GC_TAIL_MASS / 2);
  const tables = Array.from(scales, (s) => {
    const center = Math.ceil(s * multiplier);
    const pmf = new Float64Array(2 * center + 1);
    for (let i = 0; i < pmf.length; i++) {
      const v = Math.abs(i - center);
      pmf[i] = normalCdf((0.5 - v) / s) - normalCdf((-0.5 - v) / s);
    }
    return buildCdf(pmf, -center);
  });
  const value = { scales, tables };
  cache.set(levels, value);
  return value;
}

/** Table index of each σ (see `scaleIndex`). */
export function scaleIndexes(sigmas: ArrayLike<number>, scales: Float64Array, out = new Int32Array(sigmas.length)): Int32Array {
  const last = scales.length - 1;
  for (let i = 0; i < sigmas.length; i++) out[i] = scaleIndex(sigmas[i] as number, scales, last);
  return out;
}

/**
 * Table index of one σ: the table scale nearest in log σ (σ below the table → 0, above → last).
 * CompressAI takes the first table scale ≥ σ; with 64 levels (ratio 1.13 between neighbours)
 * that cost 1.05% over the model's estimate on a trained hyperprior here, nearest 0.1%.
 */
export function scaleIndex(sigma: number, scales: Float64Array, last = scales.length - 1): number {
  if (!(sigma > (scales[0] as number))) return 0; // NaN too: a corrupt prediction still codes
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((scales[mid] as number) >= sigma) hi = mid;
    else lo = mid + 1;
  }
  // scales[lo − 1] < σ ≤ scales[lo]: step down when σ is below the geometric midpoint.
  if (lo > 0 && sigma * sigma < (scales[lo - 1] as number) * (scales[lo] as number)) return lo - 1;
  return lo;
}

/** Noisy (noise), straight-through rounded (ste) or rounded (round) v, around `means` if given. */
export function gaussianQuantize(v: tf.Tensor4D, mode: QuantMode, means: tf.Tensor | null, rng?: Rng): tf.Tensor4D {
  if (mode === 'noise') {
    if (rng === undefined) throw new RangeError(`gaussian.forward.rng: required in 'noise' mode`);
    return tf.add(v, tf.randomUniform(v.shape, -0.5, 0.5, 'float32', rng.nextUint32())) as tf.Tensor4D;
  }
  const centred = means === null ? v : tf.sub(v, means);
  const q = mode === 'ste' ? steRound(centred) : tf.round(centred);
  return (means === null ? q : tf.add(q, means)) as tf.Tensor4D;
}

/** Likelihood of quantised `v` under N(means, scales) ⊛ U(−½, ½), bounded below by 1e-9. */
export function gaussianLikelihood(v: tf.Tensor, scales: tf.Tensor, means: tf.Tensor | null): tf.Tensor {
  const s = lowerBound(scales, SCALE_BOUND);
  const d = tf.abs(means === null ? v : tf.sub(v, means));
  const upper = normalCdfTf(tf.div(tf.sub(0.5, d), s));
  const lower = normalCdfTf(tf.div(tf.sub(-0.5, d), s));
  return lowerBound(tf.sub(upper, lower), LIKELIHOOD_BOUND);
}
