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
  /** dataBits / estimateBits − 1: the coder's cost beyond the model's estimate, fixed overhead aside. */
  gap: number;
  /** 8·totalBytes / estimateBits − 1 (fixed overhead included). */
  totalGap: number;
}

/**
 * Rate account of `bytes` = codec.compress(params, x) (runs `estimate` on x). The final rANS
 * states (8 bytes a stream) count as overhead though they carry up to 32 bits of data (the
 * coder starts at state 2^16), so `gap` can dip below zero by up to 32 bits a stream; a model
 * with mass in its far tails also codes cheaper than it estimates (16-bit tables floor every
 * symbol's probability at 2^-16, the estimate only at 1e-9).
 */
export function rateAccount(codec: LearnedCodec, params: Float32Array, x: TensorData, bytes: Uint8Array): RateAccount {
  const c = readContainer(bytes);
  const streams = readPayload(codec.spec, c.payload, codec.spec.name === 'factorized' ? 1 : 2);
  const streamBytes = streams.reduce((s, b) => s + b.length, 0);
  const overheadBytes = bytes.length - streamBytes + 8 * streams.length;
  const estimateBits = codec.estimate(params, x).bits;
  const dataBits = 8 * (bytes.length - overheadBytes);
  return {
    totalBytes: bytes.length,
    overheadBytes,
    dataBits,
    estimateBits,
    gap: dataBits / estimateBits - 1,
    totalGap: (8 * bytes.length) / estimateBits - 1,
  };
}
