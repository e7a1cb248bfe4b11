/**
 * `hyperprior`: the scale hyperprior of Ballé et al. 2018 (CompressAI `ScaleHyperprior`). The
 * GDN analysis/synthesis of `factorized`; side information z = h_a(|y|) through an entropy
 * bottleneck; y through a zero-mean Gaussian conditional with scales σ = h_s(ẑ).
 *
 * h_a: 3×3 conv, ReLU, 5×5 stride-2 conv, ReLU, 5×5 stride-2 conv (z is 4× smaller than y).
 * h_s: 5×5 stride-2 transposed conv, ReLU, again, ReLU, 3×3 conv, ReLU.
 */
import * as tf from '@tensorflow/tfjs';
import { ransDecode } from '../entropy/rans.js';
import { bitsNumber, bitsOf, latentShape, type Analysis, type CodecCore, type Shape4 } from './core.js';
import { bottleneckDequantize, bottleneckSymbols, channelIndex, entropyBottleneck, type EntropyBottleneck } from './entropyBottleneck.js';
import { gdnAnalysis, gdnSynthesis } from './factorized.js';
import { gaussianLikelihood, gaussianQuantize, scaleIndexes, scaleTables } from './gaussianConditional.js';
import { conv, convTranspose, relu, sequential, type Layer } from './layers.js';
import { roundHalfEven } from './ops.js';
import { ParamBuilder } from './params.js';
import type { CodedSymbols, LearnedParamSpec, ResolvedLearnedSpec } from './types.js';

/**
 * The z half shared by hyperprior and cheng2020-attn: quantise z with the bottleneck, return
 * what its stream codes (null unless `code`), ẑ and its bits (NaN unless `estimate`).
 */
export function codeHyperLatent(
  eb: EntropyBottleneck,
  p: tf.Tensor[],
  flat: Float32Array,
  params: readonly LearnedParamSpec[],
  z: tf.Tensor4D,
  opts: { code: boolean; estimate: boolean },
): { coded: CodedSymbols | null; zhat: tf.Tensor4D; bits: number; symbols: number } {
  const { tables, medians } = eb.tables(flat, params);
  const { symbols, index } = bottleneckSymbols(z.dataSync() as Float32Array, medians);
  const zhat = tf.tensor4d(bottleneckDequantize(symbols, medians), z.shape);
  return {
    coded: opts.code ? { symbols, index, tables } : null,
    zhat,
    bits: opts.estimate ? bitsNumber(eb.likelihood(p, zhat)) : NaN,
    symbols: symbols.length,
  };
}

/** ẑ decoded from its stream. */
export function decodeHyperLatent(
  eb: EntropyBottleneck,
  flat: Float32Array,
  params: readonly LearnedParamSpec[],
  stream: Uint8Array,
  shape: Shape4,
): tf.Tensor4D {
  const { tables, medians } = eb.tables(flat, params);
  const count = shape.reduce((n, d) => n * d, 1);
  const symbols = ransDecode(stream, count, channelIndex(count, eb.channels), tables);
  return tf.tensor4d(bottleneckDequantize(symbols, medians), shape);
}

/** The scale-hyperprior codec core. */
export function hyperpriorCore(spec: ResolvedLearnedSpec): CodecCore {
  const n = spec.latent;
  const b = new ParamBuilder();
  const gA = gdnAnalysis(b, 'g_a', spec.channels, n, spec.stages);
  const gS = gdnSynthesis(b, 'g_s', n, spec.channels, spec.stages);
  const hA: Layer = sequential(conv(b, 'h_a.0', n, n, 3), relu, conv(b, 'h_a.1', n, n, 5, 2), relu, conv(b, 'h_a.2', n, n, 5, 2));
  const hS: Layer = sequential(
    convTranspose(b, 'h_s.0', n, n, 5),
    relu,
    convTranspose(b, 'h_s.1', n, n, 5),
    relu,
    conv(b, 'h_s.2', n, n, 3),
    relu,
  );
  const eb = entropyBottleneck(b, 'eb_z', n, spec.initScale);
  const params = b.specs;
  const { scales: table, tables } = scaleTables();

  return {
    spec,
    params,
    streamCount: 2,
    forward(p, x, mode, rng) {
      const y = gA(p, x);
      const z = hA(p, tf.abs(y));
      const zhat = eb.quantize(p, z, mode, rng);
      const zLik = eb.likelihood(p, zhat);
      const sigma = hS(p, zhat);
      const yhat = gaussianQuantize(y, mode, null, rng);
      const yLik = gaussianLikelihood(yhat, sigma, null) as tf.Tensor4D;
      return { xhat: gS(p, yhat), likelihoods: [yLik, zLik], bits: bitsOf([yLik, zLik]) };
    },
    auxLoss: (p) => eb.auxLoss(p),
    analyse(p, flat, x, opts): Analysis {
      const y = gA(p, x);
      const zPart = codeHyperLatent(eb, p, flat, params, hA(p, tf.abs(y)), opts);
      const sigma = hS(p, zPart.zhat);
      const index = scaleIndexes(sigma.dataSync() as Float32Array, table);
      const yv = y.dataSync() as Float32Array;
      const symbols = new Int32Array(yv.length);
      for (let i = 0; i < yv.length; i++) symbols[i] = roundHalfEven(yv[i] as number);
      const yhat = tf.tensor4d(Float32Array.from(symbols), y.shape);
      return {
        coded: opts.code ? [zPart.coded as CodedSymbols, { symbols, index, tables }] : [],
        yhat,
        parts: [
          { name: 'y', bits: opts.estimate ? bitsNumber(gaussianLikelihood(yhat, sigma, null)) : NaN, symbols: symbols.length },
          { name: 'z', bits: zPart.bits, symbols: zPart.symbols },
        ],
      };
    },
    reconstruct(p, flat, streams, shape) {
      const zhat = decodeHyperLatent(eb, flat, params, streams[0] as Uint8Array, latentShape(shape, 2, n));
      const index = scaleIndexes(hS(p, zhat).dataSync() as Float32Array, table);
      const symbols = ransDecode(streams[1] as Uint8Array, index.length, index, tables);
      return tf.tensor4d(Float32Array.from(symbols), shape);
    },
    synthesize: (p, yhat) => gS(p, yhat),
  };
}
