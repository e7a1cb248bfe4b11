/**
 * Tensor helpers shared by the built-in codecs: shape checks and little-endian fp32 copies.
 */
import { Errors } from './errors.js';
import type { TensorData } from './types.js';

/** True when this platform stores typed arrays little-endian (then fp32 copies are memcpy). */
export const LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest element count a decoder will allocate for (2^28 fp32 values = 1 GiB). */
export const MAX_ELEMENTS = 2 ** 28;

/** Product of the dims; 1 for rank 0. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks a tensor handed to `encode`; throws CodecError naming the codec and the field. */
export function checkTensor(codec: string, t: TensorData): void {
  const data: unknown = t?.data;
  if (!(data instanceof Float32Array)) {
    const kind = typeof data === 'object' && data !== null ? data.constructor.name : data;
    throw Errors.invalidField(`${codec}.encode.data`, 'a Float32Array', kind);
  }
  if (!Array.isArray(t.shape)) throw Errors.invalidField(`${codec}.encode.shape`, 'an array', t.shape);
  t.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw Errors.invalidField(`${codec}.encode.shape[${i}]`, 'an integer in 0..4294967295', d);
    }
  });
  const n = elementCount(t.shape);
  if (n !== t.data.length) {
    throw Errors.invalidField(
      `${codec}.encode.data.length`,
      `${n} (the product of shape [${t.shape.join(', ')}])`,
      t.data.length,
    );
  }
}

/** The bytes of `data` as little-endian fp32, written into `out` at `offset`. */
export function writeF32LE(data: Float32Array, out: Uint8Array, offset: number): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < data.length; i++) view.setFloat32(offset + 4 * i, data[i]!, true);
}

/** `count` little-endian fp32 values read from `bytes` at `offset` into a new array. */
export function readF32LE(bytes: Uint8Array, offset: number, count: number): Float32Array {
  if (LITTLE_ENDIAN) {
    // slice() copies into a fresh, 4-byte-aligned buffer; the source offset may be odd.
    return new Float32Array(bytes.slice(offset, offset + 4 * count).buffer);
  }
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  return out;
}
