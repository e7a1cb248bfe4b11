/**
 * Fixed-width bit packing, least-significant bit first: value i occupies bits
 * [i·w, (i+1)·w) of the byte stream, bit 0 being the low bit of byte 0. The last byte is
 * zero-padded. Widths 1..16; a 32-bit accumulator never holds more than 23 live bits.
 */

/** Bytes needed for `count` values of `width` bits. */
export function packedSize(count: number, width: number): number {
  return Math.ceil((count * width) / 8);
}

/** Packs `values` (each < 2^width) into `out` starting at byte `offset`; returns the end offset. */
export function packBits(values: Uint16Array, width: number, out: Uint8Array, offset: number): number {
  let p = offset;
  if (width === 8) {
    for (let i = 0; i < values.length; i++) out[p++] = values[i]!;
    return p;
  }
  let acc = 0;
  let live = 0;
  for (let i = 0; i < values.length; i++) {
    acc |= values[i]! << live;
    live += width;
    while (live >= 8) {
      out[p++] = acc & 0xff;
      acc >>>= 8;
      live -= 8;
    }
  }
  if (live > 0) out[p++] = acc & 0xff;
  return p;
}

/** Unpacks `count` values of `width` bits from `bytes` at `offset` (caller checks the length). */
export function unpackBits(bytes: Uint8Array, offset: number, count: number, width: number): Uint16Array {
  const out = new Uint16Array(count);
  let p = offset;
  if (width === 8) {
    for (let i = 0; i < count; i++) out[i] = bytes[p++]!;
    return out;
  }
  const mask = (1 << width) - 1;
  let acc = 0;
  let live = 0;
  for (let i = 0; i < count; i++) {
    while (live < width) {
      acc |= bytes[p++]! << live;
      live += 8;
    }
    out[i] = acc & mask;
    acc >>>= width;
    live -= width;
  }
  return out;
}
