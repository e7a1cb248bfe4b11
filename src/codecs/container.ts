/**
 * The splitwire bitstream container ("SWZ1"). Every encoded tensor crosses the wire in
 * one; a corrupt or truncated stream is rejected with a CodecError, never decoded to garbage.
 *
 * Layout (all integers little-endian):
 *
 * | offset        | size   | field                                                    |
 * | ------------- | ------ | -------------------------------------------------------- |
 * | 0             | 4      | magic, ASCII `SWZ1`                                      |
 * | 4             | 1      | version (u8), currently 1                                |
 * | 5             | 1      | codec id length L (u8, 1..255)                           |
 * | 6             | L      | codec id, ASCII `[A-Za-z0-9._-]`, e.g. `quant`           |
 * | 6+L           | 1      | rank R (u8, 0..255)                                      |
 * | 7+L           | 4·R    | dims, u32 each                                           |
 * | 7+L+4R        | 4      | payload length P (u32)                                   |
 * | 11+L+4R       | 4      | CRC-32 (IEEE) of header bytes [0, 11+L+4R) then payload  |
 * | 15+L+4R       | P      | payload                                                  |
 *
 * The checksum covers the header as well as the payload: a payload-only CRC would let a
 * flipped bit in a dimension or in the codec id through undetected. The buffer must end
 * exactly at the payload's end. Header size is `15 + L + 4R` bytes.
 */
import { crc32 } from './crc32.js';
import { Errors } from './errors.js';

/** Bitstream format version written into, and required of, every container. */
export const CONTAINER_VERSION = 1;
/** `SWZ1` read as a little-endian u32. */
const MAGIC = 0x315a5753;
const CODEC_ID = /^[A-Za-z0-9._-]{1,255}$/;
const U32_MAX = 0xffffffff;

/** One decoded container. `payload` is a view into the buffer that was read (no copy). */
export interface Container {
  codec: string;
  shape: number[];
  payload: Uint8Array;
}

/**
 * Codec id of a tensor its sender chose not to send (the loss gate of Ayad et al. 2021): the
 * container carries the tensor's shape and an empty payload, so the message is header only
 * and its receiver knows which tensor was skipped. It never decodes to a tensor.
 */
export const SKIPPED_CODEC = 'skipped';

/**
 * The header-only container of a skipped tensor of `shape`.
 * @example skippedContainer([8, 16, 16, 4]).length === containerHeaderSize('skipped', 4)
 */
export function skippedContainer(shape: number[]): Uint8Array {
  return writeContainer({ codec: SKIPPED_CODEC, shape, payload: new Uint8Array(0) });
}

/** Size in bytes of a container header for this codec id and rank. */
export function containerHeaderSize(codec: string, rank: number): number {
  return 15 + codec.length + 4 * rank;
}

/**
 * Wraps a payload in a container.
 * @example writeContainer({ codec: 'none', shape: [2], payload: new Uint8Array(8) }).length === 33
 */
export function writeContainer(c: Container): Uint8Array {
  const { codec, shape, payload } = c;
  if (typeof codec !== 'string' || !CODEC_ID.test(codec)) {
    throw Errors.invalidField('container.codec', '1..255 characters of [A-Za-z0-9._-]', codec);
  }
  if (!Array.isArray(shape) || shape.length > 255) {
    throw Errors.invalidField('container.shape', 'an array of at most 255 dims', Array.isArray(shape) ? `rank ${shape.length}` : shape);
  }
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > U32_MAX) {
      throw Errors.invalidField(`container.shape[${i}]`, 'an integer in 0..4294967295', d);
    }
  });
  if (!(payload instanceof Uint8Array) || payload.length > U32_MAX) {
    throw Errors.invalidField('container.payload', 'a Uint8Array of at most 4294967295 bytes', payload?.length);
  }
  const header = containerHeaderSize(codec, shape.length);
  const out = new Uint8Array(header + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  out[4] = CONTAINER_VERSION;
  out[5] = codec.length;
  for (let i = 0; i < codec.length; i++) out[6 + i] = codec.charCodeAt(i);
  let p = 6 + codec.length;
  out[p++] = shape.length;
  for (const d of shape) {
    view.setUint32(p, d, true);
    p += 4;
  }
  view.setUint32(p, payload.length, true);
  out.set(payload, header);
  view.setUint32(p + 4, crc32(payload, crc32(out.subarray(0, p + 4))), true);
  return out;
}

/**
 * Parses and verifies a container; throws CodecError on any inconsistency.
 * @example readContainer(writeContainer(c)) // deep-equals c
 */
export function readContainer(buf: Uint8Array): Container {
  if (!(buf instanceof Uint8Array)) throw Errors.invalidField('container', 'a Uint8Array', typeof buf);
  const n = buf.length;
  if (n < 6) throw Errors.truncated(6, n);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== MAGIC) throw Errors.badMagic(magic);
  if (buf[4] !== CONTAINER_VERSION) throw Errors.badVersion(CONTAINER_VERSION, buf[4]!);
  const idLength = buf[5]!;
  if (idLength === 0) throw Errors.badCodecId('length 0');
  if (n < 7 + idLength) throw Errors.truncated(7 + idLength, n);
  let codec = '';
  for (let i = 0; i < idLength; i++) codec += String.fromCharCode(buf[6 + i]!);
  if (!CODEC_ID.test(codec)) throw Errors.badCodecId(`non-identifier byte in ${JSON.stringify(codec)}`);
  let p = 6 + idLength;
  const rank = buf[p++]!;
  const header = containerHeaderSize(codec, rank);
  if (n < header) throw Errors.truncated(header, n);
  const shape = new Array<number>(rank);
  for (let i = 0; i < rank; i++, p += 4) shape[i] = view.getUint32(p, true);
  const declared = view.getUint32(p, true);
  if (declared !== n - header) throw Errors.lengthMismatch(declared, n - header);
  const stored = view.getUint32(p + 4, true);
  const payload = buf.subarray(header);
  const actual = crc32(payload, crc32(buf.subarray(0, p + 4)));
  if (actual !== stored) throw Errors.checksumMismatch(stored, actual);
  return { codec, shape, payload };
}
