import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../compute/backend.js';
import { Rng } from '../../sim/rng.js';
import { readContainer } from '../container.js';
import { ransDecode, ransEncode } from '../entropy/rans.js';
import { trainCodec } from './bench.js';
import { BROTLI_BENCH_QUICK, benchLearnedVsBrotli, compareWithBrotli } from './brotliBench.js';
import { smoothFields } from './fixtures.js';
import { readPayload } from './payload.js';

beforeAll(async () => {
  // The training backend, with splitwire's conv gradient kernels (cpu would take minutes).
  await selectBackend('wasm');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('coder against Brotli on a learned codec', () => {
  it('hyperprior: the symbols listed are the stream, it decodes back, the ratio is finite', () => {
    const tensors = tf.memory().numTensors;
    const { codec, params } = trainCodec({ name: 'hyperprior', channels: 4, latent: 8, stages: 2 }, { steps: 12, size: 16, lr: 1e-2 });
    const x = smoothFields(4, 32, 4, new Rng(3, 'heldOut'));
    const bytes = codec.compress(params, x);
    const streams = readPayload(codec.spec, readContainer(bytes).payload, 2);
    const coded = codec.codedSymbols(params, x);
    expect(coded.map((c) => c.symbols.length)).toEqual([4 * 2 * 2 * 8, 4 * 8 * 8 * 8]);
    coded.forEach((c, k) => {
      const stream = streams[k] as Uint8Array;
      // Decoding the codec's own stream gives the symbols, and re-encoding them gives the stream.
      expect(ransDecode(stream, c.symbols.length, c.index, c.tables)).toEqual(c.symbols);
      expect(ransEncode(c.symbols, c.index, c.tables)).toEqual(stream);
    });
    expect(codec.decompress(params, bytes).data).toEqual(codec.estimate(params, x).xhat.data);

    const r = compareWithBrotli(codec, params, x);
    expect(r.coderBytes).toBe(streams.reduce((s, b) => s + b.length, 0));
    expect(r.containerBytes).toBe(bytes.length);
    expect(r.streamSymbols).toEqual(coded.map((c) => c.symbols.length));
    expect(r.brotliBytes).toBe(Math.min(r.brotliCodedOrderBytes, r.brotliChannelMajorBytes));
    expect(r.coderVsBrotli).toBeGreaterThan(0);
    expect(Number.isFinite(r.coderVsBrotli)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensors);
  }, 30_000);

  it('factorized, whole bench at quick size: one stream, decoded and compared', () => {
    const r = benchLearnedVsBrotli({ ...BROTLI_BENCH_QUICK, codec: 'factorized' });
    expect(r.streamSymbols).toEqual([4 * 8 * 8 * 8]);
    expect(r.shape).toEqual([4, 32, 32, 4]);
    expect(r.coderVsBrotli).toBeGreaterThan(0);
    expect(Number.isFinite(r.coderVsBrotli)).toBe(true);
    expect(r.mse).toBeGreaterThan(0);
    expect(r.mse).toBeLessThan(1);
  }, 30_000);

  it('rejects cheng2020-attn and bad sizes, naming the field', () => {
    expect(() => benchLearnedVsBrotli({ codec: 'cheng2020-attn' as 'hyperprior' })).toThrow(
      "brotliBench.codec: must be 'factorized' or 'hyperprior', got 'cheng2020-attn'",
    );
    expect(() => benchLearnedVsBrotli({ steps: 0 })).toThrow('brotliBench.steps: must be an integer ≥ 1, got 0');
  });
});
