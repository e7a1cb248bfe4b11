import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/types.js';
import { writePredictions } from './predictions.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('writePredictions', () => {
  it('writes image | truth | prediction PNGs and their per-image meanIoU', () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-pred-'));
    dirs.push(dir);
    const mask = Uint8Array.of(0, 1, 1, 1);
    const test: Dataset = {
      name: 't',
      height: 2,
      width: 2,
      channels: 1,
      classes: 2,
      classNames: ['background', 'foreground'],
      samples: [
        { image: new Float32Array(4), mask, category: 0 },
        { image: new Float32Array(4), mask, category: 0 },
      ],
    };
    const entries = writePredictions(dir, test, [Uint8Array.of(1, 1, 1, 1), Uint8Array.of(0, 0, 0, 0)], 4);
    expect(entries).toEqual([
      { file: 'test-0.png', testIndex: 0, round: 4, meanIoU: 0.75 }, // all foreground: 3 of 4 pixels
      { file: 'test-1.png', testIndex: 1, round: 4, meanIoU: 0 },
    ]);
    const png = PNG.sync.read(readFileSync(join(dir, 'predictions', 'test-0.png')));
    expect([png.width, png.height]).toEqual([6, 2]);
    const index = JSON.parse(readFileSync(join(dir, 'predictions', 'index.json'), 'utf8'));
    expect(index.images).toEqual(entries);
    expect(index.classNames).toEqual(['background', 'foreground']);
  });
});
