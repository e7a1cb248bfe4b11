import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { createLearnedCodec } from './createLearnedCodec.js';
import type { LearnedCodecSpec } from './types.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

function field(shape: number[], rng: Rng): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, 1));
}

const specs: LearnedCodecSpec[] = [
  { name: 'factorized', channels: 4, latent: 8, stages: 2 },
  { name: 'hyperprior', channels: 4, latent: 8, stages: 2 },
  { name: 'cheng2020-attn', channels: 4, latent: 8, stages: 2, context: 'serial' },
  { name: 'cheng2020-attn', channels: 4, latent: 8, stages: 2, context: 'checkerboard' },
];
describe('smoke', () => {
  for (const spec of specs) {
    it(`${spec.name} ${spec.context ?? ''}`, () => {
      const codec = createLearnedCodec(spec);
      const params = codec.init(new Rng(1, 'p'));
      const shape = [1, 16, 16, 4];
      const x = { data: field(shape, new Rng(2, 'x')), shape };
      const n0 = tf.memory().numTensors;
      const bytes = codec.compress(params, x);
      const est = codec.estimate(params, x);
      const dec = codec.decompress(params, bytes);
      let maxd = 0;
      for (let i = 0; i < dec.data.length; i++) maxd = Math.max(maxd, Math.abs(dec.data[i]! - est.xhat.data[i]!));
      const p = codec.toTensors(params);
      const xt = tf.tensor4d(x.data, shape as [number, number, number, number]);
      const r = codec.forward(p, xt, 'round');
      const fb = r.bits.dataSync()[0];
      console.log(spec.name, spec.context, 'params', codec.paramCount, 'bytes', bytes.length, 'est bits', est.bits, est.parts, 'fwd round bits', fb, 'maxdiff', maxd);
      tf.dispose([p, xt, r.xhat, r.bits, ...r.likelihoods]);
      expect(tf.memory().numTensors).toBe(n0);
    });
  }
});
