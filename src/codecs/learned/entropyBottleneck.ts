/**
 * Factorized entropy bottleneck (Ballé et al. 2018, "Variational image compression with a scale
 * hyperprior", appendix 6.1; CompressAI `EntropyBottleneck`): per channel, a learned monotone
 * cumulative c(v) = σ(logits(v)), logits a chain of 1→3→3→3→1 affine maps through softplus'ed
 * (hence positive) matrices and x + tanh(a)·tanh(x) nonlinearities, so likelihood of a quantised
 * value v is c(v + ½) − c(v − ½).
 *
 * Quantiles (per channel: lower tail, median, upper tail at tail mass 1e-9) are parameters
 * trained only by the auxiliary loss; inference quantises around the medians, and the CDF
 * tables cover [median − ⌈median − lower⌉, median + ⌈upper − median⌉], the rest escapes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.js';
import { buildCdf, type CdfTable } from '../entropy/cdf.js';
import { lowerBound, roundHalfEven, steRound, stopGradient } from './ops.js';
import { hashFloats, paramOffsets, type ParamBuilder } from './params.js';
import type { LearnedParamSpec, QuantMode } from './types.js';

/** Hidden widths of the density net (Ballé 2018 appendix 6.1: filters (3, 3, 3)). */
export const EB_FILTERS = [3, 3, 3] as const;
/** Initial quantiles ±10 (CompressAI `init_scale`). */
export const EB_INIT_SCALE = 10;
/** Probability mass left outside the table range (CompressAI `tail_mass`). */
export const EB_TAIL_MASS = 1e-9;
/** Floor of every likelihood (CompressAI `likelihood_bound`): at most ≈29.9 bits per symbol. */
export const LIKELIHOOD_BOUND = 1e-9;
/** Cap on each side of a table (values beyond take the escape path), so runaway quantiles cannot blow up memory. */
export const EB_MAX_HALF_RANGE = 4096;
/** Table sets kept per bottleneck: a worker serving several clients' codecs rebuilds none. */
const TABLE_CACHE_SIZE = 8;

const LAYERS = EB_FILTERS.length + 1;
const WIDTHS = [1, ...EB_FILTERS, 1];

/** Per-channel tables, medians and offsets built from the bottleneck's parameters. */
export interface BottleneckTables {
  tables: CdfTable[];
  /** float32 medians, one per channel. */
  medians: Float32Array;
}

/** An entropy bottleneck registered in a codec's parameters. */
export interface EntropyBottleneck {
  readonly channels: number;
  /** y + U(−½, ½) (noise), STE or real rounding around the medians (ste, round). */
  quantize(p: tf.Tensor[], y: tf.Tensor4D, mode: QuantMode, rng?: Rng): tf.Tensor4D;
  /** Likelihood of each (quantised) value of `v` [B,H,W,C], bounded below by 1e-9. */
  likelihood(p: tf.Tensor[], v: tf.Tensor4D): tf.Tensor4D;
  /** Σ_c Σ_k |logits_c(quantile_ck) − target_k|, gradient reaching the quantiles only. */
  auxLoss(p: tf.Tensor[]): tf.Scalar;
  /** CDF tables for the coder, rebuilt only when the bottleneck's parameters changed. */
  tables(flat: Float32Array, specs: readonly LearnedParamSpec[]): BottleneckTables;
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Registers an entropy bottleneck over `channels` channels under `name`. */
export function entropyBottleneck(b: ParamBuilder, name: string, channels: number, initScale = EB_INIT_SCALE): EntropyBottleneck {
  if (!(initScale > 0 && Number.isFinite(initScale))) throw new RangeError(`${name}.initScale: must be a finite number > 0, got ${initScale}`);
  const c = channels;
  const scale = initScale ** (1 / LAYERS);
  const first = b.specs.length;
  const idx: { matrix: number; bias: number; factor: number }[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const fin = WIDTHS[i] as number;
    const fout = WIDTHS[i + 1] as number;
    const matrix = b.add(`${name}.matrix${i}`, [c, fout, fin], {
      kind: 'const',
      value: Math.log(Math.expm1(1 / scale / fout)),
    });
    const bias = b.add(`${name}.bias${i}`, [c, fout, 1], { kind: 'uniform', bound: 0.5 });
    const factor = i < LAYERS - 1 ? b.add(`${name}.factor${i}`, [c, fout, 1], { kind: 'const', value: 0 }) : -1;
    idx.push({ matrix, bias, factor });
  }
  const quantiles = b.add(`${name}.quantiles`, [c, 3], {
    kind: 'values',
    values: [-initScale, 0, initScale],
  });
  const last = quantiles;
  const target = Math.log(2 / EB_TAIL_MASS - 1);

  /** logits of the cumulative for v [C, 1, n]; `stop` detaches the net (aux loss). */
  const logitsCumulative = (p: tf.Tensor[], v: tf.Tensor3D, stop: boolean): tf.Tensor3D => {
    const d = (t: tf.Tensor): tf.Tensor => (stop ? stopGradient(t) : t);
    let logits: tf.Tensor3D = v;
    for (let i = 0; i < LAYERS; i++) {
      const l = idx[i] as { matrix: number; bias: number; factor: number };
      logits = tf.matMul(tf.softplus(d(p[l.matrix] as tf.Tensor)) as tf.Tensor3D, logits);
      logits = tf.add(logits, d(p[l.bias] as tf.Tensor));
      if (l.factor >= 0) logits = tf.add(logits, tf.mul(tf.tanh(d(p[l.factor] as tf.Tensor)), tf.tanh(logits)));
    }
    return logits;
  };

  const medians = (p: tf.Tensor[]): tf.Tensor =>
    stopGradient(tf.reshape(tf.slice(p[quantiles] as tf.Tensor2D, [0, 1], [c, 1]), [c]));

  // Keyed by a hash of the bottleneck's parameters, most recent last (a small LRU).
  const cache = new Map<string, BottleneckTables>();

  return {
    channels: c,
    quantize(p, y, mode, rng) {
      if (mode === 'noise') {
        if (rng === undefined) throw new RangeError(`${name}.forward.rng: required in 'noise' mode`);
        return tf.add(y, tf.randomUniform(y.shape, -0.5, 0.5, 'float32', rng.nextUint32())) as tf.Tensor4D;
      }
      const m = medians(p);
      const q = mode === 'ste' ? steRound(tf.sub(y, m)) : tf.round(tf.sub(y, m));
      return tf.add(q, m) as tf.Tensor4D;
    },
    likelihood(p, v) {
      const [n, h, w] = v.shape;
      const rows = tf.reshape(tf.transpose(tf.reshape(v, [n * h * w, c])), [c, 1, n * h * w]) as tf.Tensor3D;
      const lower = logitsCumulative(p, tf.sub(rows, 0.5) as tf.Tensor3D, false);
      const upper = logitsCumulative(p, tf.add(rows, 0.5) as tf.Tensor3D, false);
      // Flip to the side where both sigmoids are small: no cancellation in the tails. A sum of
      // exactly 0 takes +1 as buildTables does (tf.sign(0) = 0 would zero the likelihood).
      const s = tf.sign(tf.add(lower, upper));
      const sign = tf.sub(tf.sub(1, tf.abs(s)), s); // −sign, with 0 → 1
      const lik = tf.abs(tf.sub(tf.sigmoid(tf.mul(sign, upper)), tf.sigmoid(tf.mul(sign, lower))));
      const bounded = lowerBound(lik, LIKELIHOOD_BOUND);
      return tf.reshape(tf.transpose(tf.reshape(bounded, [c, n * h * w])), [n, h, w, c]) as tf.Tensor4D;
    },
    auxLoss(p) {
      return tf.tidy(() => {
        const q = tf.reshape(p[quantiles] as tf.Tensor, [c, 1, 3]) as tf.Tensor3D;
        const logits = logitsCumulative(p, q, true);
        return tf.sum(tf.abs(tf.sub(logits, tf.tensor1d([-target, 0, target])))) as tf.Scalar;
      });
    },
    tables(flat, specs) {
      const offsets = paramOffsets(specs);
      const slice = flat.subarray(offsets[first], offsets[last + 1]);
      const key = hashFloats(slice);
      const hit = cache.get(key);
      if (hit !== undefined) {
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const view = (k: number): Float32Array => flat.subarray(offsets[k], offsets[k + 1]);
      const value = buildTables(
        idx.map((l) => ({
          matrix: view(l.matrix),
          bias: view(l.bias),
          factor: l.factor >= 0 ? view(l.factor) : null,
        })),
        view(quantiles),
        c,
      );
      cache.set(key, value);
      if (cache.size > TABLE_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return value;
    },
  };
}

interface LayerViews {
  matrix: Float32Array;
  bias: Float32Array;
  factor: Float32Array | null;
}

/** logits_c(v) in double precision, the same net as the tensor path. */
function logitsJs(layers: LayerViews[], ch: number, v: number): number {
  let h = [v];
  for (let i = 0; i < LAYERS; i++) {
    const fin = WIDTHS[i] as number;
    const fout = WIDTHS[i + 1] as number;
    const l = layers[i] as LayerViews;
    const next = new Array<number>(fout);
    for (let o = 0; o < fout; o++) {
      let acc = l.bias[ch * fout + o] as number;
      for (let j = 0; j < fin; j++) acc += softplus(l.matrix[(ch * fout + o) * fin + j] as number) * (h[j] as number);
      if (l.factor !== null) acc += Math.tanh(l.factor[ch * fout + o] as number) * Math.tanh(acc);
      next[o] = acc;
    }
    h = next;
  }
  return h[0] as number;
}

/** CompressAI `EntropyBottleneck.update`: pmf over each channel's quantile range, tail to the escape. */
function buildTables(layers: LayerViews[], quantiles: Float32Array, c: number): BottleneckTables {
  const medians = new Float32Array(c);
  const tables: CdfTable[] = [];
  for (let ch = 0; ch < c; ch++) {
    const lo = quantiles[3 * ch] as number;
    const med = quantiles[3 * ch + 1] as number;
    const hi = quantiles[3 * ch + 2] as number;
    medians[ch] = med;
    const clamp = (v: number): number => (Number.isFinite(v) ? Math.min(EB_MAX_HALF_RANGE, Math.max(0, Math.ceil(v))) : 0);
    const minima = clamp(med - lo);
    const maxima = clamp(hi - med);
    const start = Math.fround(med - minima);
    const pmf = new Float64Array(minima + maxima + 1);
    for (let i = 0; i < pmf.length; i++) {
      const lower = logitsJs(layers, ch, start + i - 0.5);
      const upper = logitsJs(layers, ch, start + i + 0.5);
      const s = lower + upper > 0 ? -1 : 1;
      const pi = Math.abs(sigmoid(s * upper) - sigmoid(s * lower));
      pmf[i] = Number.isFinite(pi) ? pi : 0;
    }
    tables.push(buildCdf(pmf, -minima));
  }
  return { tables, medians };
}

/** Symbols round(y − median_c) of NHWC `y` with C = medians.length, and each one's table (its channel). */
export function bottleneckSymbols(y: Float32Array, medians: Float32Array): { symbols: Int32Array; index: Int32Array } {
  const c = medians.length;
  const symbols = new Int32Array(y.length);
  const index = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const ch = i % c;
    symbols[i] = roundHalfEven(Math.fround((y[i] as number) - (medians[ch] as number)));
    index[i] = ch;
  }
  return { symbols, index };
}

/** Channel of each of `count` NHWC values with `c` channels. */
export function channelIndex(count: number, c: number): Int32Array {
  const index = new Int32Array(count);
  for (let i = 0; i < count; i++) index[i] = i % c;
  return index;
}

/** ŷ = symbol + median_c, in float32 as the tensor path computes it. */
export function bottleneckDequantize(symbols: Int32Array, medians: Float32Array): Float32Array {
  const c = medians.length;
  const out = new Float32Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) out[i] = (symbols[i] as number) + (medians[i % c] as number);
  return out;
}
