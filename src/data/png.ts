/**
 * Debug export: a sample as a PNG with the image on the left and its mask, colour-coded by
 * class, on the right. Not used in training; meant for looking at what a generator makes.
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Sample } from './types.js';

/** Class colours for the mask panel (class 0 black); ids beyond the table wrap around. */
const PALETTE: readonly [number, number, number][] = [
  [0, 0, 0],
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
];

/**
 * Encodes `sample` as PNG bytes (image | mask side by side). The side is `width`, or the
 * square root of the mask length when omitted; channels follow from the image length.
 */
export function encodeSamplePng(sample: Sample, width?: number): Buffer {
  const n = sample.mask.length;
  const w = width ?? Math.round(Math.sqrt(n));
  const h = n / w;
  const c = sample.image.length / n;
  if (!Number.isInteger(h) || !Number.isInteger(c) || (c !== 1 && c !== 3)) {
    throw new Error(
      `encodeSamplePng: cannot infer the layout from image length ${sample.image.length}, mask length ${n}, width ${w}`,
    );
  }
  const png = new PNG({ width: 2 * w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      const left = (y * 2 * w + x) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const v = sample.image[k * c + (c === 1 ? 0 : ch)] as number;
        png.data[left + ch] = Math.max(0, Math.min(255, Math.round(v * 255)));
      }
      png.data[left + 3] = 255;
      const colour = PALETTE[(sample.mask[k] as number) % PALETTE.length] as [number, number, number];
      const right = left + w * 4;
      png.data[right] = colour[0];
      png.data[right + 1] = colour[1];
      png.data[right + 2] = colour[2];
      png.data[right + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/**
 * Encodes image | true mask | predicted mask side by side as PNG bytes (masks colour-coded as in
 * encodeSamplePng), so a reader sees what a score means. The side is `width` or √(mask length).
 */
export function encodePredictionPng(sample: Sample, prediction: Uint8Array, width?: number): Buffer {
  if (prediction.length !== sample.mask.length) {
    throw new RangeError(`encodePredictionPng.prediction: must have length ${sample.mask.length} (as the mask), got ${prediction.length}`);
  }
  const pair = PNG.sync.read(encodeSamplePng(sample, width));
  const w = pair.width / 2;
  const h = pair.height;
  const png = new PNG({ width: 3 * w, height: h });
  for (let y = 0; y < h; y++) {
    pair.data.copy(png.data, y * 3 * w * 4, y * 2 * w * 4, (y + 1) * 2 * w * 4);
    for (let x = 0; x < w; x++) {
      const colour = PALETTE[(prediction[y * w + x] as number) % PALETTE.length] as [number, number, number];
      png.data.set([...colour, 255], (y * 3 * w + 2 * w + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

/** Writes `sample` to `path` as a PNG (image | colour-coded mask), for debugging. */
export function writePng(path: string, sample: Sample, width?: number): void {
  writeFileSync(path, encodeSamplePng(sample, width));
}
