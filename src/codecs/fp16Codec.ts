/**
 * `fp16`: IEEE binary16 with round-to-nearest-even (half.ts), little-endian.
 * Payload: 2·n bytes. Relative error ≤ 2^-11 in the normal range [2^-14, 65504];
 * subnormals (|x| < 2^-14) have absolute error ≤ 2^-25; |x| ≥ 65520 becomes ±Infinity;
 * NaN and ±Infinity survive (NaN as a quiet NaN with its sign and top payload bits).
 */
import { type ClassicCodecDescriptor, fixedWidthCodec } from './descriptor.js';
import { Errors } from './errors.js';
import { f32BitsToHalf, halfDecodeTable } from './half.js';
import type { PayloadCodec, TensorData } from './types.js';

/** The `fp16` payload codec. */
export function fp16PayloadCodec(): PayloadCodec {
  return {
    name: 'fp16',
    encodePayload(t: TensorData): Uint8Array {
      const n = t.data.length;
      const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, n);
      const out = new Uint8Array(2 * n);
      for (let i = 0; i < n; i++) {
        const h = f32BitsToHalf(bits[i]!);
        out[2 * i] = h & 0xff;
        out[2 * i + 1] = h >>> 8;
      }
      return out;
    },
    decodePayload(payload: Uint8Array, _shape: number[], count: number): Float32Array {
      if (payload.length !== 2 * count) {
        throw Errors.badPayload('fp16', `${payload.length} bytes, expected ${2 * count} for ${count} values`);
      }
      const table = halfDecodeTable();
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) outBits[i] = table[payload[2 * i]! | (payload[2 * i + 1]! << 8)]!;
      return out;
    },
  };
}

/** `fp16` as the scenario and the task graph see it (descriptor.ts). */
export const fp16Codec: ClassicCodecDescriptor = fixedWidthCodec('fp16', 4, 2, fp16PayloadCodec);
