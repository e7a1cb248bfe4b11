import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorFeedback } from './errorFeedback.js';
import { createCodec } from './registry.js';

describe('ErrorFeedback', () => {
  it('loses nothing for good: Σ decoded + residual = Σ inputs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float32Array({ min: -10, max: 10, noNaN: true, minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom<'topk' | 'quant'>('topk', 'quant'),
        (steps, name) => {
          const ef = new ErrorFeedback(createCodec(name === 'topk' ? { name, fraction: 0.1 } : { name, bits: 2 }));
          const sent = new Float64Array(16);
          const input = new Float64Array(16);
          for (const data of steps) {
            const back = ef.decode(ef.encode({ data, shape: [4, 4] })).data;
            for (let i = 0; i < 16; i++) {
              sent[i]! += back[i]!;
              input[i]! += data[i]!;
            }
          }
          const r = ef.residual() as Float32Array;
          for (let i = 0; i < 16; i++) expect(sent[i]! + r[i]!).toBeCloseTo(input[i]!, 3);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('eventually transmits every coordinate of a constant input under topk', () => {
    const ef = new ErrorFeedback(createCodec({ name: 'topk', fraction: 0.1 }));
    const data = new Float32Array(20).map((_, i) => 1 + i / 100);
    const seen = new Set<number>();
    for (let step = 0; step < 12; step++) {
      const back = ef.decode(ef.encode({ data, shape: [20] })).data;
      back.forEach((v, i) => v !== 0 && seen.add(i));
    }
    expect(seen.size).toBe(20);
  });

  it('starts with no residual, so its first call equals the inner codec', () => {
    const inner = createCodec({ name: 'topk', fraction: 0.5 });
    const ef = new ErrorFeedback(inner);
    expect(ef.name).toBe('topk');
    expect(ef.residual()).toBeNull();
    const t = { data: new Float32Array([3, -1, 0.5, 2]), shape: [4] };
    expect(ef.encode(t)).toEqual(inner.encode(t));
    expect(Array.from(ef.residual() as Float32Array)).toEqual([0, -1, 0.5, 0]);
  });

  it('refuses a shape change until reset()', () => {
    const ef = new ErrorFeedback(createCodec({ name: 'topk' }));
    ef.encode({ data: new Float32Array(4), shape: [2, 2] });
    expect(() => ef.encode({ data: new Float32Array(4), shape: [4] })).toThrow(
      'errorFeedback(topk).encode.shape: must be [2, 2] as in the previous call (call reset() to change shape), got [4]',
    );
    ef.reset();
    expect(ef.residual()).toBeNull();
    expect(() => ef.encode({ data: new Float32Array(4), shape: [4] })).not.toThrow();
  });

  it('does not carry a non-finite residual', () => {
    const ef = new ErrorFeedback(createCodec({ name: 'topk', fraction: 0.5 }));
    ef.encode({ data: new Float32Array([Infinity, 1, 2, NaN]), shape: [4] });
    expect(Array.from(ef.residual() as Float32Array)).toEqual([0, 1, 2, 0]);
  });
});
