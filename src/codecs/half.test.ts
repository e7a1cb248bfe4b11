import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f32BitsToHalf, floatToHalf, halfDecodeTable, halfToF32Bits, halfToFloat } from './half.js';

/** Independent decoder for the reference: value of a finite half from its fields. */
function refValue(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
}

/** Nearest half to |x| by value, ties to the even bit pattern; brute force over the sorted finite halves. */
function refHalfMagnitude(a: number): number {
  if (a >= 65520) return 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (refValue(mid) <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo === 0x7bff) return a - refValue(lo) < 65520 - a ? lo : 0x7c00;
  const dLo = a - refValue(lo);
  const dHi = refValue(lo + 1) - a;
  if (dLo < dHi) return lo;
  if (dHi < dLo) return lo + 1;
  return lo % 2 === 0 ? lo : lo + 1;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b: number): number => {
  u32[0] = b;
  return f32[0]!;
};

describe('half conversion', () => {
  it('converts known values', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99, 0x7bff],
      [65520, 0x7c00], [1e6, 0x7c00], [Infinity, 0x7c00], [-Infinity, 0xfc00], [0.1, 0x2e66],
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [2 ** -25 * 1.0000001, 0x0001],
      [3 * 2 ** -25, 0x0002], [5 * 2 ** -25, 0x0002], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
      [2047, 0x67ff], [2049, 0x6800], [2051, 0x6802], [1e-10, 0x0000],
    ];
    for (const [x, h] of cases) expect([x, floatToHalf(x)]).toEqual([x, h]);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });

  it('keeps NaN a quiet NaN with its sign and top payload bits', () => {
    expect(f32BitsToHalf(0x7f800001)).toBe(0x7e00);
    expect(f32BitsToHalf(0xffc00000)).toBe(0xfe00);
    expect(f32BitsToHalf(0x7fa02000)).toBe(0x7f01);
    expect(Number.isNaN(halfToFloat(0x7c01))).toBe(true);
  });

  it('round-trips every half exactly and the decode table agrees', () => {
    const table = halfDecodeTable();
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      const back = f32BitsToHalf(table[h]!);
      const ok = isNaN ? (back & 0xfe00) === ((h & 0x8000) | 0x7e00) : back === h;
      if (!ok || table[h] !== halfToF32Bits(h)) bad.push(h);
      if (!isNaN && (h & 0x7fff) < 0x7c00 && halfToFloat(h) !== (h & 0x8000 ? -1 : 1) * refValue(h & 0x7fff)) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('rounds every fp32 to the nearest half, ties to even', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (bits) => {
        const x = fromBits(bits);
        if (Number.isNaN(x)) return;
        const want = (bits >>> 31 ? 0x8000 : 0) | refHalfMagnitude(Math.abs(x));
        expect(f32BitsToHalf(bits)).toBe(want);
      }),
      { seed: 42, numRuns: 10000 },
    );
    fc.assert(
      fc.property(fc.float({ min: -70000, max: 70000, noNaN: true }), (x) => {
        expect(floatToHalf(x)).toBe((Object.is(x, -0) || x < 0 ? 0x8000 : 0) | refHalfMagnitude(Math.abs(x)));
      }),
      { seed: 42, numRuns: 10000 },
    );
    // Dense sweep of the subnormal/normal boundary and of exact ties.
    for (let h = 0; h < 0x0800; h++) {
      const mid = (refValue(h) + refValue(h + 1)) / 2;
      expect(floatToHalf(mid)).toBe(h % 2 === 0 ? h : h + 1);
    }
  });

  it('has relative error at most 2^-11 over the normal range', () => {
    fc.assert(
      fc.property(fc.float({ min: 2 ** -14, max: 65504, noNaN: true }), (x) => {
        const y = halfToFloat(floatToHalf(x));
        expect(Math.abs(y - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -11);
      }),
      { seed: 42, numRuns: 5000 },
    );
  });
});
