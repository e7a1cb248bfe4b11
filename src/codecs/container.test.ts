import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerHeaderSize, readContainer, writeContainer, type Container } from './container.js';
import { CodecError } from './errors.js';

const containerArb: fc.Arbitrary<Container> = fc.record({
  codec: fc.stringMatching(/^[A-Za-z0-9._-]{1,24}$/),
  shape: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 6 }),
  payload: fc.uint8Array({ maxLength: 200 }),
});

function rejects(buf: Uint8Array): boolean {
  try {
    readContainer(buf);
    return false;
  } catch (e) {
    if (e instanceof CodecError) return true;
    throw e;
  }
}

const sample = writeContainer({ codec: 'quant', shape: [2, 3], payload: new Uint8Array([1, 2, 3, 4, 5]) });

describe('container', () => {
  it('round-trips codec id, shape and payload', () => {
    fc.assert(
      fc.property(containerArb, (c) => {
        const buf = writeContainer(c);
        expect(buf.length).toBe(containerHeaderSize(c.codec, c.shape.length) + c.payload.length);
        const back = readContainer(buf);
        expect(back.codec).toBe(c.codec);
        expect(back.shape).toEqual(c.shape);
        expect(Array.from(back.payload)).toEqual(Array.from(c.payload));
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('reads a container that sits at an odd offset inside a larger buffer', () => {
    const big = new Uint8Array(sample.length + 3);
    big.set(sample, 1);
    expect(readContainer(big.subarray(1, 1 + sample.length)).shape).toEqual([2, 3]);
  });

  it('rejects every truncation', () => {
    fc.assert(
      fc.property(containerArb, fc.nat(), (c, cut) => {
        const buf = writeContainer(c);
        expect(rejects(buf.subarray(0, cut % buf.length))).toBe(true);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('rejects every single bit flip, in the header or the payload', () => {
    fc.assert(
      fc.property(containerArb, fc.nat(), (c, bit) => {
        const buf = writeContainer(c);
        const at = bit % (8 * buf.length);
        buf[at >> 3]! ^= 1 << (at & 7);
        expect(rejects(buf)).toBe(true);
      }),
      { seed: 42, numRuns: 500 },
    );
    for (let at = 0; at < 8 * sample.length; at++) {
      const buf = sample.slice();
      buf[at >> 3]! ^= 1 << (at & 7);
      expect(rejects(buf)).toBe(true);
    }
  });

  it('rejects random bytes, with and without a valid magic and version', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (bytes, framed) => {
        const buf = framed ? Uint8Array.from([0x53, 0x57, 0x5a, 0x31, 1, ...bytes]) : bytes;
        expect(rejects(buf)).toBe(true);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('rejects trailing bytes', () => {
    expect(() => readContainer(Uint8Array.from([...sample, 0]))).toThrow(
      'container: length mismatch (header declares a 5-byte payload, buffer holds 6)',
    );
  });

  it('reports each failure with an exact message', () => {
    expect(() => readContainer(sample.subarray(0, 3))).toThrow('container: truncated (need at least 6 bytes, got 3)');
    expect(() => readContainer(sample.subarray(0, 20))).toThrow('container: truncated (need at least 28 bytes, got 20)');
    const badMagic = sample.slice();
    badMagic[0] = 0x41;
    expect(() => readContainer(badMagic)).toThrow("container: bad magic (expected 'SWZ1', got 0x315a5741)");
    const badVersion = sample.slice();
    badVersion[4] = 2;
    expect(() => readContainer(badVersion)).toThrow('container: unsupported version (expected 1, got 2)');
    const badPayload = sample.slice();
    badPayload[sample.length - 1]! ^= 0x10;
    expect(() => readContainer(badPayload)).toThrow(/^container: checksum mismatch \(expected 0x[0-9a-f]{8}, got 0x[0-9a-f]{8}\)$/);
    const badId = sample.slice();
    badId[6] = 0x20;
    expect(() => readContainer(badId)).toThrow('container: bad codec id (non-identifier byte in " uant")');
  });

  it('validates what it writes', () => {
    const ok: Container = { codec: 'none', shape: [1], payload: new Uint8Array(4) };
    expect(() => writeContainer({ ...ok, codec: '' })).toThrow(
      "container.codec: must be 1..255 characters of [A-Za-z0-9._-], got ''",
    );
    expect(() => writeContainer({ ...ok, codec: 'a b' })).toThrow(CodecError);
    expect(() => writeContainer({ ...ok, shape: [3, -1] })).toThrow(
      'container.shape[1]: must be an integer in 0..4294967295, got -1',
    );
    expect(() => writeContainer({ ...ok, shape: [2 ** 32] })).toThrow(CodecError);
    expect(() => writeContainer({ ...ok, shape: new Array(256).fill(1) })).toThrow(
      "container.shape: must be an array of at most 255 dims, got 'rank 256'",
    );
  });

  it('has the documented header layout', () => {
    expect(containerHeaderSize('quant', 2)).toBe(28);
    expect(Array.from(sample.subarray(0, 28 - 4))).toEqual([
      0x53, 0x57, 0x5a, 0x31, 1, 5, 0x71, 0x75, 0x61, 0x6e, 0x74, 2, 2, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0,
    ]);
  });
});
