/**
 * `topk`: sparsification that keeps the k largest-magnitude values (Aji & Heafield 2017;
 * Stich et al. 2018 pair it with error feedback, see errorFeedback.ts).
 *
 * k = min(n, max(1, round(fraction · n))) for n > 0, and 0 for an empty tensor. Ties at the
 * threshold go to the lower index, so the choice is deterministic. Selection is a three-pass
 * radix select on the magnitude bits (for non-negative IEEE floats, unsigned bit order is
 * numeric order), O(n) whatever the data. NaN ranks above every number, so NaN and
 * ±Infinity are always kept and arrive as NaN and ±Infinity: divergence stays visible downstream.
 *
 * Payload: u32 k; k × f32 values (LE, in index order); k LEB128 varints of index gaps
 * (first: the index itself; then index − previous − 1). Dropped entries decode as 0.
 * Wire size: header + 4 + 4k + Σ varint lengths (1 byte per gap < 128).
 */
import { z } from 'zod';
import type { ClassicCodecDescriptor, CodecOptionDescriptor } from './descriptor.js';
import { Errors } from './errors.js';
import { readF32LE } from './tensor.js';
import type { PayloadCodec, TensorData } from './types.js';

/** Number of values `topk` keeps from `n` at `fraction`. */
export function topkCount(n: number, fraction: number): number {
  return n === 0 ? 0 : Math.min(n, Math.max(1, Math.round(fraction * n)));
}

/** Ascending indices of the `k` largest |x| (NaN largest), ties to the lower index. */
export function selectTopk(x: Float32Array, k: number): Uint32Array {
  const n = x.length;
  const out = new Uint32Array(k);
  if (k === 0) return out;
  if (k >= n) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
  const bits = new Uint32Array(x.buffer, x.byteOffset, n);
  // Radix select over the 31 magnitude bits, 10 + 11 + 10 at a time, from the top.
  const passes: Array<[shift: number, width: number]> = [[21, 10], [10, 11], [0, 10]];
  const hist = new Uint32Array(2048);
  let prefix = 0; // threshold bits fixed so far
  let need = k; // how many of the values matching `prefix` must still be taken
  for (let pass = 0; pass < 3; pass++) {
    const [shift, width] = passes[pass]!;
    const matchShift = shift + width; // bits above this pass must equal prefix
    hist.fill(0);
    const mask = (1 << width) - 1;
    for (let i = 0; i < n; i++) {
      const key = bits[i]! & 0x7fffffff;
      if (matchShift >= 31 || key >>> matchShift === prefix >>> matchShift) hist[(key >>> shift) & mask]!++;
    }
    let b = mask;
    while (hist[b]! < need) need -= hist[b--]!;
    prefix |= b << shift;
  }
  // `prefix` is now the k-th largest key; take all larger keys and the first `need` equal ones.
  let j = 0;
  for (let i = 0; i < n && j < k; i++) {
    const key = bits[i]! & 0x7fffffff;
    if (key > prefix || (key === prefix && need-- > 0)) out[j++] = i;
  }
  return out;
}

function varintSize(v: number): number {
  let s = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    s++;
  }
  return s;
}

/** The `topk` payload codec keeping `fraction` of the values. */
export function topkPayloadCodec(fraction: number): PayloadCodec {
  return {
    name: 'topk',
    encodePayload(t: TensorData): Uint8Array {
      const x = t.data;
      const idx = selectTopk(x, topkCount(x.length, fraction));
      const k = idx.length;
      let size = 4 + 4 * k;
      for (let j = 0; j < k; j++) size += varintSize(j === 0 ? idx[0]! : idx[j]! - idx[j - 1]! - 1);
      const out = new Uint8Array(size);
      const view = new DataView(out.buffer);
      view.setUint32(0, k, true);
      for (let j = 0; j < k; j++) view.setFloat32(4 + 4 * j, x[idx[j]!]!, true);
      let p = 4 + 4 * k;
      for (let j = 0; j < k; j++) {
        let gap = j === 0 ? idx[0]! : idx[j]! - idx[j - 1]! - 1;
        while (gap >= 128) {
          out[p++] = (gap & 0x7f) | 0x80;
          gap = Math.floor(gap / 128);
        }
        out[p++] = gap;
      }
      return out;
    },
    decodePayload(payload: Uint8Array, _shape: number[], count: number): Float32Array {
      const n = payload.length;
      if (n < 4) throw Errors.badPayload('topk', `${n} bytes, need at least 4`);
      const k = new DataView(payload.buffer, payload.byteOffset, n).getUint32(0, true);
      if (k > count) throw Errors.badPayload('topk', `k = ${k} exceeds ${count} values`);
      if (n < 4 + 5 * k) throw Errors.badPayload('topk', `${n} bytes cannot hold ${k} values and indices`);
      const values = readF32LE(payload, 4, k);
      const out = new Float32Array(count);
      let p = 4 + 4 * k;
      let next = 0; // smallest index the next entry may take
      for (let j = 0; j < k; j++) {
        let gap = 0;
        let scale = 1;
        for (;;) {
          if (p >= n) throw Errors.badPayload('topk', `index ${j} runs past the end`);
          const b = payload[p++]!;
          gap += (b & 0x7f) * scale;
          if (b < 128) break;
          scale *= 128;
          if (scale > 2 ** 35) throw Errors.badPayload('topk', `index ${j} varint longer than 5 bytes`);
        }
        const i = next + gap;
        if (i >= count) throw Errors.badPayload('topk', `index ${i} out of range for ${count} values`);
        out[i] = values[j]!;
        next = i + 1;
      }
      if (p !== n) throw Errors.badPayload('topk', `${n - p} trailing bytes`);
      return out;
    },
  };
}

/** The `fraction` option: its schema and default (0.01) live here only. */
const FRACTION: CodecOptionDescriptor = {
  schema: z
    .number()
    .gt(0)
    .max(1)
    .default(0.01)
    .describe('topk: fraction of the values kept (largest magnitudes), in (0, 1]; each sender carries what it dropped into its next tensor of the same slot (error feedback)'),
  must: 'a number in (0, 1]',
};

/** `topk` as the scenario and the task graph see it (descriptor.ts); its size depends on the data. */
export const topkCodec: ClassicCodecDescriptor = {
  name: 'topk',
  options: { fraction: FRACTION },
  flopsPerElement: 12,
  errorFeedback: true,
  bytesPerElement: () => 0,
  label: () => 'topk',
  payload: (o) => topkPayloadCodec(FRACTION.schema.parse(o['fraction'])),
};
