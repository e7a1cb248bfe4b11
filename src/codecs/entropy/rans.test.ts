import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../errors.js';
import { laplacePmf, laplaceSymbols } from './bench.js';
import { buildCdf, ransDecode, ransEncode, ransIdealBits, type CdfTable } from './rans.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const tableArb: fc.Arbitrary<CdfTable> = fc
  .tuple(
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
    fc.oneof(fc.integer({ min: -50, max: 50 }), fc.integer({ min: INT32_MIN, max: INT32_MAX })),
  )
  .map(([pmf, offset]) => buildCdf(pmf, offset));

/** Symbols mostly near a table's range, some anywhere in int32. */
const symbolArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -60, max: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: INT32_MIN, max: INT32_MAX }) },
  { weight: 1, arbitrary: fc.constantFrom(INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1) },
);

function roundTrip(symbols: Int32Array, index: Int32Array | null, tables: CdfTable[]): Int32Array {
  return ransDecode(ransEncode(symbols, index, tables), symbols.length, index, tables);
}

describe('rANS coder', () => {
  it('round-trips any int32 sequence under any valid tables', () => {
    fc.assert(
      fc.property(
        fc.array(tableArb, { minLength: 1, maxLength: 7 }), // both lookup (≤ 4 tables) and search decoding
        fc.array(fc.tuple(symbolArb, fc.nat()), { maxLength: 300 }),
        (tables, pairs) => {
          const symbols = Int32Array.from(pairs, ([s]) => s);
          const index = Int32Array.from(pairs, ([, t]) => t % tables.length);
          expect(Array.from(roundTrip(symbols, index, tables))).toEqual(Array.from(symbols));
          expect(Array.from(roundTrip(symbols, null, tables))).toEqual(Array.from(symbols));
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('handles edge tables: escape-only, all 65535 symbols, one dominant symbol', () => {
    const s = Int32Array.from([0, 1, -1, 70000, INT32_MIN, INT32_MAX, 5]);
    const escapeOnly = buildCdf([], 0);
    expect(Array.from(roundTrip(s, null, [escapeOnly]))).toEqual(Array.from(s));
    const flat = buildCdf(new Float64Array(65535).fill(1 / 65536), -32768);
    const wide = Int32Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 70000) - 35000);
    expect(Array.from(roundTrip(wide, null, [flat]))).toEqual(Array.from(wide));
    const dominant = { cdf: Uint32Array.from([0, 65535, 65536]), offset: 0 };
    const zeros = new Int32Array(100_000);
    const bytes = ransEncode(zeros, null, [dominant]);
    expect(bytes.length).toBeLessThanOrEqual(8 + 2 * 2); // 100k × 2.2e-5 bits ≈ 2.2 bits
    expect(Array.from(ransDecode(bytes, zeros.length, null, [dominant]))).toEqual(Array.from(zeros));
  });

  it('codes an empty sequence as the two bare initial states', () => {
    const t = buildCdf([0.5, 0.5], 0);
    const bytes = ransEncode(new Int32Array(0), null, [t]);
    expect(Array.from(bytes)).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    expect(ransDecode(bytes, 0, null, [t]).length).toBe(0);
  });

  it('codes within 0.5% of the ideal length on a Laplacian source', () => {
    const t = buildCdf(laplacePmf(1.5, 12), -12);
    const s = laplaceSymbols(200_000, 1.5, 3);
    const ideal = ransIdealBits(s, null, [t]);
    const coded = 8 * ransEncode(s, null, [t]).length;
    expect(coded).toBeGreaterThan(ideal);
    expect(coded / ideal).toBeLessThan(1.005);
  });

  it('counts escaped values in the ideal length as escape + 4-bit count + 4 bits per chunk', () => {
    const t = { cdf: Uint32Array.from([0, 32768, 65536]), offset: 0 }; // value 0 or escape, 1 bit each
    expect(ransIdealBits(Int32Array.from([0]), null, [t])).toBe(1);
    expect(ransIdealBits(Int32Array.from([1]), null, [t])).toBe(1 + 4); // distance 0: no chunks
    expect(ransIdealBits(Int32Array.from([-1]), null, [t])).toBe(1 + 4 + 4); // zig-zag 1
    expect(ransIdealBits(Int32Array.from([INT32_MIN]), null, [t])).toBe(1 + 4 + 4 * 8); // 2^32 − 1
  });

  it('never hangs or reads out of bounds on corrupt input: throws CodecError or returns count symbols', () => {
    const t = buildCdf(laplacePmf(2, 6), -6);
    const tables = [t, buildCdf([0.9], 0)];
    const s = laplaceSymbols(400, 3, 5);
    const index = Int32Array.from(s, (_, i) => i % 2);
    const good = ransEncode(s, index, tables);
    const many = [...tables, ...tables, ...tables]; // > 4 tables: decoding by CDF search
    expect(Array.from(ransDecode(ransEncode(s, index, many), s.length, index, many))).toEqual(Array.from(s));
    const survives = (bytes: Uint8Array): void => {
      for (const ts of [tables, many]) {
        try {
          expect(ransDecode(bytes, s.length, index, ts).length).toBe(s.length);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }
    };
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 64 }), (bit, cut, junk) => {
        const flipped = good.slice();
        flipped[(bit >> 3) % good.length]! ^= 1 << (bit & 7);
        survives(flipped);
        survives(good.subarray(0, cut % good.length));
        survives(Uint8Array.from([...good, ...junk]));
        survives(junk);
      }),
      { seed: 42, numRuns: 400 },
    );
    expect(() => ransDecode(good.subarray(0, good.length - 2), s.length, index, tables)).toThrow(CodecError);
    expect(() => ransDecode(new Uint8Array(7), 1, null, tables)).toThrow('rans: corrupt stream (length 7 is not 8 + 2·words)');
    expect(() => ransDecode(new Uint8Array(8), 1, null, tables)).toThrow(
      'rans: corrupt stream (initial states 0, 0 not both ≥ 2^16)',
    );
    const empty = ransEncode(new Int32Array(0), null, tables);
    expect(() => ransDecode(Uint8Array.from([...empty, 1, 0]), 0, null, tables)).toThrow(
      'rans: corrupt stream (does not end cleanly (states 65536, 65536, 2 bytes left; expected 65536, 65536, 0 left))',
    );
  });

  it('validates its arguments', () => {
    const t = buildCdf([0.5], 0);
    const s = Int32Array.from([0, 0]);
    expect(() => ransEncode(s, Int32Array.from([0]), [t])).toThrow('rans.tableIndex: must be null or an Int32Array of length 2, got 1');
    expect(() => ransEncode(s, Int32Array.from([0, 1]), [t])).toThrow('rans.tableIndex[1]: must be in 0..0, got 1');
    expect(() => ransEncode(s, null, [])).toThrow('rans.tables: must be a non-empty array of CdfTable, got 0');
    expect(() => ransDecode(new Uint8Array(4), -1, null, [t])).toThrow('rans.count: must be an integer in 0..2147483647, got -1');
    expect(() => ransEncode(s, null, [{ cdf: Uint32Array.from([0, 9, 9, 65536]), offset: 0 }])).toThrow(
      'rans.tables[0].cdf[2]: must be > cdf[1] = 9 (every freq ≥ 1), got 9',
    );
  });
});
