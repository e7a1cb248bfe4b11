/**
 * The headline number of issue 3: bytes a learned codec actually codes versus the model's own
 * rate estimate −Σlog2 p of the same quantised symbols (what a training loss reports).
 */
import { readContainer } from '../container.js';
import { readPayload } from './payload.js';
import type { LearnedCodec } from './types.js';
import type { TensorData } from '../types.js';

/** How a stream's coded size compares with the model's own −Σlog2 p. */
export interface RateAccount {
  /** Container bytes. */
  totalBytes: number;
  /** Fixed per-message bytes: container header, payload header, stream lengths, 8 bytes of final rANS states per stream. */
  overheadBytes: number;
  /** Coded bits of the symbols: total − overhead. */
  dataBits: number;
  estimateBits: number;
  /** dataBits / estimateBits − 1. */
  gap: number;
}

/** Rate account of `bytes` = codec.compress(params, x) (runs `estimate` on x). */
export function rateAccount(codec: LearnedCodec, params: Float32Array, x: TensorData, bytes: Uint8Array): RateAccount {
  const c = readContainer(bytes);
  const streams = readPayload(codec.spec, c.payload, codec.spec.name === 'factorized' ? 1 : 2);
  const streamBytes = streams.reduce((s, b) => s + b.length, 0);
  const overheadBytes = bytes.length - streamBytes + 8 * streams.length;
  const estimateBits = codec.estimate(params, x).bits;
  const dataBits = 8 * (bytes.length - overheadBytes);
  return { totalBytes: bytes.length, overheadBytes, dataBits, estimateBits, gap: dataBits / estimateBits - 1 };
}
