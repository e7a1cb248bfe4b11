/**
 * `quant`: uniform n-bit quantisation with a per-tensor affine grid spanning [min, max].
 *
 * q = round((x − min) · (2^n − 1) / (max − min)), x̂ = min + q · (max − min) / (2^n − 1),
 * so |x − x̂| ≤ (max − min) / (2^n − 1) / 2 (plus fp32 rounding of x̂). The extremes are exact,
 * and a constant tensor decodes exactly (max = min, every q = 0).
 *
 * Payload: u8 bits, f32 min, f32 max (LE), then n-bit codes packed LSB-first (bitpack.ts).
 * The bit width travels in the stream, so any `quant` decoder reads any width.
 * Wire size: header + 9 + ceil(count · bits / 8).
 *
 * Non-finite input (NaN, ±Infinity) has no place on an affine grid: encode throws a
 * CodecError naming the first such index rather than silently clamping it.
 */
import { z } from 'zod';
import { packBits, packedSize, unpackBits } from './bitpack.js';
import type { ClassicCodecDescriptor, CodecOptionDescriptor } from './descriptor.js';
import { Errors } from './errors.js';
import type { PayloadCodec, TensorData } from './types.js';

/** The `quant` payload codec at `bits` bits per value (1..16, checked by the registry). */
export function quantPayloadCodec(bits: number): PayloadCodec {
  return {
    name: 'quant',
    encodePayload(t: TensorData): Uint8Array {
      const x = t.data;
      const n = x.length;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (!Number.isFinite(v)) throw Errors.invalidField(`quant.encode.data[${i}]`, 'finite', v);
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (n === 0) min = max = 0;
      const levels = 2 ** bits - 1;
      const codes = new Uint16Array(n);
      if (max > min) {
        const inv = levels / (max - min);
        for (let i = 0; i < n; i++) {
          const q = Math.round((x[i]! - min) * inv);
          codes[i] = q > levels ? levels : q;
        }
      }
      const out = new Uint8Array(9 + packedSize(n, bits));
      const view = new DataView(out.buffer);
      out[0] = bits;
      view.setFloat32(1, min, true);
      view.setFloat32(5, max, true);
      packBits(codes, bits, out, 9);
      return out;
    },
    decodePayload(payload: Uint8Array, _shape: number[], count: number): Float32Array {
      if (payload.length < 9) throw Errors.badPayload('quant', `${payload.length} bytes, need at least 9`);
      const width = payload[0]!;
      if (width < 1 || width > 16) throw Errors.badPayload('quant', `bit width ${width} outside 1..16`);
      const expected = 9 + packedSize(count, width);
      if (payload.length !== expected) {
        throw Errors.badPayload('quant', `${payload.length} bytes, expected ${expected} for ${count} values at ${width} bits`);
      }
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      const min = view.getFloat32(1, true);
      const max = view.getFloat32(5, true);
      if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) {
        throw Errors.badPayload('quant', `range [${min}, ${max}] is not a finite interval`);
      }
      const levels = 2 ** width - 1;
      const step = (max - min) / levels;
      const codes = unpackBits(payload, 9, count, width);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const q = codes[i]!;
        out[i] = q === levels ? max : min + q * step;
      }
      return out;
    },
  };
}

/** The `bits` option: its schema and default (8) live here only. */
const BITS: CodecOptionDescriptor = {
  schema: z.number().int().min(1).max(16).default(8).describe('quant: bits per value'),
  must: 'an integer in 1..16',
};
const bitsOf = (o: Readonly<Record<string, unknown>>): number => BITS.schema.parse(o['bits']);

/** `quant` as the scenario and the task graph see it (descriptor.ts). */
export const quantCodec: ClassicCodecDescriptor = {
  name: 'quant',
  options: { bits: BITS },
  flopsPerElement: 6,
  errorFeedback: false,
  bytesPerElement: (o) => bitsOf(o) / 8,
  label: (o) => `quant${bitsOf(o)}`,
  payload: (o) => quantPayloadCodec(bitsOf(o)),
};
