/** The symbol-at-a-time reader agrees with ransDecode on every stream ransEncode writes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCdf, type CdfTable } from '../entropy/cdf.js';
import { ransDecode, ransEncode } from '../entropy/rans.js';
import { CodecError } from '../errors.js';
import { RansReader } from './ransReader.js';

const tableArb = fc
  .tuple(fc.array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }), fc.integer({ min: -8, max: 8 }))
  .map(([w, offset]): CdfTable => buildCdf(w, offset));

const caseArb = fc
  .array(tableArb, { minLength: 1, maxLength: 6 })
  .chain((tables) =>
    fc.record({
      tables: fc.constant(tables),
      items: fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: tables.length - 1 }),
          // Mostly in range, sometimes far outside (escape path).
          fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -10, max: 20 }) }, { weight: 1, arbitrary: fc.integer({ min: -1e6, max: 1e6 }) }),
        ),
        { maxLength: 300 },
      ),
    }),
  );

function decodeAll(bytes: Uint8Array, tables: CdfTable[], index: Int32Array): Int32Array {
  const r = new RansReader(bytes, tables);
  const out = Int32Array.from(index, (t) => r.next(t));
  r.finish();
  return out;
}

describe('RansReader', () => {
  it('decodes what ransEncode wrote, symbol for symbol, as ransDecode does', () => {
    fc.assert(
      fc.property(caseArb, ({ tables, items }) => {
        const index = Int32Array.from(items, ([t]) => t);
        const symbols = Int32Array.from(items, ([, s]) => s);
        const bytes = ransEncode(symbols, index, tables);
        expect(Array.from(decodeAll(bytes, tables, index))).toEqual(Array.from(symbols));
        expect(Array.from(ransDecode(bytes, symbols.length, index, tables))).toEqual(Array.from(symbols));
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('on a damaged stream throws CodecError or yields other symbols, and never reads past the end', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ tables, items }, at, flip) => {
        const index = Int32Array.from(items, ([t]) => t);
        const symbols = Int32Array.from(items, ([, s]) => s);
        const bytes = ransEncode(symbols, index, tables);
        const bad = bytes.slice();
        bad[at % bad.length] = (bad[at % bad.length] as number) ^ flip;
        try {
          const got = decodeAll(bad, tables, index);
          const same = got.every((v, i) => v === symbols[i]);
          expect(same).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('rejects truncated streams and streams with data left over', () => {
    const t = [buildCdf([0.5, 0.25, 0.125], 0)];
    const symbols = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 3);
    const index = new Int32Array(200);
    const bytes = ransEncode(symbols, index, t);
    expect(() => decodeAll(bytes.subarray(0, bytes.length - 2), t, index)).toThrow(CodecError);
    expect(() => decodeAll(bytes, t, index.subarray(0, 150))).toThrow(/does not end cleanly/);
    expect(() => new RansReader(bytes.subarray(0, 5), t)).toThrow('rans: corrupt stream (length 5 is not 8 + 2·words)');
    expect(() => new RansReader(bytes, t).next(3)).toThrow('rans.tableIndex: must be in 0..0, got 3');
  });
});
