import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerHeaderSize, writeContainer } from './container.js';
import { createCodec } from './registry.js';

const finite = fc.float32Array({ noNaN: true, noDefaultInfinity: true, minLength: 1, maxLength: 80 });

describe('quant codec', () => {
  it('keeps |x − x̂| within half a step, at every width, over the whole fp32 range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), finite, (bits, data) => {
        const codec = createCodec({ name: 'quant', bits });
        const back = codec.decode(codec.encode({ data, shape: [data.length] })).data;
        let min = Infinity;
        let max = -Infinity;
        for (const v of data) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        // fp32 rounding of x̂ adds at most one ulp of the largest magnitude.
        const eps = 2 ** -23 * Math.max(Math.abs(min), Math.abs(max));
        const bound = (max - min) / (2 ** bits - 1) / 2 + eps;
        for (let i = 0; i < data.length; i++) expect(Math.abs(data[i]! - back[i]!)).toBeLessThanOrEqual(bound);
        expect(Math.min(...back)).toBe(min);
        expect(Math.max(...back)).toBe(max);
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('costs exactly header + 9 + ceil(n·bits/8) bytes: 8 bits is ~1/4 of fp32', () => {
    const data = new Float32Array(4096).map((_, i) => Math.sin(i));
    for (const bits of [1, 3, 8, 12, 16]) {
      const buf = createCodec({ name: 'quant', bits }).encode({ data, shape: [64, 64] });
      expect(buf.length).toBe(containerHeaderSize('quant', 2) + 9 + Math.ceil((4096 * bits) / 8));
    }
    const q8 = createCodec({ name: 'quant' }).encode({ data, shape: [64, 64] }).length;
    const raw = createCodec({ name: 'none' }).encode({ data, shape: [64, 64] }).length;
    expect(q8 / raw).toBeCloseTo(0.25, 2);
  });

  it('decodes constant and empty tensors exactly', () => {
    const codec = createCodec({ name: 'quant', bits: 3 });
    const constant = new Float32Array(33).fill(-1.25);
    expect(codec.decode(codec.encode({ data: constant, shape: [33] })).data).toEqual(constant);
    expect(codec.decode(codec.encode({ data: new Float32Array(0), shape: [2, 0] }))).toEqual({
      data: new Float32Array(0),
      shape: [2, 0],
    });
  });

  it('reads the bit width from the stream', () => {
    const data = new Float32Array([0, 1, 2, 3]);
    const buf = createCodec({ name: 'quant', bits: 2 }).encode({ data, shape: [4] });
    expect(createCodec({ name: 'quant', bits: 16 }).decode(buf).data).toEqual(data);
  });

  it('refuses non-finite input with the index (documented: no grid for NaN/Infinity)', () => {
    const codec = createCodec({ name: 'quant' });
    expect(() => codec.encode({ data: new Float32Array([0, 1, NaN]), shape: [3] })).toThrow(
      'quant.encode.data[2]: must be finite, got NaN',
    );
    expect(() => codec.encode({ data: new Float32Array([-Infinity]), shape: [1] })).toThrow(
      'quant.encode.data[0]: must be finite, got -Infinity',
    );
  });

  it('rejects corrupt payloads inside a valid container', () => {
    const codec = createCodec({ name: 'quant' });
    const wrap = (payload: number[]): Uint8Array => writeContainer({ codec: 'quant', shape: [2], payload: Uint8Array.from(payload) });
    expect(() => codec.decode(wrap([8, 0, 0]))).toThrow('quant: corrupt payload (3 bytes, need at least 9)');
    expect(() => codec.decode(wrap([17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow('quant: corrupt payload (bit width 17 outside 1..16)');
    expect(() => codec.decode(wrap([8, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(
      'quant: corrupt payload (10 bytes, expected 11 for 2 values at 8 bits)',
    );
    // min = 1, max = 0
    expect(() => codec.decode(wrap([8, 0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0]))).toThrow(
      'quant: corrupt payload (range [1, 0] is not a finite interval)',
    );
  });
});
