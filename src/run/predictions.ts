/**
 * `predictions/` of a run folder: a few fixed test images (the first of the test set) with their
 * true and predicted masks as PNG, and `predictions/index.json` with each one's scores, so a
 * reader can see what a meanIoU looks like.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePredictionPng } from '../data/index.js';
import type { Dataset, Sample } from '../data/types.js';
import { confusion, iouDice } from '../model/index.js';

/** Test images saved per run. */
export const PREDICTION_IMAGES = 4;

/** One saved prediction (an entry of `predictions/index.json`). */
export interface PredictionEntry {
  /** PNG file name inside `predictions/`: image | true mask | predicted mask. */
  file: string;
  /** Index in the run's test set. */
  testIndex: number;
  round: number;
  /** meanIoU of this image alone (classes 1..C−1 present), null when undefined. */
  meanIoU: number | null;
}

/**
 * Writes `predictions/test-<j>.png` for each predicted mask and `predictions/index.json`.
 * @example writePredictions('runs/quickstart', ds.test, ev.predictions, 7)
 */
export function writePredictions(outDir: string, test: Dataset, predictions: readonly Uint8Array[], round: number): PredictionEntry[] {
  const dir = join(outDir, 'predictions');
  mkdirSync(dir, { recursive: true });
  const entries = predictions.map((pred, j): PredictionEntry => {
    const sample = test.samples[j] as Sample;
    const file = `test-${j}.png`;
    writeFileSync(join(dir, file), encodePredictionPng(sample, pred, test.width));
    const m = iouDice(confusion(pred, sample.mask, test.classes), test.classes).meanIoU;
    return { file, testIndex: j, round, meanIoU: Number.isNaN(m) ? null : m };
  });
  writeFileSync(join(dir, 'index.json'), `${JSON.stringify({ classNames: test.classNames, images: entries }, null, 2)}\n`);
  return entries;
}
