import { describe, expect, it } from 'vitest';
import { benchCoder, brotli11, laplacePmf, laplaceSymbols } from './bench.js';

describe('brotli11', () => {
  it('shrinks a repetitive buffer', () => {
    expect(brotli11(new Uint8Array(10_000))).toBeLessThan(20);
  });
});

describe('benchCoder', () => {
  it('measures a round trip at small size: near-ideal length and smaller than Brotli', () => {
    const r = benchCoder({ symbols: 200_000, brotliSymbols: 100_000, repeats: 1 });
    expect(r.coderEncodeMsymPerS).toBeGreaterThan(0);
    expect(r.coderDecodeMsymPerS).toBeGreaterThan(0);
    expect(r.coderOverheadVsIdeal).toBeGreaterThan(1);
    expect(r.coderOverheadVsIdeal).toBeLessThan(1.005);
    expect(r.coderVsBrotliIid).toBeLessThan(1);
  });

  it('draws a seeded Laplacian that matches its pmf', () => {
    const pmf = laplacePmf(2, 10);
    expect(pmf.reduce((a, b) => a + b, 0)).toBeCloseTo(1 - Math.exp(-10.5 / 2), 12);
    const s = laplaceSymbols(100_000, 2, 9);
    expect(laplaceSymbols(5, 2, 9)).toEqual(s.subarray(0, 5));
    const zeros = s.filter((v) => v === 0).length / s.length;
    expect(zeros).toBeCloseTo(pmf[10]!, 2);
  });
});
