import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../codecs/errors.js';
import { readContainer, writeContainer } from '../codecs/container.js';
import { Rng } from '../sim/rng.js';
import { ParamStore } from './paramStore.js';
import { buildSplitUNet, getPart, initModelParams } from '../model/index.js';
import { toTensors } from '../model/params.js';
import {
  featureCodecTrainAsync,
  gradientCodecTrain,
  learnedCodec,
  learnedDecode,
  learnedEncode,
  partBackwardThroughCodec,
  partBackwardThroughCodecAsync,
  scaledForward,
  scaledHeaderBytes,
} from './codecTasks.js';
import type { LearnedRef, TensorMsg } from './types.js';

const SPEC = { name: 'factorized' as const, channels: 4, latent: 4, inputSize: 8, stages: 2 };
const SHAPE = [2, 8, 8, 4];

/** A gradient-like tensor: small per-channel offsets under a larger zero-mean texture. */
function gradient(seed: number, magnitude: number): TensorMsg {
  const rng = new Rng(seed, 'codecTasks.test');
  const data = new Float32Array(2 * 8 * 8 * 4);
  for (let i = 0; i < data.length; i++) data[i] = magnitude * ((rng.uniform() - 0.5) + 0.05 * ((i % 4) - 1.5));
  return { data, shape: SHAPE };
}

function means(data: Float32Array, c: number): number[] {
  const m = new Array<number>(c).fill(0);
  for (let i = 0; i < data.length; i++) m[i % c] = (m[i % c] as number) + (data[i] as number) / (data.length / c);
  return m;
}

function ref(train: boolean): LearnedRef {
  const params = learnedCodec(SPEC).init(new Rng(7, 'codec'));
  const r: LearnedRef = { spec: SPEC, params, normalize: true };
  if (train) r.train = { state: new ParamStore().create('c', params), adam: { lr: 1e-3 }, lambda: 1 };
  return r;
}

describe('learned gradient coding (scaled container)', () => {
  it('decodes with the exact per-channel means of the gradient (up to fp16) and its RMS scale', async () => {
    await tf.setBackend('cpu');
    const g = gradient(1, 3e-4);
    const r = ref(false);
    const bytes = learnedEncode(r, { data: g.data.slice(), shape: g.shape });
    const out = learnedDecode(r, bytes);
    expect(out.shape).toEqual(SHAPE);
    const want = means(g.data, 4);
    const got = means(out.data, 4);
    // fp16 keeps 11 significant bits of each mean (in units of the RMS).
    want.forEach((m, c) => expect(Math.abs((got[c] as number) - m)).toBeLessThan(3e-4 * 2e-3));
    const c = readContainer(bytes);
    expect(c.codec).toBe('scaled');
    expect(c.payload.byteLength).toBeGreaterThan(scaledHeaderBytes(4));
  });

  it('trains the sender copy on the centred tensor and leaves the wire copy alone', async () => {
    await tf.setBackend('cpu');
    const r = ref(true);
    const wire = r.params.slice();
    learnedEncode(r, gradient(2, 1));
    expect(Array.from(r.params)).toEqual(Array.from(wire));
    expect(r.train?.state.t[0]).toBe(1);
    expect(Array.from(r.train?.state.params ?? [])).not.toEqual(Array.from(wire));
  });

  it('rejects truncated or corrupt scaled payloads with a CodecError', async () => {
    await tf.setBackend('cpu');
    const r = ref(false);
    const good = readContainer(learnedEncode(r, gradient(3, 1)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.payload.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), (cut, byte) => {
        const payload = good.payload.slice(0, cut);
        if (payload.byteLength > 0) payload[cut % payload.byteLength] = byte;
        const bytes = writeContainer({ codec: 'scaled', shape: good.shape, payload });
        try {
          const out = learnedDecode(r, bytes);
          // A stream that still decodes must have the right shape.
          expect(out.shape).toEqual(SHAPE);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});

describe('scaledForward (a feature codec inside the task graph, as the scaled container codes it)', () => {
  it('matches the wire decode, keeps the exact channel means and is invariant to the input scale', async () => {
    await tf.setBackend('cpu');
    const r = ref(false);
    const codec = learnedCodec(SPEC);
    const g = gradient(3, 1);
    const wire = learnedDecode(r, learnedEncode(r, { data: g.data.slice(), shape: g.shape }));
    const [small, large] = tf.tidy(() => {
      const p = codec.toTensors(r.params);
      const x = tf.tensor4d(g.data, SHAPE as [number, number, number, number]);
      return [scaledForward(codec, p, x).xhat, scaledForward(codec, p, tf.mul(x, 1e4) as tf.Tensor4D).xhat];
    });
    const a = small.dataSync() as Float32Array;
    const b = large.dataSync() as Float32Array;
    // Straight-through rounding codes what the wire codes; only the means' fp16 rounding differs.
    for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] as number) - (wire.data[i] as number))).toBeLessThan(1e-3);
    for (let i = 0; i < a.length; i++) expect(Math.abs((b[i] as number) / 1e4 - (a[i] as number))).toBeLessThan(1e-4);
    const want = means(g.data, 4);
    means(a, 4).forEach((m, c) => expect(Math.abs(m - (want[c] as number))).toBeLessThan(1e-5));
    tf.dispose([small, large]);
  });
});

describe('feature codec distortion term (codec.distortion)', () => {
  it('trains the codec towards reconstructing its input (at its trainable copy, step after step)', async () => {
    await tf.setBackend('cpu');
    const config = { inChannels: 3, classes: 2, baseChannels: 2, depth: 3, size: 16 };
    const split = buildSplitUNet(config, 'u-shaped');
    const fe = getPart(split, 'FE');
    const params = initModelParams(split, new Rng(4, 'distortion/model'))['FE'] as Float32Array;
    const f1 = fe.outputShapes(2)[0] as number[];
    const spec = { name: 'factorized' as const, channels: f1[3] as number, latent: 4, inputSize: f1[1] as number, stages: 1 };
    const codec = learnedCodec(spec);
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 5);
    const outs = fe.outputShapes(2);
    const mseAfter = (beta: number): number => {
      const start = codec.init(new Rng(6, 'distortion/codec'));
      const r: LearnedRef = { spec, params: start.slice(), normalize: true, train: { state: new ParamStore().create('c', start), adam: { lr: 3e-3 }, lambda: 0, distortion: beta } };
      for (let i = 0; i < 40; i++) {
        const zeros = outs.map((s) => tf.zeros(s));
        const g = partBackwardThroughCodec(fe, params, [x], zeros, r);
        tf.dispose([...zeros, ...g.dInputs]);
      }
      return tf.tidy(() => {
        const first = fe.forward(toTensors(fe, params), [x])[0] as tf.Tensor4D;
        return scaledForward(codec, codec.toTensors(r.train?.state.params as Float32Array), first).mse.dataSync()[0] as number;
      });
    };
    const before = mseAfter(0);
    const after = mseAfter(1);
    expect(after).toBeLessThan(0.3 * before);
    x.dispose();
  }, 60_000);
});

describe('a codec step as a task of its own (codec.train) gives what the trained task gives, to the bit', () => {
  it('gradient codec: encode without the copy, then gradientCodecTrain = one trained learnedEncode', async () => {
    await tf.setBackend('cpu');
    const together = ref(true);
    const apart = ref(true);
    for (const seed of [11, 12, 13]) {
      const g = gradient(seed, 0.5);
      const a = learnedEncode(together, { data: g.data.slice(), shape: g.shape });
      const { train: _, ...wire } = apart;
      const b = learnedEncode(wire, { data: g.data.slice(), shape: g.shape });
      gradientCodecTrain(apart, { data: g.data.slice(), shape: g.shape });
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    }
    expect(apart.train?.state.t[0]).toBe(3);
    expect(Array.from(apart.train?.state.params ?? [])).toEqual(Array.from(together.train?.state.params ?? []));
    expect(Array.from(apart.train?.state.m ?? [])).toEqual(Array.from(together.train?.state.m ?? []));
    expect(() => gradientCodecTrain(ref(false), gradient(1, 1))).toThrow(/no trainable copy/);
  });

  it('feature codec: a frozen backward returning the output as sent, then featureCodecTrainAsync = the backward that trains', async () => {
    await tf.setBackend('cpu');
    const config = { inChannels: 3, classes: 2, baseChannels: 2, depth: 3, size: 16 };
    const fe = getPart(buildSplitUNet(config, 'u-shaped'), 'FE');
    const params = initModelParams(buildSplitUNet(config, 'u-shaped'), new Rng(4, 'apart/model'))['FE'] as Float32Array;
    const f1 = fe.outputShapes(2)[0] as number[];
    const spec = { name: 'factorized' as const, channels: f1[3] as number, latent: 4, inputSize: f1[1] as number, stages: 1 };
    const start = learnedCodec(spec).init(new Rng(6, 'apart/codec'));
    const make = (): LearnedRef => ({ spec, params: start.slice(), normalize: true, train: { state: new ParamStore().create('c', start), adam: { lr: 3e-3 }, lambda: 0.5, distortion: 0.1 } });
    const together = make();
    const apart = make();
    for (let i = 0; i < 3; i++) {
      const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 20 + i);
      const d = fe.outputShapes(2).map((s, k) => tf.randomNormal(s, 0, 1, 'float32', 40 + 10 * i + k));
      const a = partBackwardThroughCodec(fe, params, [x], d, together);
      const { train: _, ...wire } = apart;
      const b = await partBackwardThroughCodecAsync(fe, params, [x], d, wire, true);
      expect(Array.from(b.dParams)).toEqual(Array.from(a.dParams));
      expect(b.sent?.shape).toEqual(f1);
      await featureCodecTrainAsync(apart, b.sent as tf.Tensor4D, d[0] as tf.Tensor);
      tf.dispose([x, ...d, ...a.dInputs, ...b.dInputs, b.sent as tf.Tensor]);
    }
    expect(apart.train?.state.t[0]).toBe(3);
    expect(Array.from(apart.train?.state.params ?? [])).toEqual(Array.from(together.train?.state.params ?? []));
    expect(Array.from(apart.train?.state.v ?? [])).toEqual(Array.from(together.train?.state.v ?? []));
  }, 60_000);
});
