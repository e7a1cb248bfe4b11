/** What a sweep prints: a progress line while it runs, a statistics table at the end. */
import { formatSeconds } from '../cli/format.js';
import type { Interval } from './stats.js';
import type { SweepStat } from './sweepTable.js';

/** Counts and elapsed wall time of a sweep's points. */
export interface SweepProgress {
  total: number;
  done: number;
  running: number;
  failed: number;
  elapsedSeconds: number;
}

/**
 * `sweep [######----] 3/5 done · 1 running · 0 failed · ETA 12.0 s`; the ETA assumes the
 * points left take as long as the finished ones did.
 * @example progressLine({ total: 4, done: 1, running: 2, failed: 0, elapsedSeconds: 10 })
 */
export function progressLine(p: SweepProgress): string {
  const width = 20;
  const filled = p.total === 0 ? width : Math.round((width * (p.done + p.failed)) / p.total);
  const left = p.total - p.done - p.failed;
  const eta = p.done === 0 ? '–' : left === 0 ? '0 s' : formatSeconds((p.elapsedSeconds / p.done) * left);
  return `sweep [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} done · ${p.running} running · ${p.failed} failed · ETA ${eta}`;
}

function iv(i: Interval | null, digits: number): string {
  if (i === null || i.mean === null) return '–';
  return i.halfWidth === null ? i.mean.toFixed(digits) : `${i.mean.toFixed(digits)} ± ${i.halfWidth.toFixed(digits)}`;
}

/** The per-setting table printed at the end of a sweep (mean ± 95 % half-width). */
export function statsTable(stats: readonly SweepStat[], keys: readonly string[], tolerance: number): string {
  const header = [...keys, 'seeds', 'tail IoU', 'traffic ratio', 'sim s', 'ΔIoU vs baseline', `within ${tolerance}`];
  const lines = stats.map((s) => [
    ...keys.map((k) => String(s.setting[k])),
    String(s.seeds.length),
    iv(s.tailMeanIoU, 4),
    iv(s.trafficRatio, 2),
    iv(s.simulatedSeconds, 2),
    iv(s.iouDiffToBaseline, 4),
    s.withinTolerance === null ? '–' : s.withinTolerance ? 'yes' : 'no',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => (l[c] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((x, c) => x.padEnd(widths[c] ?? 0)).join('  ').trimEnd();
  return `${[fmt(header), ...lines.map(fmt)].join('\n')}\n`;
}
