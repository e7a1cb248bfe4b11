import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodePredictionPng, encodeSamplePng, writePng } from './png.js';

describe('encodeSamplePng', () => {
  it('puts the image left and the colour-coded mask right', () => {
    const sample = { image: new Float32Array([0, 0.5, 1, 0.2]), mask: new Uint8Array([0, 1, 0, 2]), category: 0 };
    const png = PNG.sync.read(encodeSamplePng(sample));
    expect([png.width, png.height]).toEqual([4, 2]);
    expect(Array.from(png.data.subarray(4, 8))).toEqual([128, 128, 128, 255]); // image (1, 0) = 0.5 grey
    expect(Array.from(png.data.subarray(8, 12))).toEqual([0, 0, 0, 255]); // mask (0, 0) = class 0
    expect(Array.from(png.data.subarray(12, 16))).toEqual([230, 25, 75, 255]); // mask (1, 0) = class 1
  });

  it('reads RGB images and rejects layouts it cannot infer', () => {
    const rgb = { image: new Float32Array([1, 0, 0]), mask: new Uint8Array([0]), category: 0 };
    expect(Array.from(PNG.sync.read(encodeSamplePng(rgb)).data.subarray(0, 4))).toEqual([255, 0, 0, 255]);
    const odd = { image: new Float32Array(8), mask: new Uint8Array(4), category: 0 };
    expect(() => encodeSamplePng(odd)).toThrow('encodeSamplePng: cannot infer the layout');
  });

  it('writes a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-png-'));
    try {
      const path = join(dir, 's.png');
      writePng(path, { image: new Float32Array(4), mask: new Uint8Array(4), category: 0 });
      expect(PNG.sync.read(readFileSync(path)).width).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('encodePredictionPng', () => {
  it('puts image | true mask | predicted mask side by side', () => {
    const sample = { image: new Float32Array([0, 0.5, 1, 0.2]), mask: new Uint8Array([0, 1, 0, 2]), category: 0 };
    const png = PNG.sync.read(encodePredictionPng(sample, Uint8Array.of(1, 1, 0, 0)));
    expect([png.width, png.height]).toEqual([6, 2]);
    const px = (x: number, y: number): number[] => Array.from(png.data.subarray((y * 6 + x) * 4, (y * 6 + x) * 4 + 4));
    expect(px(1, 0)).toEqual([128, 128, 128, 255]); // image (1, 0)
    expect(px(3, 0)).toEqual([230, 25, 75, 255]); // truth (1, 0) = class 1
    expect(px(3, 1)).toEqual([60, 180, 75, 255]); // truth (1, 1) = class 2
    expect(px(4, 0)).toEqual([230, 25, 75, 255]); // prediction (0, 0) = class 1
    expect(px(5, 1)).toEqual([0, 0, 0, 255]); // prediction (1, 1) = class 0
    expect(() => encodePredictionPng(sample, new Uint8Array(3))).toThrow('encodePredictionPng.prediction: must have length 4 (as the mask), got 3');
  });
});
