/**
 * Every learned codec at tiny size on the cpu backend: decoding reproduces the model's inference
 * reconstruction, the eval forward agrees with it, bad streams raise CodecError, calls are
 * deterministic and leak no tensors. (Rates of trained codecs: factorized.test.ts, trained.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { readContainer, writeContainer } from '../container.js';
import { CodecError } from '../errors.js';
import { createLearnedCodec } from './createLearnedCodec.js';
import { smoothFields } from './fixtures.js';
import { learnedLossAndGrads } from './train.js';
import type { LearnedCodecSpec } from './types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SPECS: LearnedCodecSpec[] = [
  { name: 'factorized', channels: 4, latent: 8, stages: 2 },
  { name: 'hyperprior', channels: 4, latent: 8, stages: 2 },
  { name: 'cheng2020-attn', channels: 4, latent: 8, stages: 2, context: 'serial' },
  { name: 'cheng2020-attn', channels: 4, latent: 8, stages: 2, context: 'checkerboard' },
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

for (const spec of SPECS) {
  const label = spec.context ? `${spec.name} (${spec.context})` : spec.name;
  describe(label, () => {
    const codec = createLearnedCodec(spec);
    const params = codec.init(new Rng(11, `codec/${label}`));
    const x = smoothFields(2, 16, 4, new Rng(11, 'x'));
    const bytes = codec.compress(params, x);

    it('decompress(compress(x)) is exactly the reconstruction the model estimates', () => {
      const est = codec.estimate(params, x);
      const back = codec.decompress(params, bytes);
      expect(back.shape).toEqual([2, 16, 16, 4]);
      expect(maxAbsDiff(back.data, est.xhat.data)).toBe(0);
      expect(est.parts.map((p) => p.name)).toEqual(spec.name === 'factorized' ? ['y'] : ['y', 'z']);
      expect(est.parts[0]?.symbols).toBe(2 * 4 * 4 * 8);
    });

    it(`the eval forward ('round') ${spec.context === 'serial' ? 'approximates' : 'equals'} the inference pass`, () => {
      const est = codec.estimate(params, x);
      const p = codec.toTensors(params);
      const xt = tf.tensor4d(x.data, [2, 16, 16, 4]);
      const r = codec.forward(p, xt, 'round');
      const bits = r.bits.dataSync()[0] as number;
      if (spec.context === 'serial') {
        // Its context sees round(y), not the raster-scan reconstruction round(y − μ) + μ.
        expect(Math.abs(bits / est.bits - 1)).toBeLessThan(0.15);
      } else {
        expect(maxAbsDiff(r.xhat.dataSync(), est.xhat.data)).toBeLessThan(1e-5);
        expect(Math.abs(bits - est.bits)).toBeLessThan(1e-3 * est.bits);
      }
      tf.dispose([p, xt, r.xhat, r.bits, ...r.likelihoods]);
    });

    it('passes gradients back to its input (the split tensor) in ste and noise modes', () => {
      const p = codec.toTensors(params);
      const xt = tf.tensor4d(x.data.subarray(0, 16 * 16 * 4), [1, 16, 16, 4]);
      for (const mode of ['ste', 'noise'] as const) {
        const g = tf.tidy(() =>
          tf.grad((v: tf.Tensor) => {
            const r = codec.forward(p, v as tf.Tensor4D, mode, new Rng(1, 'g'));
            return tf.add(tf.mean(tf.square(r.xhat)), tf.mul(r.bits, 1e-3)) as tf.Scalar;
          })(xt).dataSync(),
        );
        expect(g.every(Number.isFinite)).toBe(true);
        expect(g.some((v) => v !== 0)).toBe(true);
      }
      tf.dispose([...p, xt]);
    });

    it('is deterministic: same seed, same parameters, same bytes', () => {
      expect(codec.init(new Rng(11, `codec/${label}`))).toEqual(params);
      expect(Array.from(codec.compress(params, x))).toEqual(Array.from(bytes));
      expect(Array.from(codec.bind(params).encode(x))).toEqual(Array.from(bytes));
    });

    it('raises CodecError on flipped bits, truncation, a foreign codec id and a foreign spec', () => {
      const rng = new Rng(11, 'flip');
      for (let k = 0; k < 12; k++) {
        const bad = bytes.slice();
        const i = rng.int(bad.length);
        bad[i] = (bad[i] as number) ^ (1 << rng.int(8));
        expect(() => codec.decompress(params, bad)).toThrow(CodecError);
      }
      for (const cut of [3, 20, bytes.length - 9, bytes.length - 1]) {
        expect(() => codec.decompress(params, bytes.subarray(0, cut))).toThrow(CodecError);
      }
      const foreign = writeContainer({ codec: 'quant', shape: [2, 16, 16, 4], payload: new Uint8Array(9) });
      expect(() => codec.decompress(params, foreign)).toThrow(`${spec.name}: container holds codec 'quant'`);
      const wide = createLearnedCodec({ ...spec, stages: 1 });
      expect(() => wide.decompress(wide.init(new Rng(1)), bytes)).toThrow(/coded with stages 2, this codec has 1/);
      // A well-formed container whose rANS data is garbage fails in the coder, not silently.
      const scrambled = readContainer(bytes).payload.slice();
      for (let i = 6; i < scrambled.length; i++) scrambled[i] = (scrambled[i] as number) ^ 0x5a;
      const forged = writeContainer({ codec: spec.name, shape: [2, 16, 16, 4], payload: scrambled });
      expect(() => codec.decompress(params, forged)).toThrow(CodecError);
    });

    it('leaks no tensors over repeated forward, aux, training and coding calls', () => {
      const xt = tf.tensor4d(x.data, [2, 16, 16, 4]);
      const small = smoothFields(1, 16, 4, new Rng(1, 'small'));
      const smallT = tf.tensor4d(small.data, [1, 16, 16, 4]);
      const run = (k: number): void => {
        const p = codec.toTensors(params);
        const r = codec.forward(p, xt, (['noise', 'ste', 'round'] as const)[k % 3]!, new Rng(k, 'leak'));
        const aux = codec.auxLoss(p);
        tf.dispose([p, r.xhat, r.bits, aux, ...r.likelihoods]);
        learnedLossAndGrads(codec, params, smallT, { lambda: 0.01, mode: 'ste' });
        codec.decompress(params, codec.compress(params, x));
        codec.estimate(params, x);
      };
      run(0);
      const n0 = tf.memory().numTensors;
      for (let k = 1; k <= 3; k++) run(k);
      expect(tf.memory().numTensors).toBe(n0);
      tf.dispose([xt, smallT]);
    }, 30_000);
  });
}
