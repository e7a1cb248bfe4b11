import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packBits, packedSize, unpackBits } from './bitpack.js';

describe('bit packing', () => {
  it('packs least-significant bit first', () => {
    const out = new Uint8Array(packedSize(3, 3));
    expect(packBits(Uint16Array.from([0b101, 0b011, 0b110]), 3, out, 0)).toBe(2);
    // bits: 101 | 011<<3 | 110<<6 = 0b1_1001_1101 -> bytes 0x9d, 0x01
    expect(Array.from(out)).toEqual([0x9d, 0x01]);
  });

  it('round-trips any values at any width 1..16', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }).chain((w) =>
          fc.tuple(fc.constant(w), fc.array(fc.nat({ max: 2 ** w - 1 }), { maxLength: 100 })),
        ),
        ([w, vals]) => {
          const values = Uint16Array.from(vals);
          const out = new Uint8Array(1 + packedSize(values.length, w));
          expect(packBits(values, w, out, 1)).toBe(out.length);
          expect(Array.from(unpackBits(out, 1, values.length, w))).toEqual(vals);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});
