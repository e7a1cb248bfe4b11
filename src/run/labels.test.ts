/** A folder set stored 0/255 trains as two classes with a notice, and the summary says what its IoU means. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import type { DataInfo } from './evaluate.js';
import { runScenario } from './simulation.js';
import { tailMeanIoU } from './summary.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** 12 grey 16×16 images; masks 0/255 with a majority foreground (a background square of side 4 + i % 5). */
function binaryFolder(): string {
  const root = temp('splitwire-labels-');
  mkdirSync(join(root, 'images'));
  mkdirSync(join(root, 'masks'));
  for (let i = 0; i < 12; i++) {
    const side = 4 + (i % 5);
    const bg = (x: number, y: number): boolean => x < side && y < side;
    const img = new PNG({ width: 16, height: 16 });
    const mask = new PNG({ width: 16, height: 16 });
    for (let p = 0; p < 256; p++) {
      const b = bg(p % 16, Math.floor(p / 16));
      const v = b ? 60 : 190;
      img.data.set([v, v, v, 255], p * 4);
      const m = b ? 0 : 255;
      mask.data.set([m, m, m, 255], p * 4);
    }
    writeFileSync(join(root, 'images', `${i}.png`), PNG.sync.write(img));
    writeFileSync(join(root, 'masks', `${i}.png`), PNG.sync.write(mask));
  }
  return root;
}

describe('labels and accuracy figures of a 0/255 folder set', { timeout: 120_000 }, () => {
  it('trains as two classes with one notice; summary has data, tail and trivial scores, flags and predictions', async () => {
    const path = binaryFolder();
    const out = temp('splitwire-labels-run-');
    const s = validateScenario({
      name: 'labels',
      seed: 2,
      data: { kind: 'folder', path, size: 16, samplesPerClient: 4, testSamples: 4, styleShift: 0 },
      model: { baseChannels: 2, depth: 3 },
      protocol: { clients: 2, rounds: 3, batchSize: 4 },
      evaluation: { targets: [0.5, 0.99], tailRounds: 2 },
      compute: { workers: 1 },
    });
    const seen: DataInfo[] = [];
    const r = await runScenario(s, { outDir: out, inProcessActors: true, onData: (d) => seen.push(d) });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.notices).toEqual([expect.stringContaining('only the values 0 and 255; read as 2 classes')]);
    const sum = r.summary;
    expect(sum.data).toMatchObject({ kind: 'folder', classes: 2, maskMode: 'binary', testSamples: 4 });
    expect(sum.final.iou).toHaveLength(2);
    // the best constant prediction: every pixel foreground, scoring the test set's foreground share
    const test = seen[0]!;
    expect(test.trivial.class).toBe(1);
    expect(sum.final.trivialMeanIoU).toBe(test.trivial.meanIoU);
    expect(sum.final.trivialMeanIoU!).toBeGreaterThan(0.7);
    expect(sum.timeToAccuracy.map((t) => t.trivial)).toEqual([true, false]);
    const scores = sum.rounds.map((x) => x.meanIoU as number);
    expect(sum.final.tailMeanIoU).toBeCloseTo((scores[1]! + scores[2]!) / 2, 12);
    const index = JSON.parse(readFileSync(join(out, 'predictions', 'index.json'), 'utf8'));
    expect(index.images.map((i: { file: string; round: number }) => [i.file, i.round])).toEqual([0, 1, 2, 3].map((j) => [`test-${j}.png`, 2]));
    for (const j of [0, 1, 2, 3]) expect(existsSync(join(out, 'predictions', `test-${j}.png`))).toBe(true);
    const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(onDisk.final.trivialMeanIoU).toBe(sum.final.trivialMeanIoU);
  });

  it('tailMeanIoU averages the last evaluated rounds only', () => {
    const round = (meanIoU: number | null): Parameters<typeof tailMeanIoU>[0][number] => ({
      round: 0, meanIoU, meanDice: null, loss: null, simulatedSeconds: 0, participants: 1, dropped: [], iou: [], dice: [],
    });
    expect(tailMeanIoU([round(0.1), round(0.5), round(null), round(0.7)], 2)).toBeCloseTo(0.6, 12);
    expect(tailMeanIoU([round(0.4)], 3)).toBe(0.4);
    expect(tailMeanIoU([round(null)], 3)).toBeNull();
  });
});
