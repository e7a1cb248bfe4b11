/**
 * IEEE 754 binary16 ("half") conversion, written out on the bit patterns so that rounding is
 * exactly round-to-nearest-even in every range (normal, subnormal, overflow), which a
 * float-arithmetic trick cannot promise in JavaScript (double rounding through float64).
 *
 * NaN stays NaN (quiet bit set, top 9 payload bits kept, sign kept); ±Infinity stays ±Infinity;
 * finite values of magnitude ≥ 65520 (halfway above the largest half, 65504) become ±Infinity.
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Half bits of the fp32 whose raw bits are `bits` (u32). */
export function f32BitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | (mant === 0 ? 0x7c00 : 0x7e00 | (mant >>> 13));
  if (exp >= 143) return sign | 0x7c00; // |x| >= 2^16: beyond the rounding boundary 65520
  if (exp >= 113) {
    // Normal half: rebias 127 -> 15 and drop 13 mantissa bits with round-half-even. A carry
    // out of the mantissa correctly bumps the exponent (and 65520.. rounds up to Infinity).
    let h = ((exp - 112) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  // Subnormal half (or zero): value = m · 2^(e-150); in units of 2^-24 that is m >> (126 - e).
  const m = exp === 0 ? mant : mant | 0x800000;
  const shift = 126 - (exp === 0 ? 1 : exp);
  if (shift > 24) return sign; // below 2^-25 (or exactly half of 2^-24 with an even result)
  let h = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) === 1)) h++;
  return sign | h;
}

/** Half bits nearest to `value` (rounded to fp32 first, as a Float32Array store would). */
export function floatToHalf(value: number): number {
  F32[0] = value;
  return f32BitsToHalf(U32[0]!);
}

/** The fp32 bits of the half `h` (exact: every half is representable in fp32). */
export function halfToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: normalise the mantissa into an fp32 normal.
  let e = 113;
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** The value of the half `h` as a number. */
export function halfToFloat(h: number): number {
  U32[0] = halfToF32Bits(h);
  return F32[0]!;
}

/** Every half's fp32 bits, indexed by the half: decoding is one table load per value. */
let decodeTable: Uint32Array | null = null;

/** Lazily built 65536-entry half -> fp32-bits table (256 KiB). */
export function halfDecodeTable(): Uint32Array {
  if (decodeTable === null) {
    decodeTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) decodeTable[h] = halfToF32Bits(h);
  }
  return decodeTable;
}
