import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { siteStyle } from './style.js';
import { generateSynthetic } from './synthetic.js';
import type { Dataset } from './types.js';

function hashDataset(ds: Dataset): string {
  const h = createHash('sha256');
  for (const s of ds.samples) {
    h.update(new Uint8Array(s.image.buffer, s.image.byteOffset, s.image.byteLength));
    h.update(s.mask);
    h.update(String(s.category));
  }
  return h.digest('hex');
}

function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classes).fill(0);
  for (const s of ds.samples) for (const v of s.mask) counts[v] = (counts[v] as number) + 1;
  return counts;
}

describe('generateSynthetic', () => {
  for (const kind of ['lesion', 'blastocyst'] as const) {
    describe(kind, () => {
      const ds = generateSynthetic({ kind, count: 60, size: 64, seed: 3 });

      it('has the declared shape and value range', () => {
        expect(ds.samples).toHaveLength(60);
        expect(ds.classNames).toHaveLength(ds.classes);
        let lo = Infinity;
        let hi = -Infinity;
        let maxId = 0;
        for (const s of ds.samples) {
          expect(s.image).toHaveLength(64 * 64 * ds.channels);
          expect(s.mask).toHaveLength(64 * 64);
          expect(Number.isInteger(s.category) && s.category >= 0 && s.category < 4).toBe(true);
          for (const v of s.image) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
          for (const v of s.mask) maxId = Math.max(maxId, v);
        }
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(hi - lo).toBeGreaterThan(0.3);
        expect(maxId).toBe(ds.classes - 1);
      });

      it('is byte-identical for the same options and differs for another seed', () => {
        const again = generateSynthetic({ kind, count: 60, size: 64, seed: 3 });
        expect(hashDataset(again)).toBe(hashDataset(ds));
        expect(hashDataset(generateSynthetic({ kind, count: 60, size: 64, seed: 4 }))).not.toBe(hashDataset(ds));
      });

      it('draws sample i from its own stream: a smaller set is a prefix', () => {
        const small = generateSynthetic({ kind, count: 5, size: 64, seed: 3 });
        expect(hashDataset(small)).toBe(hashDataset({ ...ds, samples: ds.samples.slice(0, 5) }));
      });

      it('covers every class and every category', () => {
        for (const c of classCounts(ds)) expect(c).toBeGreaterThan(0);
        expect(new Set(ds.samples.map((s) => s.category)).size).toBe(4);
      });

      it('applies a style to images only', () => {
        const style = siteStyle(new Rng(9, 'site'), 1.5);
        const styled = generateSynthetic({ kind, count: 8, size: 64, seed: 3, style });
        styled.samples.forEach((s, i) => {
          const plain = ds.samples[i]!;
          expect(s.mask).toEqual(plain.mask);
          expect(s.category).toBe(plain.category);
          expect(s.image).not.toEqual(plain.image);
        });
      });
    });
  }

  it('lesion covers about 5–40 % of the image', () => {
    const ds = generateSynthetic({ kind: 'lesion', count: 200, size: 64, seed: 1 });
    const fracs = ds.samples.map((s) => s.mask.reduce((a, v) => a + v, 0) / s.mask.length);
    expect(Math.min(...fracs)).toBeGreaterThan(0.03);
    expect(Math.max(...fracs)).toBeLessThan(0.5);
  });

  it('lesion is visible: a per-image luminance threshold already finds it (IoU > 0.7)', () => {
    // Not a learnability proof, but fails if a change makes lesions blend into the skin.
    const ds = generateSynthetic({ kind: 'lesion', count: 100, size: 64, seed: 2 });
    let iouSum = 0;
    for (const s of ds.samples) {
      const lum = Array.from(s.mask, (_, k) => (s.image[3 * k]! + s.image[3 * k + 1]! + s.image[3 * k + 2]!) / 3);
      let fg = 0;
      let bg = 0;
      let nf = 0;
      lum.forEach((l, k) => (s.mask[k] ? ((fg += l), nf++) : (bg += l)));
      const t = (fg / nf + bg / (lum.length - nf)) / 2;
      let inter = 0;
      let union = 0;
      lum.forEach((l, k) => {
        const p = l < t;
        const g = s.mask[k] === 1;
        if (p && g) inter++;
        if (p || g) union++;
      });
      iouSum += inter / union;
    }
    expect(iouSum / ds.samples.length).toBeGreaterThan(0.7);
  });

  it('blastocyst has every class in every sample, and the classes differ in mean intensity', () => {
    const ds = generateSynthetic({ kind: 'blastocyst', count: 40, size: 64, seed: 5 });
    const sum = new Array<number>(5).fill(0);
    const n = new Array<number>(5).fill(0);
    for (const s of ds.samples) {
      const present = new Set(s.mask);
      expect(present.size).toBe(5);
      s.mask.forEach((c, k) => {
        sum[c] = sum[c]! + s.image[k]!;
        n[c] = n[c]! + 1;
      });
    }
    const mean = sum.map((v, c) => v / n[c]!);
    // zona brighter than trophectoderm; inner cell mass darker than the cavity
    expect(mean[1]! - mean[2]!).toBeGreaterThan(0.05);
    expect(mean[4]! - mean[3]!).toBeGreaterThan(0.1);
  });

  it('validates its options with field names', () => {
    expect(() => generateSynthetic({ kind: 'x' as 'lesion', count: 1, size: 64, seed: 1 })).toThrow(
      `generateSynthetic.kind: must be 'lesion' | 'blastocyst', got "x"`,
    );
    expect(() => generateSynthetic({ kind: 'lesion', count: -1, size: 64, seed: 1 })).toThrow(
      'generateSynthetic.count: must be an integer >= 0, got -1',
    );
    expect(() => generateSynthetic({ kind: 'lesion', count: 1, size: 8, seed: 1 })).toThrow(
      'generateSynthetic.size: must be an integer in [16, 1024], got 8',
    );
    const style = { ...siteStyle(new Rng(1), 1), gamma: 0 };
    expect(() => generateSynthetic({ kind: 'lesion', count: 1, size: 64, seed: 1, style })).toThrow(
      'generateSynthetic.style.gamma: must be > 0, got 0',
    );
  });

  it('renders other sizes', () => {
    for (const size of [16, 33, 128]) {
      const ds = generateSynthetic({ kind: 'blastocyst', count: 2, size, seed: 1 });
      expect(ds.samples[0]!.mask).toHaveLength(size * size);
      expect(new Set(ds.samples[0]!.mask).size).toBeGreaterThanOrEqual(4);
    }
  });
});
