/**
 * `splitwire sweep`: runs a scenario over a grid of settings and writes one table of
 * compression ratio against accuracy (sweep.json, sweep.csv), each run in its own folder.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadScenario, parseOverride, type Override } from '../scenario/load.js';
import type { DataInfo } from '../run/evaluate.js';
import { runScenario } from '../run/simulation.js';
import { dataBanner } from './runCommand.js';
import type { RunSummary } from '../run/summary.js';
import { formatBytes } from './format.js';
import type { Io } from './io.js';

export const SWEEP_HELP = `Usage: splitwire sweep <scenario.yaml> --set a.b=v1,v2,... [--set c.d=w1,w2] [options]

Runs every combination of the listed values (a grid) and writes
  DIR/<setting>/{summary.json,traffic.ndjson,timeline.ndjson}   one folder per run
  DIR/sweep.json, DIR/sweep.csv                                 one row per run:
      setting, compression ratio, final and tail mean IoU, trivial mean IoU, Dice, bytes,
      simulated seconds, rank (1 = best tail mean IoU); printed best first

Options:
  --set a.b=v1,v2   a field and its values (repeatable; a single value is a fixed override)
  --out DIR         output folder (default: runs/<scenario name>-sweep)
  --seed N          override the scenario seed
  --quiet           no progress lines
  -h, --help        this text
`;

/** One row of the sweep table (docs/formats.md). */
export interface SweepRow {
  setting: Record<string, unknown>;
  dir: string;
  compressionRatio: number | null;
  meanIoU: number | null;
  /** Mean IoU of the last evaluation.tailRounds evaluations: what the sweep ranks on. */
  tailMeanIoU: number | null;
  /** Mean IoU of the best constant prediction on the same test set. */
  trivialMeanIoU: number | null;
  meanDice: number | null;
  rawBytes: number;
  wireBytes: number;
  simulatedSeconds: number;
  /** 1 = highest tailMeanIoU (ties: lower wire bytes first); rows without a score rank last. */
  rank: number;
}

/** Ranks rows in place by tailMeanIoU, best first (ties: fewer wire bytes), and returns them best first. */
export function rankRows(rows: SweepRow[]): SweepRow[] {
  const score = (r: SweepRow): number => r.tailMeanIoU ?? -Infinity;
  const order = rows.slice().sort((a, b) => score(b) - score(a) || a.wireBytes - b.wireBytes);
  order.forEach((r, i) => (r.rank = i + 1));
  return order;
}

/** All combinations of the axes, in order (first axis slowest). */
export function grid(axes: Array<{ path: string; values: unknown[] }>): Array<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const axis of axes) {
    const next: Array<Record<string, unknown>> = [];
    for (const partial of out) for (const v of axis.values) next.push({ ...partial, [axis.path]: v });
    out = next;
  }
  return out;
}

/** A folder name for a setting: `codec.lambda=0.01,codec.name=quant` → `lambda=0.01_name=quant`. */
export function settingDir(setting: Record<string, unknown>): string {
  const parts = Object.entries(setting).map(([k, v]) => `${k.split('.').pop()}=${String(v)}`);
  return (parts.join('_') || 'base').replace(/[^A-Za-z0-9._=+-]/g, '-');
}

function csv(rows: SweepRow[], keys: string[]): string {
  const header = [...keys, 'compressionRatio', 'meanIoU', 'tailMeanIoU', 'trivialMeanIoU', 'meanDice', 'rawBytes', 'wireBytes', 'simulatedSeconds', 'rank', 'dir'];
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = rows.map((r) =>
    [...keys.map((k) => r.setting[k]), r.compressionRatio, r.meanIoU, r.tailMeanIoU, r.trivialMeanIoU, r.meanDice, r.rawBytes, r.wireBytes, r.simulatedSeconds, r.rank, r.dir]
      .map(cell)
      .join(','),
  );
  return `${header.join(',')}\n${lines.join('\n')}\n`;
}

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export async function sweepCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true },
      out: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(SWEEP_HELP);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    io.stderr(`splitwire sweep: expected one scenario file, got ${positionals.length}\n\n${SWEEP_HELP}`);
    return 2;
  }
  const fixed: Override[] = [];
  const axes: Array<{ path: string; values: unknown[] }> = [];
  for (const text of values.set ?? []) {
    const eq = text.indexOf('=');
    const raw = eq > 0 ? text.slice(eq + 1) : '';
    const list = raw.split(',').filter((v) => v !== '');
    if (eq > 0 && list.length > 1) {
      axes.push({ path: text.slice(0, eq), values: list.map((v) => parseOverride(`x=${v}`).value) });
    } else {
      fixed.push(parseOverride(text));
    }
  }
  if (values.seed !== undefined) fixed.push(parseOverride(`seed=${values.seed}`));
  const settings = grid(axes);
  // Validate every combination before the first run starts.
  const scenarios = [];
  for (const setting of settings) {
    const o = [...fixed, ...Object.entries(setting).map(([path, value]) => ({ path, value }))];
    scenarios.push(await loadScenario(file, o));
  }
  const base = scenarios[0];
  if (base === undefined) return 2;
  const outDir = values.out ?? join('runs', `${base.name}-sweep`);
  mkdirSync(outDir, { recursive: true });
  const rows: SweepRow[] = [];
  const keys = axes.map((a) => a.path);
  for (let i = 0; i < settings.length; i++) {
    const setting = settings[i] as Record<string, unknown>;
    const dir = settingDir(setting);
    if (!values.quiet) io.stderr(`sweep ${i + 1}/${settings.length}: ${dir}\n`);
    const sc = scenarios[i] as (typeof scenarios)[number];
    // The data lines (classes, notices, trivial score) of the first setting only, to keep them once.
    const onData = i === 0 && !values.quiet ? (d: DataInfo): void => io.stderr(dataBanner(d, sc.evaluation.targets)) : undefined;
    const r = await runScenario(sc, { outDir: join(outDir, dir), ...(onData ? { onData } : {}) });
    const s: RunSummary = r.summary;
    rows.push({
      setting,
      dir,
      compressionRatio: s.totals.compressionRatio,
      meanIoU: s.final.meanIoU,
      tailMeanIoU: s.final.tailMeanIoU,
      trivialMeanIoU: s.final.trivialMeanIoU,
      meanDice: s.final.meanDice,
      rawBytes: s.totals.rawBytes,
      wireBytes: s.totals.wireBytes,
      simulatedSeconds: s.simulatedSeconds,
      rank: 0,
    });
    rankRows(rows);
    // Rewrite the table after every run: an interrupted sweep keeps the rows it finished.
    writeAtomic(join(outDir, 'sweep.json'), `${JSON.stringify({ scenario: base.name, rows }, null, 2)}\n`);
    writeAtomic(join(outDir, 'sweep.csv'), csv(rows, keys));
    if (!values.quiet) {
      io.stderr(
        `  ratio ${s.totals.compressionRatio?.toFixed(1) ?? '–'}×  IoU ${s.final.meanIoU?.toFixed(4) ?? '–'}  tail IoU ${s.final.tailMeanIoU?.toFixed(4) ?? '–'}  (trivial ${s.final.trivialMeanIoU?.toFixed(4) ?? '–'})  sent ${formatBytes(s.totals.wireBytes)}\n`,
      );
    }
  }
  io.stdout(csv(rankRows(rows), keys));
  return 0;
}
