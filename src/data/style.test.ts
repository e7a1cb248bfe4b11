import { describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { applyStyle, identityStyle, isIdentityStyle, siteStyle, validateStyle } from './style.js';

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 97) / 96);
}

describe('siteStyle', () => {
  it('is the identity at strength 0', () => {
    expect(isIdentityStyle(siteStyle(new Rng(1, 's'), 0))).toBe(true);
  });

  it('is deterministic and differs between sites', () => {
    const a = siteStyle(new Rng(1).child('site/0/style'), 1);
    expect(siteStyle(new Rng(1).child('site/0/style'), 1)).toEqual(a);
    expect(siteStyle(new Rng(1).child('site/1/style'), 1)).not.toEqual(a);
    expect(isIdentityStyle(a)).toBe(false);
  });

  it('stays within its documented bounds at any strength', () => {
    for (let i = 0; i < 200; i++) {
      const s = siteStyle(new Rng(i), 5);
      expect(Math.abs(s.brightness)).toBeLessThanOrEqual(0.25);
      expect(s.contrast).toBeGreaterThanOrEqual(Math.exp(-0.6) - 1e-12);
      expect(s.gamma).toBeLessThanOrEqual(Math.exp(0.7) + 1e-12);
      expect(() => validateStyle(s, 'x')).not.toThrow();
    }
  });

  it('rejects a negative strength', () => {
    expect(() => siteStyle(new Rng(1), -1)).toThrow('siteStyle.strength: must be a finite number >= 0, got -1');
  });
});

describe('applyStyle', () => {
  it('leaves the input alone and keeps values in [0, 1]', () => {
    const img = ramp(16 * 16 * 3);
    const copy = new Float32Array(img);
    const style = { brightness: 0.3, contrast: 2, gamma: 0.5, tint: [1.3, 0.8, 1] as [number, number, number], noiseStd: 0.1, blur: 1 };
    const out = applyStyle(img, 16, 16, 3, style, new Rng(2));
    expect(img).toEqual(copy);
    for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('is exact for the identity style', () => {
    const img = ramp(8 * 8);
    expect(applyStyle(img, 8, 8, 1, identityStyle(), new Rng(3))).toEqual(img);
  });

  it('applies brightness, contrast and gamma in the documented order', () => {
    const img = new Float32Array([0.25, 0.5, 0.75, 1]);
    const style = { ...identityStyle(), brightness: 0.1, contrast: 0.5, gamma: 2 };
    const out = applyStyle(img, 2, 2, 1, style, new Rng(4));
    const expected = [0.25, 0.5, 0.75, 1].map((v) => Math.min(1, Math.max(0, (v - 0.5) * 0.5 + 0.6)) ** 2);
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('tints RGB per channel and grey by the luma-weighted gain', () => {
    const style = { ...identityStyle(), tint: [0.5, 1, 2] as [number, number, number] };
    const rgb = applyStyle(new Float32Array([0.4, 0.4, 0.4]), 1, 1, 3, style, new Rng(5));
    expect(Array.from(rgb)).toEqual([0.2, 0.4, 0.8].map((v) => Math.fround(v)));
    const grey = applyStyle(new Float32Array([0.4]), 1, 1, 1, style, new Rng(5));
    expect(grey[0]).toBeCloseTo(0.4 * (0.299 * 0.5 + 0.587 + 0.114 * 2), 6);
  });

  it('adds noise of the requested size', () => {
    const img = new Float32Array(64 * 64).fill(0.5);
    const out = applyStyle(img, 64, 64, 1, { ...identityStyle(), noiseStd: 0.05 }, new Rng(6));
    const std = Math.sqrt(out.reduce((a, v) => a + (v - 0.5) ** 2, 0) / out.length);
    expect(std).toBeCloseTo(0.05, 2);
  });
});

describe('validateStyle', () => {
  it('names the bad field', () => {
    expect(() => validateStyle({ ...identityStyle(), noiseStd: -0.1 }, 'data.style')).toThrow(
      'data.style.noiseStd: must be >= 0, got -0.1',
    );
    expect(() => validateStyle({ ...identityStyle(), tint: [1, 1] as unknown as [number, number, number] }, 's')).toThrow(
      's.tint: must be three RGB gains, got [1,1]',
    );
  });
});
