import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../codecs/errors.js';
import { readContainer, writeContainer } from '../codecs/container.js';
import { Rng } from '../sim/rng.js';
import { ParamStore } from './paramStore.js';
import { learnedCodec, learnedDecode, learnedEncode, scaledHeaderBytes } from './codecTasks.js';
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
