/**
 * `factorized`: SplitFedZip's "AE" (their `COMP_NW_FE`, CompressAI `FactorizedPrior` layout):
 * analysis = `stages` × 5×5 stride-2 conv with GDN between them (none after the last), synthesis
 * mirrored with 5×5 stride-2 transposed convs and IGDN, and an entropy bottleneck on y.
 */
import * as tf from '@tensorflow/tfjs';
import { ransDecode } from '../entropy/rans.js';
import { bitsNumber, bitsOf, type Analysis, type CodecCore } from './core.js';
import { bottleneckDequantize, bottleneckSymbols, channelIndex, entropyBottleneck } from './entropyBottleneck.js';
import { conv, convTranspose, gdn, sequential, type Layer } from './layers.js';
import { ParamBuilder } from './params.js';
import type { ResolvedLearnedSpec } from './types.js';

/** `stages` × (5×5 stride-2 conv [+ GDN]) from `cin` to `cout` channels, the last without GDN. */
export function gdnAnalysis(b: ParamBuilder, name: string, cin: number, cout: number, stages: number): Layer {
  const layers: Layer[] = [];
  for (let i = 0; i < stages; i++) {
    layers.push(conv(b, `${name}.${i}`, i === 0 ? cin : cout, cout, 5, 2));
    if (i < stages - 1) layers.push(gdn(b, `${name}.${i}.gdn`, cout));
  }
  return sequential(...layers);
}

/** Mirror of `gdnAnalysis`: 5×5 stride-2 transposed convs with IGDN between them. */
export function gdnSynthesis(b: ParamBuilder, name: string, cin: number, cout: number, stages: number): Layer {
  const layers: Layer[] = [];
  for (let i = 0; i < stages; i++) {
    layers.push(convTranspose(b, `${name}.${i}`, cin, i === stages - 1 ? cout : cin, 5));
    if (i < stages - 1) layers.push(gdn(b, `${name}.${i}.igdn`, cin, true));
  }
  return sequential(...layers);
}

/** The factorized-prior codec core. */
export function factorizedCore(spec: ResolvedLearnedSpec): CodecCore {
  const b = new ParamBuilder();
  const gA = gdnAnalysis(b, 'g_a', spec.channels, spec.latent, spec.stages);
  const gS = gdnSynthesis(b, 'g_s', spec.latent, spec.channels, spec.stages);
  const eb = entropyBottleneck(b, 'eb_y', spec.latent, spec.initScale);
  const params = b.specs;

  return {
    spec,
    params,
    streamCount: 1,
    forward(p, x, mode, rng) {
      const y = gA(p, x);
      const yhat = eb.quantize(p, y, mode, rng);
      const lik = eb.likelihood(p, yhat);
      return { xhat: gS(p, yhat), likelihoods: [lik], bits: bitsOf([lik]) };
    },
    auxLoss: (p) => eb.auxLoss(p),
    analyse(p, flat, x, opts): Analysis {
      const y = gA(p, x);
      const { tables, medians } = eb.tables(flat, params);
      const { symbols, index } = bottleneckSymbols(y.dataSync() as Float32Array, medians);
      const yhat = tf.tensor4d(bottleneckDequantize(symbols, medians), y.shape);
      return {
        coded: opts.code ? [{ symbols, index, tables }] : [],
        yhat,
        parts: [{ name: 'y', bits: opts.estimate ? bitsNumber(eb.likelihood(p, yhat)) : NaN, symbols: symbols.length }],
      };
    },
    reconstruct(_p, flat, streams, shape) {
      const { tables, medians } = eb.tables(flat, params);
      const count = shape.reduce((n, d) => n * d, 1);
      const symbols = ransDecode(streams[0] as Uint8Array, count, channelIndex(count, spec.latent), tables);
      return tf.tensor4d(bottleneckDequantize(symbols, medians), shape);
    },
    synthesize: (p, yhat) => gS(p, yhat),
  };
}
