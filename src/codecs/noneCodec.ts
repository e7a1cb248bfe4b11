/**
 * `none`: raw fp32, little-endian. Bit-exact, NaN payloads included.
 * Payload: 4·n bytes. Wire size: header + 4·n.
 */
import { type ClassicCodecDescriptor, fixedWidthCodec } from './descriptor.js';
import { Errors } from './errors.js';
import { readF32LE, writeF32LE } from './tensor.js';
import type { PayloadCodec, TensorData } from './types.js';

/** The `none` payload codec. */
export function nonePayloadCodec(): PayloadCodec {
  return {
    name: 'none',
    encodePayload(t: TensorData): Uint8Array {
      const out = new Uint8Array(4 * t.data.length);
      writeF32LE(t.data, out, 0);
      return out;
    },
    decodePayload(payload: Uint8Array, _shape: number[], count: number): Float32Array {
      if (payload.length !== 4 * count) {
        throw Errors.badPayload('none', `${payload.length} bytes, expected ${4 * count} for ${count} values`);
      }
      return readF32LE(payload, 0, count);
    },
  };
}

/** `none` as the scenario and the task graph see it (descriptor.ts). */
export const noneCodec: ClassicCodecDescriptor = fixedWidthCodec('none', 1, 4, nonePayloadCodec);
