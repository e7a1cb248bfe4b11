import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerHeaderSize } from './container.js';
import { createCodec } from './registry.js';

describe('fp16 codec', () => {
  const codec = createCodec({ name: 'fp16' });

  it('has relative error ≤ 2^-11 in the normal range and absolute ≤ 2^-25 below it', () => {
    fc.assert(
      fc.property(fc.float32Array({ min: -65504, max: 65504, noNaN: true, maxLength: 64 }), (data) => {
        const back = codec.decode(codec.encode({ data, shape: [data.length] })).data;
        for (let i = 0; i < data.length; i++) {
          const x = data[i]!;
          const err = Math.abs(back[i]! - x);
          if (Math.abs(x) >= 2 ** -14) expect(err).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
          else expect(err).toBeLessThanOrEqual(2 ** -25);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('keeps NaN, infinities and signed zero; overflows to infinity', () => {
    const data = new Float32Array([NaN, Infinity, -Infinity, -0, 70000, -65520, 65519]);
    const back = codec.decode(codec.encode({ data, shape: [7] })).data;
    expect(Number.isNaN(back[0])).toBe(true);
    expect(Array.from(back.subarray(1))).toEqual([Infinity, -Infinity, -0, Infinity, -Infinity, 65504]);
    expect(Object.is(back[3], -0)).toBe(true);
  });

  it('costs exactly header + 2 bytes per value; empty and constant tensors work', () => {
    const data = new Float32Array(1000).fill(0.25);
    const buf = codec.encode({ data, shape: [10, 100] });
    expect(buf.length).toBe(containerHeaderSize('fp16', 2) + 2000);
    expect(codec.decode(buf).data).toEqual(data);
    expect(codec.decode(codec.encode({ data: new Float32Array(0), shape: [0] })).data.length).toBe(0);
  });
});
