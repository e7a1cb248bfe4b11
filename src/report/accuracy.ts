/**
 * The report's accuracy sections: what meanIoU means, each run's final, tail and trivial score
 * (ranked on the tail score), and the run's saved predictions (predictions/, PNG) side by side.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists, type RunRef, type SummaryView } from './data.js';
import { escapeHtml } from './html.js';

/** One saved prediction of a run: image | true mask | predicted mask, inlined as a data: URI. */
export interface PredictionView {
  file: string;
  meanIoU: number | null;
  dataUri: string;
}

/** A run's accuracy as the report shows it. */
export interface RunAccuracy {
  label: string;
  summary: SummaryView | null;
  predictions: PredictionView[];
}

/** What meanIoU is, said once in the report (the README and docs/formats.md say the same). */
export const MEAN_IOU_DEFINITION =
  'meanIoU: per class, IoU = TP / (TP + FP + FN) over all test pixels; meanIoU is the mean over the foreground classes ' +
  '1..C−1 that occur in the truth or the prediction (background, class 0, is reported in final.iou but not averaged). ' +
  'Tail = mean of the last evaluation.tailRounds evaluations (runs are ranked on it). Trivial = meanIoU of the best ' +
  'constant prediction ("every pixel class k") on the same test set: a score at or below it means nothing.';

/** Reads `predictions/index.json` and its PNGs; none when the run saved none. */
export async function readPredictions(dir: string): Promise<PredictionView[]> {
  const index = join(dir, 'predictions', 'index.json');
  if (!(await exists(index))) return [];
  const doc = JSON.parse(await readFile(index, 'utf8')) as { images?: Array<{ file?: unknown; meanIoU?: unknown }> };
  const out: PredictionView[] = [];
  for (const img of doc.images ?? []) {
    if (typeof img.file !== 'string' || !/^[\w.-]+\.png$/.test(img.file)) continue;
    const path = join(dir, 'predictions', img.file);
    if (!(await exists(path))) continue;
    const png = await readFile(path);
    out.push({
      file: img.file,
      meanIoU: typeof img.meanIoU === 'number' ? img.meanIoU : null,
      dataUri: `data:image/png;base64,${png.toString('base64')}`,
    });
  }
  return out;
}

/** Every run's accuracy and predictions. */
export async function runAccuracies(runs: readonly RunRef[], summaries: readonly (SummaryView | null)[]): Promise<RunAccuracy[]> {
  return Promise.all(runs.map(async (r, i) => ({ label: r.label, summary: summaries[i] ?? null, predictions: await readPredictions(r.dir) })));
}

const score = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toFixed(3));

/** The accuracy table, best tail mean IoU first, with the definition of meanIoU above it. */
export function accuracySectionHtml(runs: readonly RunAccuracy[]): string {
  const ranked = runs
    .slice()
    .sort((a, b) => (b.summary?.tailMeanIoU ?? -Infinity) - (a.summary?.tailMeanIoU ?? -Infinity));
  const rows = ranked.map((r, i) => {
    const s = r.summary;
    const trivial = s?.trivialMeanIoU ?? null;
    const flag = trivial !== null && s?.tailMeanIoU != null && s.tailMeanIoU <= trivial ? ' (≤ trivial)' : '';
    return (
      `<tr><td>${i + 1}</td><th scope="row">${escapeHtml(r.label)}</th><td>${score(s?.tailMeanIoU)}${flag}</td>` +
      `<td>${score(s?.finalMeanIoU)}</td><td>${score(trivial)}</td><td>${s?.classes ?? '–'}</td></tr>`
    );
  });
  return `<section id="section-accuracy">
<h2>Accuracy</h2>
<p class="caption">${escapeHtml(MEAN_IOU_DEFINITION)}</p>
<table><thead><tr><th>rank</th><th>run</th><th>tail mean IoU</th><th>final mean IoU</th><th>trivial mean IoU</th><th>classes</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
</section>`;
}

/** Each run's saved predictions in a row: image | true mask | predicted mask, with the image's own meanIoU. */
export function predictionsSectionHtml(runs: readonly RunAccuracy[]): string {
  const withImages = runs.filter((r) => r.predictions.length > 0);
  if (withImages.length === 0) return '';
  const rows = withImages.map(
    (r) => `<div class="pred-run"><h3>${escapeHtml(r.label)}</h3><div class="pred-row">${r.predictions
      .map(
        (p) =>
          `<figure><img src="${p.dataUri}" alt="${escapeHtml(`${r.label} ${p.file}`)}"><figcaption>${escapeHtml(p.file)} · IoU ${score(p.meanIoU)}</figcaption></figure>`,
      )
      .join('')}</div></div>`,
  );
  return `<section id="section-predictions">
<h2>Predictions</h2>
<p class="caption">The first test images of each run at its last evaluation: image | true mask | predicted mask (run folder predictions/), with each image's own mean IoU.</p>
${rows.join('\n')}
</section>`;
}
