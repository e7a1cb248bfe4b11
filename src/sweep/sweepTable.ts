/**
 * The sweep's tables: one row per run (sweep.json `rows`, sweep.csv) and one per setting over
 * its seeds (sweep.json `stats`, sweep-stats.csv): mean and 95 % interval of the tail IoU, the
 * ratios, simulated time and time to accuracy, and the paired difference to the baseline.
 */
import type { RunSummary } from '../run/summary.js';
import { meanInterval, pairedDifference, withinTolerance, type Interval } from './stats.js';

/** One run of the sweep (docs/formats.md). */
export interface SweepRow {
  setting: Record<string, unknown>;
  seed: number;
  key: string;
  dir: string;
  compressionRatio: number | null;
  /** All-in ratio (summary `totals.trafficRatio`), or the split-tensor ratio where a summary lacks it. */
  trafficRatio: number | null;
  meanIoU: number | null;
  /** Summary `final.tailMeanIoU`, or the final IoU where a summary lacks it. */
  tailMeanIoU: number | null;
  /** Summary `final.trivialMeanIoU`: the best constant prediction's score on the same test set. */
  trivialMeanIoU: number | null;
  meanDice: number | null;
  rawBytes: number;
  wireBytes: number;
  simulatedSeconds: number;
  /** Simulated seconds to reach each IoU target (null: not reached), as in the summary. */
  timeToAccuracy: Array<{ meanIoU: number; simulatedSeconds: number | null }>;
  /** 1 = highest tailMeanIoU (ties: fewer wire bytes); rows without a score rank last (see rankRows). */
  rank: number;
}

/** One setting over its seeds. */
export interface SweepStat {
  setting: Record<string, unknown>;
  seeds: number[];
  tailMeanIoU: Interval;
  trafficRatio: Interval;
  compressionRatio: Interval;
  simulatedSeconds: Interval;
  /** Per IoU target, over the seeds that reached it (`n` says how many). */
  timeToAccuracy: Array<{ meanIoU: number; simulatedSeconds: Interval }>;
  /** The baseline setting these are paired with (same other axes, same seeds); null when none. */
  baseline: Record<string, unknown> | null;
  /** tailMeanIoU of this setting minus the baseline's, paired by seed. */
  iouDiffToBaseline: Interval | null;
  /** The interval of the difference lies above −tolerance (null: no baseline or fewer than 2 pairs). */
  withinTolerance: boolean | null;
}

/** A run's row from its summary (fields added to summaries later are read when present). */
export function rowOf(setting: Record<string, unknown>, key: string, dir: string, s: RunSummary): SweepRow {
  const final = s.final as RunSummary['final'] & { tailMeanIoU?: number | null; trivialMeanIoU?: number | null };
  const totals = s.totals as RunSummary['totals'] & { trafficRatio?: number | null };
  return {
    setting,
    seed: s.seed,
    key,
    dir,
    compressionRatio: s.totals.compressionRatio,
    trafficRatio: totals.trafficRatio ?? totals.compressionRatio,
    meanIoU: s.final.meanIoU,
    tailMeanIoU: final.tailMeanIoU ?? final.meanIoU,
    trivialMeanIoU: final.trivialMeanIoU ?? null,
    meanDice: s.final.meanDice,
    rawBytes: s.totals.rawBytes,
    wireBytes: s.totals.wireBytes,
    simulatedSeconds: s.simulatedSeconds,
    timeToAccuracy: s.timeToAccuracy,
    rank: 0,
  };
}

/** Ranks rows in place by tailMeanIoU, best first (ties: fewer wire bytes), and returns them best first. */
export function rankRows<R extends Pick<SweepRow, 'tailMeanIoU' | 'wireBytes' | 'rank'>>(rows: R[]): R[] {
  const score = (r: R): number => r.tailMeanIoU ?? -Infinity;
  const order = rows.slice().sort((a, b) => score(b) - score(a) || a.wireBytes - b.wireBytes);
  order.forEach((r, i) => (r.rank = i + 1));
  return order;
}

const settingId = (s: Record<string, unknown>): string => JSON.stringify(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1)));

/** A `--cases` setting's baseline: the one baseline setting whose fields all agree with it. */
function subBaseline(groups: ReadonlyMap<string, SweepRow[]>, setting: Record<string, unknown>, baseline: { path: string; value: unknown }): SweepRow[] | undefined {
  const fits = [...groups.values()].filter((g) => {
    const other = (g[0] as SweepRow).setting;
    if (String(other[baseline.path]) !== String(baseline.value)) return false;
    return Object.entries(other).every(([k, v]) => k === baseline.path || (k in setting && String(setting[k]) === String(v)));
  });
  return fits.length === 1 ? fits[0] : undefined;
}

/**
 * Statistics per setting (settings in first-seen order). The baseline of a setting is the one
 * with `baseline.path` = `baseline.value` and every other axis equal (with --cases: the
 * one baseline case whose other fields all agree with the setting).
 */
export function sweepStats(rows: readonly SweepRow[], baseline: { path: string; value: unknown }, tolerance: number): SweepStat[] {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const id = settingId(r.setting);
    const g = groups.get(id);
    // A seed counts once per setting, whatever ran twice.
    if (g === undefined) groups.set(id, [r]);
    else if (!g.some((x) => x.seed === r.seed)) g.push(r);
  }
  const bySeed = (g: SweepRow[]): Map<number, number | null> => new Map(g.map((r) => [r.seed, r.tailMeanIoU]));
  return [...groups.values()].map((g) => {
    const setting = (g[0] as SweepRow).setting;
    const base = { ...setting, [baseline.path]: baseline.value };
    const isBase = String(setting[baseline.path]) === String(baseline.value);
    // The same setting with the baseline's value; failing that (--cases), the baseline setting
    // that agrees with this one on every field it sets.
    const baseRows = baseline.path in setting && !isBase ? (groups.get(settingId(base)) ?? subBaseline(groups, setting, baseline)) : undefined;
    const diff = baseRows === undefined ? null : pairedDifference(bySeed(g), bySeed(baseRows));
    const targets = (g[0] as SweepRow).timeToAccuracy.map((t) => t.meanIoU);
    return {
      setting,
      seeds: g.map((r) => r.seed),
      tailMeanIoU: meanInterval(g.map((r) => r.tailMeanIoU)),
      trafficRatio: meanInterval(g.map((r) => r.trafficRatio)),
      compressionRatio: meanInterval(g.map((r) => r.compressionRatio)),
      simulatedSeconds: meanInterval(g.map((r) => r.simulatedSeconds)),
      timeToAccuracy: targets.map((target, i) => ({
        meanIoU: target,
        simulatedSeconds: meanInterval(g.map((r) => r.timeToAccuracy[i]?.simulatedSeconds ?? null)),
      })),
      baseline: baseRows === undefined ? null : base,
      iouDiffToBaseline: diff,
      withinTolerance: diff === null ? null : withinTolerance(diff, tolerance),
    };
  });
}

function cell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? String(Number(v.toPrecision(8))) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** sweep.csv: one line per run. */
export function rowsCsv(rows: readonly SweepRow[], keys: readonly string[]): string {
  const header = [...keys, 'seed', 'compressionRatio', 'trafficRatio', 'meanIoU', 'tailMeanIoU', 'meanDice', 'rawBytes', 'wireBytes', 'simulatedSeconds', 'dir', 'key', 'trivialMeanIoU', 'rank'];
  const lines = rows.map((r) =>
    [...keys.map((k) => r.setting[k]), r.seed, r.compressionRatio, r.trafficRatio, r.meanIoU, r.tailMeanIoU, r.meanDice, r.rawBytes, r.wireBytes, r.simulatedSeconds, r.dir, r.key, r.trivialMeanIoU, r.rank]
      .map(cell)
      .join(','),
  );
  return `${header.join(',')}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** sweep-stats.csv: one line per setting; `_lo`/`_hi` are the 95 % interval. */
export function statsCsv(stats: readonly SweepStat[], keys: readonly string[]): string {
  const iv = (name: string): string[] => [`${name}_mean`, `${name}_lo`, `${name}_hi`];
  const targets = stats[0]?.timeToAccuracy.map((t) => t.meanIoU) ?? [];
  const header = [
    ...keys,
    'seeds',
    ...iv('tailMeanIoU'),
    ...iv('trafficRatio'),
    ...iv('compressionRatio'),
    ...iv('simulatedSeconds'),
    ...targets.flatMap((t) => [...iv(`tta${t}`), `tta${t}_reached`]),
    ...iv('iouDiffToBaseline'),
    'withinTolerance',
  ];
  const ivCells = (i: Interval | null): unknown[] => (i === null ? [null, null, null] : [i.mean, i.low, i.high]);
  const lines = stats.map((s) =>
    [
      ...keys.map((k) => s.setting[k]),
      s.seeds.join(' '),
      ...ivCells(s.tailMeanIoU),
      ...ivCells(s.trafficRatio),
      ...ivCells(s.compressionRatio),
      ...ivCells(s.simulatedSeconds),
      ...s.timeToAccuracy.flatMap((t) => [...ivCells(t.simulatedSeconds), t.simulatedSeconds.n]),
      ...ivCells(s.iouDiffToBaseline),
      s.withinTolerance,
    ]
      .map(cell)
      .join(','),
  );
  return `${header.join(',')}\n${lines.map((l) => `${l}\n`).join('')}`;
}
