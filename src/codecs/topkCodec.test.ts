import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerHeaderSize, writeContainer } from './container.js';
import { createCodec } from './registry.js';
import { selectTopk, topkCount } from './topkCodec.js';

/** Reference: sort by |x| descending (NaN largest), ties by index, take k, return ascending. */
function refTopk(x: Float32Array, k: number): number[] {
  const mag = (v: number): number => (Number.isNaN(v) ? Infinity : Math.abs(v));
  const order = Array.from(x.keys()).sort((a, b) => {
    const d = mag(x[b]!) - mag(x[a]!);
    if (Number.isNaN(x[a]) !== Number.isNaN(x[b])) return Number.isNaN(x[a]) ? -1 : 1;
    return d !== 0 && !Number.isNaN(d) ? d : a - b;
  });
  return order.slice(0, k).sort((a, b) => a - b);
}

/** Values with many ties and a wide spread of magnitudes, so all three radix passes matter. */
const tensorArb = fc.array(
  fc.oneof(
    fc.float({ noNaN: true }),
    fc.constantFrom(0, 1, -1, 0.5, 2 ** -20, -(2 ** -20), 1 + 2 ** -23, 1 - 2 ** -24),
  ),
  { maxLength: 200 },
);

describe('topk codec', () => {
  it('keeps exactly the k largest magnitudes (ties to the lower index) and zeroes the rest', () => {
    fc.assert(
      fc.property(tensorArb, fc.double({ min: 0.001, max: 1, noNaN: true }), (vals, fraction) => {
        const data = Float32Array.from(vals);
        const k = topkCount(data.length, fraction);
        const want = refTopk(data, k);
        expect(Array.from(selectTopk(data, k))).toEqual(want);
        const codec = createCodec({ name: 'topk', fraction });
        const back = codec.decode(codec.encode({ data, shape: [data.length] })).data;
        const kept = new Set(want);
        for (let i = 0; i < data.length; i++) expect(back[i]).toBe(kept.has(i) ? data[i] : 0);
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('counts k = round(fraction · n), at least 1, at most n', () => {
    expect(topkCount(0, 0.5)).toBe(0);
    expect(topkCount(1000, 0.01)).toBe(10);
    expect(topkCount(10, 0.01)).toBe(1);
    expect(topkCount(10, 1)).toBe(10);
    expect(topkCount(1_048_576, 0.01)).toBe(10486);
  });

  it('costs exactly header + 4 + 4k + varint gaps', () => {
    const data = new Float32Array(100_000);
    const at = [3, 4, 200, 5000, 99_999];
    at.forEach((i, j) => (data[i] = 10 + j));
    const codec = createCodec({ name: 'topk', fraction: 5 / 100_000 });
    const buf = codec.encode({ data, shape: [100, 1000] });
    // gaps: 3, 0, 195, 4799, 94998 -> 1 + 1 + 2 + 2 + 3 varint bytes
    expect(buf.length).toBe(containerHeaderSize('topk', 2) + 4 + 4 * 5 + 9);
    const back = codec.decode(buf).data;
    expect(Buffer.from(back.buffer).equals(Buffer.from(data.buffer))).toBe(true);
  });

  it('keeps NaN and infinities (documented: divergence stays visible)', () => {
    const data = new Float32Array([1, NaN, 2, -Infinity, 3, 4]);
    const back = createCodec({ name: 'topk', fraction: 0.34 }).decode(
      createCodec({ name: 'topk', fraction: 0.34 }).encode({ data, shape: [6] }),
    ).data;
    expect(Array.from(back)).toEqual([0, NaN, 0, -Infinity, 0, 0]);
  });

  it('handles constant and empty tensors', () => {
    const codec = createCodec({ name: 'topk', fraction: 0.25 });
    const back = codec.decode(codec.encode({ data: new Float32Array(8).fill(-2), shape: [8] })).data;
    expect(Array.from(back)).toEqual([-2, -2, 0, 0, 0, 0, 0, 0]);
    expect(codec.decode(codec.encode({ data: new Float32Array(0), shape: [0] })).data.length).toBe(0);
  });

  it('rejects corrupt payloads inside a valid container', () => {
    const codec = createCodec({ name: 'topk' });
    const wrap = (payload: number[]): Uint8Array => writeContainer({ codec: 'topk', shape: [4], payload: Uint8Array.from(payload) });
    const one = [0, 0, 0x80, 0x3f]; // 1.0f
    expect(() => codec.decode(wrap([5, 0, 0, 0]))).toThrow('topk: corrupt payload (k = 5 exceeds 4 values)');
    expect(() => codec.decode(wrap([1, 0, 0, 0, ...one]))).toThrow('topk: corrupt payload (8 bytes cannot hold 1 values and indices)');
    expect(() => codec.decode(wrap([1, 0, 0, 0, ...one, 4]))).toThrow('topk: corrupt payload (index 4 out of range for 4 values)');
    expect(() => codec.decode(wrap([1, 0, 0, 0, ...one, 0x81]))).toThrow('topk: corrupt payload (index 0 runs past the end)');
    expect(() => codec.decode(wrap([1, 0, 0, 0, ...one, 1, 0]))).toThrow('topk: corrupt payload (1 trailing bytes)');
    expect(Array.from(codec.decode(wrap([1, 0, 0, 0, ...one, 2])).data)).toEqual([0, 0, 1, 0]);
  });
});
