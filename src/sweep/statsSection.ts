/** The report's table of a sweep's statistics over seeds (sweep.json `stats`). */
import type { Interval } from './stats.js';
import type { SweepStat } from './sweepTable.js';

/** A captioned table for the report page. */
export interface StatsSection {
  caption: string;
  header: string[];
  rows: string[][];
}

const iv = (i: Interval | null | undefined, digits: number): string => {
  if (i === null || i === undefined || i.mean === null) return '–';
  return i.halfWidth === null ? i.mean.toFixed(digits) : `${i.mean.toFixed(digits)} ± ${i.halfWidth.toFixed(digits)}`;
};

/** The statistics of a parsed sweep.json, or null when it has none (tables from before seeds). */
export function statsSection(doc: unknown): StatsSection | null {
  const d = doc as { stats?: SweepStat[]; tolerance?: number; baseline?: Record<string, unknown> } | null;
  if (d === null || !Array.isArray(d.stats) || d.stats.length === 0) return null;
  const keys = Object.keys(d.stats[0]?.setting ?? {});
  const tol = d.tolerance ?? 0.02;
  const base = Object.entries(d.baseline ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'the baseline';
  return {
    caption:
      `Per setting over its seeds: mean ± half-width of the 95 % confidence interval (Student t). ΔIoU is the tail IoU ` +
      `minus that of ${base} with the same seeds and other settings; "within ${tol}" means its interval lies above −${tol}.`,
    header: [...keys, 'seeds', 'tail IoU', 'traffic ratio', 'compression ratio', 'simulated s', 'ΔIoU', `within ${tol}`],
    rows: d.stats.map((s) => [
      ...keys.map((k) => String(s.setting[k])),
      String(s.seeds.length),
      iv(s.tailMeanIoU, 4),
      iv(s.trafficRatio, 2),
      iv(s.compressionRatio, 2),
      iv(s.simulatedSeconds, 2),
      iv(s.iouDiffToBaseline, 4),
      s.withinTolerance === null ? '–' : s.withinTolerance ? 'yes' : 'no',
    ]),
  };
}
