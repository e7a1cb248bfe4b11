import { describe, expect, it } from 'vitest';
import { resizeBilinear, resizeNearest } from './resize.js';

describe('resizeBilinear', () => {
  it('is the identity at the same size', () => {
    const src = Float32Array.from({ length: 3 * 5 * 2 }, (_, i) => i / 30);
    expect(Array.from(resizeBilinear(src, 3, 5, 2, 3, 5))).toEqual(Array.from(src));
  });

  it('averages neighbours on an exact 2× downscale and keeps constants', () => {
    const src = [0, 1, 2, 3, 4, 5, 6, 7]; // 1 row × 8 columns, 1 channel
    expect(Array.from(resizeBilinear(src, 1, 8, 1, 1, 4))).toEqual([0.5, 2.5, 4.5, 6.5]);
    const flat = new Float32Array(7 * 9 * 3).fill(0.3);
    for (const v of resizeBilinear(flat, 7, 9, 3, 4, 13)) expect(v).toBeCloseTo(0.3, 6);
  });
});

describe('resizeNearest', () => {
  it('only produces values present in the source', () => {
    const src = Uint8Array.from({ length: 6 * 6 }, (_, i) => (i % 6 < 3 ? 2 : 5));
    const out = resizeNearest(src, 6, 6, 4, 4);
    expect(new Set(out)).toEqual(new Set([2, 5]));
    expect(Array.from(out.subarray(0, 4))).toEqual([2, 2, 5, 5]);
    expect(Array.from(resizeNearest(Uint8Array.from([1, 2, 3, 4]), 2, 2, 4, 4).subarray(0, 4))).toEqual([1, 1, 2, 2]);
  });
});
