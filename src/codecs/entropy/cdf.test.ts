import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../errors.js';
import { buildCdf, prepareTable, searchCdf, tableLut, TOTAL } from './cdf.js';

const freqs = (cdf: Uint32Array): number[] => Array.from(cdf.subarray(1), (c, i) => c - cdf[i]!);

describe('buildCdf', () => {
  it('always yields a valid table: starts at 0, ends at 2^16, every freq ≥ 1', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 300 }), fc.boolean(), (w, normalise) => {
        const sum = w.reduce((a, b) => a + b, 0);
        const pmf = normalise && sum > 0 ? w.map((v) => v / sum) : w;
        const { cdf, offset } = buildCdf(pmf, -7);
        expect(offset).toBe(-7);
        expect(cdf.length).toBe(pmf.length + 2);
        expect(cdf[0]).toBe(0);
        expect(cdf[cdf.length - 1]).toBe(TOTAL);
        expect(Math.min(...freqs(cdf))).toBeGreaterThanOrEqual(1);
        expect(() => prepareTable({ cdf, offset }, 't')).not.toThrow();
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('is optimal: no single unit moved between symbols shortens the expected code', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }), (w) => {
        const { cdf } = buildCdf(w, 0);
        const f = freqs(cdf);
        const sum = w.reduce((a, b) => a + b, 0);
        const p = sum <= 1 ? [...w, 1 - sum] : [...w.map((v) => v / sum), 0];
        const total = p.reduce((a, b) => a + b, 0);
        let bestGain = 0;
        let cheapestLoss = Infinity;
        f.forEach((fi, i) => {
          bestGain = Math.max(bestGain, (p[i]! / total) * Math.log2((fi + 1) / fi));
          if (fi > 1) cheapestLoss = Math.min(cheapestLoss, (p[i]! / total) * Math.log2(fi / (fi - 1)));
        });
        expect(bestGain).toBeLessThanOrEqual(cheapestLoss + 1e-12);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('gives the escape the tail mass of a sub-normalised pmf', () => {
    const f = freqs(buildCdf([0.25, 0.5], 0).cdf);
    expect(f).toEqual([16384, 32768, 16384]);
    expect(freqs(buildCdf([1, 2, 1], 0).cdf)).toEqual([16384, 32767, 16384, 1]); // weights: escape at minimum
    expect(freqs(buildCdf([], 5).cdf)).toEqual([TOTAL]); // escape only
    expect(buildCdf(new Float64Array(65535), 0).cdf[65535]).toBe(65535); // every symbol at freq 1
  });

  it('validates its input', () => {
    expect(() => buildCdf([0.5, -0.1], 0)).toThrow('buildCdf.pmf[1]: must be a finite number ≥ 0, got -0.1');
    expect(() => buildCdf([NaN], 0)).toThrow('buildCdf.pmf[0]: must be a finite number ≥ 0, got NaN');
    expect(() => buildCdf(new Float64Array(65536), 0)).toThrow('buildCdf.pmf: must be at most 65535 entries, got 65536');
    expect(() => buildCdf([1], 2 ** 31)).toThrow('buildCdf.offset: must be an int32, got 2147483648');
  });
});

describe('prepareTable', () => {
  it('rejects invalid tables with exact messages', () => {
    const t = (cdf: number[], offset = 0): { cdf: Uint32Array; offset: number } => ({ cdf: Uint32Array.from(cdf), offset });
    expect(() => prepareTable(t([0, 100, 100, TOTAL]), 'x')).toThrow(
      'x.cdf[2]: must be > cdf[1] = 100 (every freq ≥ 1), got 100',
    );
    expect(() => prepareTable(t([1, TOTAL]), 'x')).toThrow('x.cdf[0]: must be 0, got 1');
    expect(() => prepareTable(t([0, 5]), 'x')).toThrow('x.cdf[1]: must be 65536, got 5');
    expect(() => prepareTable(t([0]), 'x')).toThrow('x.cdf: must be a Uint32Array of length 2..65537, got 1');
    expect(() => prepareTable(t([0, TOTAL], 0.5), 'x')).toThrow('x.offset: must be an int32, got 0.5');
    expect(() => prepareTable({ cdf: [0, TOTAL] as unknown as Uint32Array, offset: 0 }, 'x')).toThrow(CodecError);
  });

  it('maps every slot to the symbol whose interval holds it, by lookup and by search alike', () => {
    const prepared = prepareTable({ cdf: Uint32Array.from([0, 3, 65535, TOTAL]), offset: 0 }, 'x');
    expect(prepared.nreg).toBe(2);
    const lut = tableLut(prepared);
    expect([lut[0], lut[2], lut[3], lut[65534], lut[65535]]).toEqual([0, 0, 1, 1, 2]);
    const { cdf } = buildCdf([0.1, 0.0001, 0.3, 0, 0.2, 0.05], 0);
    const full = tableLut(prepareTable({ cdf, offset: 0 }, 'y'));
    for (let slot = 0; slot < TOTAL; slot += 7) expect(searchCdf(cdf, slot)).toBe(full[slot]);
    expect(searchCdf(cdf, TOTAL - 1)).toBe(full[TOTAL - 1]);
  });
});
