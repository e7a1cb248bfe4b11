/**
 * Issue 3's `coderVsBrotli` on the symbols a learned codec really codes: a briefly trained
 * codec compresses held-out smooth fields, then Brotli-11 gets the very integer symbols the rANS
 * streams carry (z then y, as int8, int16 where one does not fit) in coded order and, which
 * suits it better, channel-major. The coder has the learned per-channel tables (entropy
 * bottleneck) and, for the hyperprior, a table per element (σ from ẑ); Brotli has only the
 * symbols. Benchmarks may read the wall clock (STYLE.md §2).
 */
import { Rng } from '../../sim/rng.js';
import { readContainer } from '../container.js';
import { brotli11 } from '../entropy/bench.js';
import { ransEncode } from '../entropy/rans.js';
import { CodecError, Errors } from '../errors.js';
import type { TensorData } from '../types.js';
import { trainCodec } from './bench.js';
import { smoothFields } from './fixtures.js';
import { readPayload } from './payload.js';
import type { CodedSymbols, LearnedCodec } from './types.js';

/** Codecs whose streams are coded in NHWC order (cheng2020-attn reorders y for its context). */
export type BrotliBenchCodec = 'factorized' | 'hyperprior';

/** Options of `benchLearnedVsBrotli`; defaults in `BROTLI_BENCH_DEFAULTS`. */
export interface BrotliBenchOptions {
  codec?: BrotliBenchCodec;
  /** Channels of the input fields (the split tensor's C). */
  channels?: number;
  /** Latent channels N. */
  latent?: number;
  stages?: number;
  /** Adam steps on smooth fields of `trainSize`² in batches of `trainBatch`. */
  steps?: number;
  trainBatch?: number;
  trainSize?: number;
  lambda?: number;
  lr?: number;
  /** Held-out fields of `size`², compressed as one batch. */
  heldOut?: number;
  size?: number;
  seed?: number;
}

/**
 * Defaults of `BrotliBenchOptions`: ~19 s (hyperprior) and ~12 s (factorized) of training on
 * wasm, 2 cores. Training fields are as large as the held-out ones: smoothFields' frequencies
 * scale with the size, and a codec trained on 16² fields coded 32² ones ~20% worse. (On these
 * fields the hyperprior learns to leave z almost unused, ≤ 60 bytes, within a few hundred steps.)
 */
export const BROTLI_BENCH_DEFAULTS: Required<BrotliBenchOptions> = {
  codec: 'hyperprior',
  channels: 8,
  latent: 16,
  stages: 2,
  steps: 600,
  trainBatch: 2,
  trainSize: 32,
  lambda: 0.02,
  lr: 3e-3,
  heldOut: 16,
  size: 32,
  seed: 1,
};

/** A smaller run for tests and `--quick` (about a second per codec). */
export const BROTLI_BENCH_QUICK: BrotliBenchOptions = { channels: 4, latent: 8, steps: 12, trainSize: 16, lr: 1e-2, heldOut: 4, size: 32 };

/** Brotli against the coder on one batch. */
export interface BrotliComparison {
  /** Bytes of the rANS streams (8 bytes of final states each included; container, payload header and stream lengths not). */
  coderBytes: number;
  /** The whole message `compress` returns (SWZ1 container). */
  containerBytes: number;
  /** Symbols per stream, in payload order (z first where there is one). */
  streamSymbols: number[];
  /** Bytes per stream, same order (Σ = coderBytes). */
  streamBytes: number[];
  /** Bytes per symbol Brotli is given: 1 (int8) or 2 (int16, where a symbol leaves −128..127). */
  symbolWidth: 1 | 2;
  /** Brotli-11 of the symbols in coded order (NHWC, z then y). */
  brotliCodedOrderBytes: number;
  /** Brotli-11 of the symbols channel by channel within each stream. */
  brotliChannelMajorBytes: number;
  /** The better of the two. */
  brotliBytes: number;
  /** Σ over streams and channels of n·H(empirical histogram) / 8: the floor of any static per-channel order-0 coder. */
  channelEntropyBytes: number;
  /** coderBytes ÷ brotliBytes. */
  coderVsBrotli: number;
}

/** `BrotliComparison` of a trained codec, with its training and distortion. */
export interface BrotliBenchResult extends BrotliComparison {
  codec: BrotliBenchCodec;
  /** Held-out shape [B, H, W, C]. */
  shape: number[];
  /** MSE of the decoded held-out batch (the codec is not degenerate: compare with the fields' variance ≈ 1). */
  mse: number;
  trainSeconds: number;
}

/** Symbols as int8 (or int16) bytes, in `order` (indexes into `symbols`). */
function packed(symbols: Int32Array, order: Int32Array, width: 1 | 2): Uint8Array {
  const out = width === 1 ? new Int8Array(order.length) : new Int16Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = symbols[order[i] as number] as number;
  return new Uint8Array(out.buffer);
}

/** Positions of an NHWC stream of `channels` channels, channel by channel. */
function channelMajor(count: number, channels: number): Int32Array {
  const order = new Int32Array(count);
  const per = count / channels;
  for (let i = 0; i < count; i++) order[(i % channels) * per + Math.floor(i / channels)] = i;
  return order;
}

/** Σ_c n_c·H_c / 8 over the channels of an NHWC stream. */
function channelEntropyBytes(symbols: Int32Array, channels: number): number {
  let bits = 0;
  for (let c = 0; c < channels; c++) {
    const counts = new Map<number, number>();
    let n = 0;
    for (let i = c; i < symbols.length; i += channels) {
      counts.set(symbols[i] as number, (counts.get(symbols[i] as number) ?? 0) + 1);
      n++;
    }
    for (const k of counts.values()) bits -= k * Math.log2(k / n);
  }
  return bits / 8;
}

/**
 * Compresses `x` and compares the coder's streams with Brotli-11 on the same symbols. Throws
 * CodecError if the symbols `codedSymbols` lists do not re-encode to the streams `compress` wrote.
 */
export function compareWithBrotli(codec: LearnedCodec, params: Float32Array, x: TensorData): BrotliComparison {
  if (codec.name === 'cheng2020-attn') {
    throw Errors.invalidField('brotliBench.codec', "'factorized' or 'hyperprior' (NHWC coding order)", codec.name);
  }
  const bytes = codec.compress(params, x);
  const streams = readPayload(codec.spec, readContainer(bytes).payload, codec.name === 'factorized' ? 1 : 2);
  const coded: CodedSymbols[] = codec.codedSymbols(params, x);
  coded.forEach((c, k) => {
    const again = ransEncode(c.symbols, c.index, c.tables);
    const stream = streams[k] as Uint8Array;
    if (again.length !== stream.length || again.some((v, i) => v !== stream[i])) {
      throw new CodecError(`brotliBench: stream ${k} differs from the codec's own (${again.length} vs ${stream.length} bytes)`);
    }
  });
  // Every stream (z and y) has the codec's N latent channels, coded in NHWC order.
  const n = codec.spec.latent;
  const width = coded.every((c) => c.symbols.every((v) => v >= -128 && v <= 127)) ? 1 : 2;
  const join = (parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const identity = (len: number): Int32Array => Int32Array.from({ length: len }, (_, i) => i);
  const codedOrder = brotli11(join(coded.map((c) => packed(c.symbols, identity(c.symbols.length), width))));
  const byChannel = brotli11(join(coded.map((c) => packed(c.symbols, channelMajor(c.symbols.length, n), width))));
  const coderBytes = streams.reduce((s, b) => s + b.length, 0);
  const brotliBytes = Math.min(codedOrder, byChannel);
  return {
    coderBytes,
    containerBytes: bytes.length,
    streamSymbols: coded.map((c) => c.symbols.length),
    streamBytes: streams.map((b) => b.length),
    symbolWidth: width,
    brotliCodedOrderBytes: codedOrder,
    brotliChannelMajorBytes: byChannel,
    brotliBytes,
    channelEntropyBytes: coded.reduce((s, c) => s + channelEntropyBytes(c.symbols, n), 0),
    coderVsBrotli: coderBytes / brotliBytes,
  };
}

/**
 * Trains a `factorized` or `hyperprior` codec briefly (Adam on smooth fields), compresses a
 * held-out batch, checks it decodes to the inference pass's reconstruction, and compares the
 * coder with Brotli-11 on its symbols (`compareWithBrotli`).
 * @example const r = benchLearnedVsBrotli({ codec: 'hyperprior' }); r.coderVsBrotli;
 */
export function benchLearnedVsBrotli(options: BrotliBenchOptions = {}): BrotliBenchResult {
  const o = { ...BROTLI_BENCH_DEFAULTS, ...options };
  if (o.codec !== 'factorized' && o.codec !== 'hyperprior') {
    throw Errors.invalidField('brotliBench.codec', "'factorized' or 'hyperprior'", o.codec);
  }
  for (const key of ['channels', 'latent', 'stages', 'steps', 'trainBatch', 'trainSize', 'heldOut', 'size'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw Errors.invalidField(`brotliBench.${key}`, 'an integer ≥ 1', o[key]);
  }
  const spec = { name: o.codec, channels: o.channels, latent: o.latent, stages: o.stages };
  const { codec, params, seconds } = trainCodec(spec, {
    steps: o.steps,
    batch: o.trainBatch,
    size: o.trainSize,
    lambda: o.lambda,
    lr: o.lr,
    seed: o.seed,
  });
  const x = smoothFields(o.heldOut, o.size, o.channels, new Rng(o.seed, 'brotliBench/heldOut'));
  const cmp = compareWithBrotli(codec, params, x);
  const back = codec.decompress(params, codec.compress(params, x)).data;
  const want = codec.estimate(params, x).xhat.data;
  let se = 0;
  for (let i = 0; i < back.length; i++) {
    if (back[i] !== want[i]) throw new CodecError(`brotliBench: ${o.codec} decode differs from the inference pass at ${i}`);
    se += ((back[i] as number) - (x.data[i] as number)) ** 2;
  }
  return { codec: o.codec, shape: x.shape.slice(), ...cmp, mse: se / back.length, trainSeconds: seconds };
}
