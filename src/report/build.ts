/**
 * Builds the report of a run or sweep folder: report.html (self-contained) and
 * figures/<chart>.svg and .png, returned as files for one atomic write.
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InputError,
  UsageError,
  computeRoi,
  loadTariff,
  readSweep,
  withDuck,
  type FileToWrite,
  type RoiReport,
} from '../roi/index.js';
import { checkRuns } from './runCheck.js';
import { bytesPerRound, exists, readSummary, roundTimeline, runsOf, type BytesRow, type SummaryView } from './data.js';
import {
  accuracyVsTimeSpec,
  bytesPerRoundSpec,
  rateAccuracySpec,
  timelineSpec,
  type AccuracyPoint,
  type ChartSpec,
  type RatePoint,
} from './specs.js';
import { renderReportHtml } from './html.js';
import { chartPngs, chartSvg } from './figures.js';
import { accuracySectionHtml, predictionsSectionHtml, runAccuracies } from './accuracy.js';
import { findChromium } from './chromium.js';
import { statsSection, type StatsSection } from '../sweep/statsSection.js';

/** The tariff used for the ROI section when the folder has no roi.json. */
export const DEFAULT_TARIFF = fileURLToPath(new URL('../../scenarios/tariffs/cloud-egress.yaml', import.meta.url));

export interface ReportOptions {
  /** Run or sweep folder; report.html and figures/ go there. */
  dir: string;
  /** Tariff for the ROI section when there is no roi.json (default: scenarios/tariffs/cloud-egress.yaml). */
  tariff?: string;
  /** Report an interrupted or killed run, every figure labelled partial (default: refuse it). */
  partial?: boolean;
  /** Round shown in the timeline (default: the first round in the logs). */
  round?: number;
  /** Write PNG figures (default true; needs Chromium). */
  png?: boolean;
  /** Chromium executable (default: findChromium()). */
  chromium?: string;
  /** Most bars in the timeline chart (default 3000). */
  maxBars?: number;
}

export interface BuiltReport {
  files: FileToWrite[];
  /** Things the user should know: PNGs skipped, a chart without data, ROI not computed. */
  notes: string[];
}

function runSubtitle(s: SummaryView | null, dir: string): string {
  if (!s) return `run folder ${dir}`;
  const parts = [
    s.scenario ? `scenario ${s.scenario}` : null,
    s.codec ? `codec ${s.codec}` : null,
    s.clients !== null ? `${s.clients} clients` : null,
    s.backend ? `backend ${s.backend}` : null,
    s.seed !== null ? `seed ${s.seed}` : null,
  ];
  return parts.filter((p) => p !== null).join(' · ');
}

/** A path relative to the working folder when it lies inside it (the default tariff's, say). */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.length > 0 && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

async function roiFor(
  dir: string,
  firstTraffic: string | null,
  sweepPath: string | null,
  tariffPath: string,
  notes: string[],
): Promise<{ report: RoiReport; source: string } | null> {
  const roiJson = join(dir, 'roi.json');
  if (await exists(roiJson)) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(roiJson, 'utf8'));
    } catch (err) {
      throw new InputError(`${roiJson}: not valid JSON: ${(err as Error).message}`);
    }
    if ((doc as { splitwire?: unknown } | null)?.splitwire !== 'roi/1') {
      throw new InputError(`${roiJson}: splitwire: must be "roi/1" (written by splitwire roi --out), got ${JSON.stringify((doc as { splitwire?: unknown } | null)?.splitwire)}`);
    }
    return { report: doc as RoiReport, source: `From ${roiJson} (written by splitwire roi).` };
  }
  if (!firstTraffic) {
    notes.push('ROI not shown: no traffic.ndjson and no roi.json.');
    return null;
  }
  try {
    const shown = displayPath(tariffPath);
    const report = await computeRoi({
      log: firstTraffic,
      tariff: await loadTariff(tariffPath),
      tariffPath: shown,
      ...(sweepPath ? { sweep: sweepPath } : {}),
    });
    return {
      report,
      source: `Computed for this report with the tariff ${shown}; run splitwire roi --out ${join(dir, 'roi.json')} with your own tariff to replace it.`,
    };
  } catch (err) {
    if (err instanceof InputError || err instanceof UsageError) {
      notes.push(`ROI not shown: ${err.message}`);
      return null;
    }
    throw err;
  }
}

/** Builds the report's files in memory. */
export async function buildReport(options: ReportOptions): Promise<BuiltReport> {
  const dir = options.dir;
  const notes: string[] = [];
  const { kind, runs, sweepPath } = await runsOf(dir);
  const partialLabel = await checkRuns(
    runs.map((r) => r.dir),
    (await exists(join(dir, 'roi.json'))) ? join(dir, 'roi.json') : null,
    options.partial === true,
  );
  const summaries = await Promise.all(runs.map((r) => readSummary(join(r.dir, 'summary.json'))));
  const hasTraffic = await Promise.all(runs.map((r) => exists(join(r.dir, 'traffic.ndjson'))));

  // Rate–accuracy: the sweep's table, or the run's one point.
  let rate: RatePoint[] = [];
  let stats: StatsSection | null = null;
  if (sweepPath) {
    stats = statsSection(JSON.parse(await readFile(sweepPath, 'utf8')));
    const sweep = await readSweep(sweepPath);
    rate = sweep.rows
      .map((r, i) => ({ label: runs[i]!.label, compressionRatio: r.compressionRatio, meanIoU: r.tailMeanIoU ?? r.meanIoU }))
      .filter((p): p is RatePoint => p.compressionRatio !== null && p.compressionRatio > 0 && p.meanIoU !== null);
  } else {
    const s = summaries[0];
    if (s && s.compressionRatio !== null && s.compressionRatio > 0 && s.finalMeanIoU !== null) {
      rate = [{ label: s.codec ?? 'run', compressionRatio: s.compressionRatio, meanIoU: s.tailMeanIoU ?? s.finalMeanIoU }];
    }
  }
  const accuracy: AccuracyPoint[] = summaries.flatMap((s, i) =>
    (s?.rounds ?? []).map((r) => ({
      series: kind === 'sweep' ? runs[i]!.label : (s?.codec ?? 'run'),
      round: r.round,
      simulatedSeconds: r.simulatedSeconds,
      meanIoU: r.meanIoU,
    })),
  );

  const maxBars = options.maxBars ?? 3000;
  const { bytes, timeline } = await withDuck(async (db) => {
    const bytes: BytesRow[] = [];
    for (const [i, run] of runs.entries()) {
      if (hasTraffic[i]) bytes.push(...(await bytesPerRound(db, join(run.dir, 'traffic.ndjson'), run.label)));
    }
    let timeline = null;
    for (const run of runs) {
      timeline = await roundTimeline(db, run, options.round ?? null, maxBars);
      if (timeline) break;
    }
    return { bytes, timeline };
  });

  const charts: ChartSpec[] = [];
  if (rate.length > 0) {
    charts.push({
      id: 'rate-accuracy',
      title: 'Rate–accuracy',
      caption:
        kind === 'sweep'
          ? `Tail mean IoU (final where a table has none) against the compression ratio of the split tensors, one point per setting (sweep.json).`
          : `This run's one point: tail mean IoU (final where the summary has none) against the compression ratio of the split tensors (summary.json).`,
      spec: rateAccuracySpec(rate),
    });
  } else notes.push('Rate–accuracy chart omitted: no compression ratio and final IoU found.');
  if (bytes.length > 0) {
    charts.push({
      id: 'bytes-per-round',
      title: 'Bytes per round',
      caption: 'Wire bytes per round by message kind; up = from clients, down = to clients (traffic.ndjson).',
      spec: bytesPerRoundSpec(bytes, kind === 'sweep'),
    });
  } else notes.push('Bytes-per-round chart omitted: no traffic.ndjson.');
  if (accuracy.length > 0) {
    charts.push({
      id: 'accuracy-vs-time',
      title: 'Accuracy against simulated time',
      caption: 'Mean IoU at the end of each round against the simulated time then (summary.json rounds).',
      spec: accuracyVsTimeSpec(accuracy),
    });
  } else notes.push('Accuracy chart omitted: no per-round accuracy in summary.json.');
  if (timeline) {
    const trimmed = timeline.bars.length < timeline.total ? `; the first ${timeline.bars.length} of ${timeline.total} shown` : '';
    charts.push({
      id: 'round-timeline',
      title: `Timeline of round ${timeline.round}`,
      caption:
        `${kind === 'sweep' ? `Setting ${timeline.run}: ` : ''}compute tasks per actor (timeline.ndjson) and messages ` +
        `per client link, ↑ up and ↓ down (traffic.ndjson), in virtual time${trimmed}.`,
      spec: timelineSpec(timeline),
    });
  } else notes.push('Timeline chart omitted: no timeline.ndjson or traffic.ndjson entries for that round.');

  if (partialLabel !== null) {
    // Every figure says it, in the page and in the standalone SVG/PNG files.
    for (const c of charts) {
      c.title = `${c.title} — ${partialLabel}`;
      c.spec = { ...c.spec, title: { text: partialLabel.toUpperCase(), color: '#b00020' } } as typeof c.spec;
    }
    notes.unshift(`This is a ${partialLabel}: every figure shows only what it did.`);
  }
  const firstTraffic = runs.findIndex((_, i) => hasTraffic[i]);
  const roi = await roiFor(
    dir,
    firstTraffic < 0 ? null : join(runs[firstTraffic]!.dir, 'traffic.ndjson'),
    sweepPath,
    options.tariff ?? DEFAULT_TARIFF,
    notes,
  );

  const runScores = await runAccuracies(runs, summaries);
  const sections = summaries.some((s) => s !== null) ? [accuracySectionHtml(runScores)] : [];
  const predictions = predictionsSectionHtml(runScores);
  if (predictions.length > 0) sections.push(predictions);

  const scenario = summaries.find((s) => s?.scenario)?.scenario ?? basename(resolve(dir));
  const html = await renderReportHtml({
    title: `splitwire report — ${scenario}`,
    subtitle: kind === 'sweep' ? `Sweep of ${runs.length} settings · ${dir}` : runSubtitle(summaries[0] ?? null, dir),
    charts,
    roi,
    notes: [...notes],
    sections,
    stats,
  });

  const files: FileToWrite[] = [{ path: join(dir, 'report.html'), content: html }];
  for (const c of charts) files.push({ path: join(dir, 'figures', `${c.id}.svg`), content: await chartSvg(c.spec) });
  if (options.png ?? true) {
    const chromium = options.chromium ?? (await findChromium());
    if (chromium) {
      const pngs = await chartPngs(html, charts.map((c) => c.id), chromium);
      for (const [id, png] of pngs) files.push({ path: join(dir, 'figures', `${id}.png`), content: png });
    } else {
      notes.push('PNG figures skipped: no Chromium found (install chromium, or set SPLITWIRE_CHROMIUM).');
    }
  }
  return { files, notes };
}
