/**
 * Held-out evaluation of the global model after a round: an observer's act (it costs no
 * virtual time and sends nothing), run on the pool in chunks, split tensors passed through
 * the run's feature codecs as a deployed model would.
 */
import type { ComputePool } from '../compute/pool.js';
import type { ModelKey } from '../compute/types.js';
import { makeBatch } from '../data/index.js';
import { iouDice, trivialMeanIoU, type TrivialScore } from '../model/index.js';
import type { PartName } from '../model/types.js';
import type { CodecOptions } from '../codecs/types.js';
import type { LearnedRef } from '../compute/types.js';
import type { ClientData } from '../data/index.js';
import type { Dataset } from '../data/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { SummaryData } from './summary.js';

export interface Evaluation {
  meanIoU: number;
  meanDice: number;
  iou: number[];
  dice: number[];
  /** With `keepPredictions` n: the predicted masks (H·W class ids) of test samples 0..n−1. */
  predictions?: Uint8Array[];
}

const CHUNK = 16;

export async function evaluateModel(
  pool: ComputePool,
  model: ModelKey,
  params: Partial<Record<PartName, Float32Array>>,
  test: Dataset,
  codecs: { F1: CodecOptions | LearnedRef; F2: CodecOptions | LearnedRef },
  keepPredictions = 0,
): Promise<Evaluation> {
  const classes = test.classes;
  const jobs: Promise<Float64Array>[] = [];
  const predictions: Uint8Array[] = [];
  for (let i = 0; i < test.samples.length; i += CHUNK) {
    const idx = Array.from({ length: Math.min(CHUNK, test.samples.length - i) }, (_, j) => i + j);
    const b = makeBatch(test, idx);
    const [n, h, w] = b.shape;
    jobs.push(
      pool
        .run({
          task: 'evaluate',
          model,
          params,
          images: { data: b.x, shape: [...b.shape] },
          labels: { data: b.y, shape: [n, h, w] },
          codecs,
          ...(i < keepPredictions ? { prediction: true } : {}),
        })
        .then((r) => {
          const pixels = h * w;
          idx.forEach((sample, j) => {
            if (sample < keepPredictions && r.prediction) predictions[sample] = r.prediction.slice(j * pixels, (j + 1) * pixels);
          });
          return r.confusion as Float64Array;
        }),
    );
  }
  const total = new Float64Array(classes * classes);
  for (const c of await Promise.all(jobs)) for (let i = 0; i < total.length; i++) total[i] = (total[i] as number) + (c[i] as number);
  const m = iouDice(total, classes);
  return { meanIoU: m.meanIoU, meanDice: m.meanDice, iou: m.iou, dice: m.dice, ...(keepPredictions > 0 ? { predictions } : {}) };
}

/** What a run's data is, told before training starts: the labels as read, notices, the trivial score. */
export interface DataInfo {
  data: SummaryData;
  /** Say each once (e.g. masks read as binary). */
  notices: string[];
  /** The best constant prediction on the test set; meanIoU NaN when undefined. */
  trivial: TrivialScore;
}

/** Pixels of each class in a data set's masks. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classes).fill(0);
  for (const s of ds.samples) for (const v of s.mask) counts[v] = (counts[v] as number) + 1;
  return counts;
}

/** The labels as read, the data notices, and the score of the best constant prediction on the test set. */
export function describeData(s: Scenario, data: ClientData): DataInfo {
  const test = data.test;
  return {
    data: { kind: s.data.kind, classes: test.classes, classNames: test.classNames, maskMode: data.maskMode, testSamples: test.samples.length },
    notices: data.notices,
    trivial: trivialMeanIoU(classCounts(test)),
  };
}
