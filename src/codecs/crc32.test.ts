import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Bytewise } from './crc32.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('matches the published IEEE check values', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926); // the CRC catalogue's "check" value
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad);
  });

  it('slicing-by-4 agrees with the byte-wise loop and chains like one buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const k = Math.min(cut, bytes.length);
        expect(crc32(bytes)).toBe(crc32Bytewise(bytes));
        expect(crc32(bytes.subarray(k), crc32(bytes.subarray(0, k)))).toBe(crc32(bytes));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
