/**
 * `cheng2020-attn`: Cheng et al. 2020 ("Learned image compression with discretized Gaussian
 * mixture likelihoods and attention modules"), as CompressAI's `Cheng2020Attention` with a
 * single Gaussian: residual analysis/synthesis with simplified attention blocks, a hyperprior
 * (z through an entropy bottleneck) and a context model; an entropy-parameters net maps
 * [h_s(ẑ), context] to σ and μ of a Gaussian conditional.
 *
 * Context models:
 * - `serial`: masked 5×5 conv, type A (Minnen et al. 2018): raster-scan decoding, one latent
 *   position after another (plain JS, contextModel.ts);
 * - `checkerboard` (He et al. 2021): anchors, positions with (h + w) even, are coded with no
 *   context; the others with a 5×5 checkerboard-masked conv over the anchors. Two parallel
 *   passes (tfjs) instead of H·W serial steps.
 *
 * `stages` generalises CompressAI's 4 stride-2 stages: stages − 1 × (residual block with stride,
 * residual block), an attention block after the middle one (stages ≥ 3), then a 3×3 stride-2
 * conv and an attention block; the synthesis mirrors it with sub-pixel upsampling.
 */
import * as tf from '@tensorflow/tfjs';
import { bitsNumber, bitsOf, latentShape, type Analysis, type CodecCore, type Shape4 } from './core.js';
import { serialContextPass, type ContextWeights } from './contextModel.js';
import { entropyBottleneck } from './entropyBottleneck.js';
import { gaussianLikelihood, gaussianQuantize, scaleIndex, scaleTables } from './gaussianConditional.js';
import { codeHyperLatent, decodeHyperLatent } from './hyperprior.js';
import {
  attentionBlock,
  conv,
  conv1x1,
  leakyRelu,
  MASK_A_5x5,
  MASK_CHECKERBOARD_5x5,
  maskedConv5x5,
  residualBlock,
  residualBlockUpsample,
  residualBlockWithStride,
  sequential,
  subpelConv,
  type Layer,
} from './layers.js';
import { roundHalfEven } from './ops.js';
import { ParamBuilder, paramViews } from './params.js';
import { RansReader } from './ransReader.js';
import type { CodedSymbols, QuantMode, ResolvedLearnedSpec } from './types.js';

/** [1, h, w, 1] with 1 at checkerboard anchors ((h + w) even). */
function anchorMask(h: number, w: number): tf.Tensor4D {
  const m = new Float32Array(h * w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) m[i * w + j] = (i + j) % 2 === 0 ? 1 : 0;
  return tf.tensor4d(m, [1, h, w, 1]);
}

/** True at flat NHWC index i of a [·, h, w, n] tensor when its position is an anchor. */
function isAnchor(i: number, h: number, w: number, n: number): boolean {
  const pos = Math.floor(i / n);
  const col = pos % w;
  const row = Math.floor(pos / w) % h;
  return (row + col) % 2 === 0;
}

/** The cheng2020-attn codec core. */
export function cheng2020Core(spec: ResolvedLearnedSpec): CodecCore {
  const n = spec.latent;
  const s = spec.stages;
  const mid = s >= 3 ? Math.floor((s - 1) / 2) : -1;
  const serial = spec.context === 'serial';
  const b = new ParamBuilder();

  const ga: Layer[] = [];
  for (let i = 0; i < s - 1; i++) {
    ga.push(residualBlockWithStride(b, `g_a.${i}.down`, i === 0 ? spec.channels : n, n));
    if (i === mid) ga.push(attentionBlock(b, `g_a.${i}.attn`, n));
    ga.push(residualBlock(b, `g_a.${i}.res`, n, n));
  }
  ga.push(conv(b, `g_a.${s - 1}.down`, s === 1 ? spec.channels : n, n, 3, 2), attentionBlock(b, `g_a.${s - 1}.attn`, n));
  const gA = sequential(...ga);

  const gs: Layer[] = [attentionBlock(b, 'g_s.attn', n)];
  for (let j = 0; j < s - 1; j++) {
    gs.push(residualBlock(b, `g_s.${j}.res`, n, n), residualBlockUpsample(b, `g_s.${j}.up`, n, n));
    if (j === s - 2 - mid && mid >= 0) gs.push(attentionBlock(b, `g_s.${j}.attn`, n));
  }
  gs.push(residualBlock(b, `g_s.${s - 1}.res`, n, n), subpelConv(b, `g_s.${s - 1}.up`, n, spec.channels));
  const gS = sequential(...gs);

  const n32 = Math.floor((3 * n) / 2);
  const hA = sequential(
    conv(b, 'h_a.0', n, n, 3), leakyRelu,
    conv(b, 'h_a.1', n, n, 3), leakyRelu,
    conv(b, 'h_a.2', n, n, 3, 2), leakyRelu,
    conv(b, 'h_a.3', n, n, 3), leakyRelu,
    conv(b, 'h_a.4', n, n, 3, 2),
  );
  const hS = sequential(
    conv(b, 'h_s.0', n, n, 3), leakyRelu,
    subpelConv(b, 'h_s.1', n, n), leakyRelu,
    conv(b, 'h_s.2', n, n32, 3), leakyRelu,
    subpelConv(b, 'h_s.3', n32, n32), leakyRelu,
    conv(b, 'h_s.4', n32, 2 * n, 3),
  );

  const ctxIndex = b.specs.length;
  const context = maskedConv5x5(b, 'context', n, 2 * n, serial ? MASK_A_5x5 : MASK_CHECKERBOARD_5x5);
  const widths = [4 * n, Math.floor((10 * n) / 3), Math.floor((8 * n) / 3), 2 * n];
  const epIndex = b.specs.length;
  const epLayers = [0, 1, 2].map((k) => conv1x1(b, `entropy_params.${k}`, widths[k] as number, widths[k + 1] as number));
  const entropyParams = (p: tf.Tensor[], hyper: tf.Tensor4D, ctx: tf.Tensor4D): { sigma: tf.Tensor4D; mean: tf.Tensor4D } => {
    let h = tf.concat([hyper, ctx], 3);
    epLayers.forEach((l, k) => {
      h = l(p, h);
      if (k < 2) h = tf.leakyRelu(h, 0.01);
    });
    const [sigma, mean] = tf.split(h, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return { sigma, mean };
  };
  const eb = entropyBottleneck(b, 'eb_z', n, spec.initScale);
  const params = b.specs;
  const { scales: table, tables } = scaleTables();

  const contextWeights = (flat: Float32Array): ContextWeights => {
    const v = paramViews(params, flat, spec.name);
    return {
      n,
      ctxW: v[ctxIndex] as Float32Array,
      ctxB: v[ctxIndex + 1] as Float32Array,
      mask: serial ? MASK_A_5x5 : MASK_CHECKERBOARD_5x5,
      ep: [0, 1, 2].map((k) => ({
        w: v[epIndex + 2 * k] as Float32Array,
        b: v[epIndex + 2 * k + 1] as Float32Array,
        cin: widths[k] as number,
        cout: widths[k + 1] as number,
      })),
    };
  };

  /** σ, μ and ŷ of the training/eval forward (`noisy` is y + U(−½, ½) in noise mode). */
  function yForward(
    p: tf.Tensor[],
    y: tf.Tensor4D,
    hyper: tf.Tensor4D,
    mode: QuantMode,
    noisy: tf.Tensor4D | null,
  ): { sigma: tf.Tensor4D; mean: tf.Tensor4D; yhat: tf.Tensor4D } {
    const [, h, w] = y.shape;
    if (serial) {
      const ctxIn = noisy ?? (mode === 'ste' ? gaussianQuantize(y, 'ste', null) : tf.round(y) as tf.Tensor4D);
      const { sigma, mean } = entropyParams(p, hyper, context(p, ctxIn));
      return { sigma, mean, yhat: noisy ?? gaussianQuantize(y, mode, mean) };
    }
    const a = anchorMask(h, w);
    const na = tf.sub(1, a);
    if (noisy !== null) {
      const ctx = tf.mul(context(p, tf.mul(noisy, a) as tf.Tensor4D), na) as tf.Tensor4D;
      return { ...entropyParams(p, hyper, ctx), yhat: noisy };
    }
    const first = entropyParams(p, hyper, tf.zerosLike(hyper));
    const yA = tf.mul(gaussianQuantize(y, mode, first.mean), a) as tf.Tensor4D;
    const second = entropyParams(p, hyper, tf.mul(context(p, yA), na) as tf.Tensor4D);
    const pick = (u: tf.Tensor, v: tf.Tensor): tf.Tensor4D => tf.add(tf.mul(u, a), tf.mul(v, na)) as tf.Tensor4D;
    return {
      sigma: pick(first.sigma, second.sigma),
      mean: pick(first.mean, second.mean),
      yhat: tf.add(yA, tf.mul(gaussianQuantize(y, mode, second.mean), na)) as tf.Tensor4D,
    };
  }

  /** Checkerboard coding: anchors from σ, μ without context, then the rest. */
  function checkerboardPass(
    p: tf.Tensor[],
    hyper: tf.Tensor4D,
    shape: Shape4,
    step: (i: number, table: number, mean: number) => number,
  ): { yhat: Float32Array; sigmas: Float32Array; means: Float32Array } {
    const [, h, w] = shape;
    const count = shape.reduce((x, d) => x * d, 1);
    const yhat = new Float32Array(count);
    const sigmas = new Float32Array(count);
    const means = new Float32Array(count);
    const run = (est: { sigma: tf.Tensor4D; mean: tf.Tensor4D }, anchors: boolean): void => {
      const sg = est.sigma.dataSync() as Float32Array;
      const mu = est.mean.dataSync() as Float32Array;
      for (let i = 0; i < count; i++) {
        if (isAnchor(i, h, w, n) !== anchors) continue;
        const mean = mu[i] as number;
        sigmas[i] = sg[i] as number;
        means[i] = mean;
        yhat[i] = step(i, scaleIndex(sg[i] as number, table), mean) + mean;
      }
    };
    run(entropyParams(p, hyper, tf.zerosLike(hyper)), true);
    const ctx = tf.mul(context(p, tf.tensor4d(yhat, shape)), tf.sub(1, anchorMask(h, w))) as tf.Tensor4D;
    run(entropyParams(p, hyper, ctx), false);
    return { yhat, sigmas, means };
  }

  /** Runs the context model (serial or checkerboard) with `step` choosing each symbol. */
  function contextPass(
    p: tf.Tensor[],
    flat: Float32Array,
    hyper: tf.Tensor4D,
    shape: Shape4,
    step: (i: number, table: number, mean: number) => number,
  ): { yhat: Float32Array; sigmas: Float32Array; means: Float32Array } {
    if (!serial) return checkerboardPass(p, hyper, shape, step);
    const count = shape.reduce((x, d) => x * d, 1);
    const record = { sigmas: new Float32Array(count), means: new Float32Array(count) };
    const dims = [shape[0], shape[1], shape[2]] as [number, number, number];
    const yhat = serialContextPass(dims, hyper.dataSync() as Float32Array, contextWeights(flat), table, step, record);
    return { yhat, ...record };
  }

  return {
    spec,
    params,
    streamCount: 2,
    forward(p, x, mode, rng) {
      const y = gA(p, x);
      const zhat = eb.quantize(p, hA(p, y), mode, rng);
      const zLik = eb.likelihood(p, zhat);
      const hyper = hS(p, zhat);
      const noisy = mode === 'noise' ? gaussianQuantize(y, 'noise', null, rng) : null;
      const { sigma, mean, yhat } = yForward(p, y, hyper, mode, noisy);
      const yLik = gaussianLikelihood(yhat, sigma, mean) as tf.Tensor4D;
      return { xhat: gS(p, yhat), likelihoods: [yLik, zLik], bits: bitsOf([yLik, zLik]) };
    },
    auxLoss: (p) => eb.auxLoss(p),
    analyse(p, flat, x, opts): Analysis {
      const y = gA(p, x);
      const zPart = codeHyperLatent(eb, p, flat, params, hA(p, y), opts);
      const hyper = hS(p, zPart.zhat);
      const yv = y.dataSync() as Float32Array;
      const symbols = new Int32Array(yv.length);
      const index = new Int32Array(yv.length);
      const order = new Int32Array(yv.length);
      let k = 0;
      const pass = contextPass(p, flat, hyper, y.shape, (i, t, mean) => {
        const sym = roundHalfEven(Math.fround((yv[i] as number) - mean));
        symbols[i] = sym;
        index[i] = t;
        order[k++] = i;
        return sym;
      });
      const yhat = tf.tensor4d(pass.yhat, y.shape);
      let coded: CodedSymbols[] = [];
      if (opts.code) {
        // Coding order is the order the decoder will meet the symbols in (anchors first for checkerboard).
        const ordered = new Int32Array(order.length);
        const orderedIndex = new Int32Array(order.length);
        for (let j = 0; j < order.length; j++) {
          ordered[j] = symbols[order[j] as number] as number;
          orderedIndex[j] = index[order[j] as number] as number;
        }
        coded = [zPart.coded as CodedSymbols, { symbols: ordered, index: orderedIndex, tables }];
      }
      let yBits = NaN;
      if (opts.estimate) {
        const lik = gaussianLikelihood(yhat, tf.tensor4d(pass.sigmas, y.shape), tf.tensor4d(pass.means, y.shape));
        yBits = bitsNumber(lik);
      }
      return {
        coded,
        yhat,
        parts: [
          { name: 'y', bits: yBits, symbols: symbols.length },
          { name: 'z', bits: zPart.bits, symbols: zPart.symbols },
        ],
      };
    },
    reconstruct(p, flat, streams, shape) {
      const zhat = decodeHyperLatent(eb, flat, params, streams[0] as Uint8Array, latentShape(shape, 2, n));
      const reader = new RansReader(streams[1] as Uint8Array, tables);
      const pass = contextPass(p, flat, hS(p, zhat), shape, (_i, t) => reader.next(t));
      reader.finish();
      return tf.tensor4d(pass.yhat, shape);
    },
    synthesize: (p, yhat) => gS(p, yhat),
  };
}
