/**
 * `splitwire sweep`: runs a scenario over a grid of settings and seeds — here, in a pool of
 * child processes, or on a BullMQ queue served by `splitwire worker`s — and writes one row per
 * run and statistics per setting over seeds (sweep.json, sweep.csv, sweep-stats.csv).
 */
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadScenario, parseOverride, type Override } from '../scenario/load.js';
import type { RunSummary } from '../run/summary.js';
import { wallSeconds } from '../sim/wallClock.js';
import { makePoint, type PointJob } from '../sweep/point.js';
import { isPointDone } from '../sweep/pointDir.js';
import { runPointsLocally } from '../sweep/localPool.js';
import { parseRedisUrl, redactRedisUrl } from '../sweep/redisUrl.js';
import { DEFAULT_ATTEMPTS, DEFAULT_QUEUE_NAME } from '../sweep/queueNames.js';
import { rankRows, rowOf, rowsCsv, statsCsv, sweepStats, type SweepRow } from '../sweep/sweepTable.js';
import { progressLine, statsTable } from '../sweep/progressLine.js';
import type { Io } from './io.js';

export type { SweepRow } from '../sweep/sweepTable.js';
export { rankRows } from '../sweep/sweepTable.js';

export const SWEEP_HELP = `Usage: splitwire sweep <scenario.yaml> --set a.b=v1,v2,... [--seeds 1,2,3] [options]

Runs every combination of the listed values (a grid), once per seed, and writes
  DIR/<setting>/{summary.json,traffic.ndjson,timeline.ndjson,point.json}    one folder per run
      (DIR/<setting>/seed=<n>/… with --seeds)
  DIR/sweep.json         rows (one per run) and stats (one per setting over its seeds)
  DIR/sweep.csv          one line per run: setting, seed, ratios, final, tail and trivial IoU,
                         bytes, simulated seconds, rank (1 = best tail mean IoU)
  DIR/sweep-stats.csv    one line per setting: mean and 95 % interval (Student t) of the tail IoU,
                         ratios, simulated time, time to accuracy; paired IoU difference to the
                         baseline (same seeds) and whether it is within --tolerance of it

A run's folder is keyed by a hash of its resolved scenario, its files and the splitwire version:
run the same sweep again (or after an interruption) and finished points are not run again.

Options:
  --set a.b=v1,v2   a field and its values (repeatable; a single value is a fixed override)
  --cases FILE      settings that are not a grid: a YAML list of mappings (field: value), e.g.
                      - { codec.name: none }
                      - { codec.name: hyperprior, codec.latent: 16, codec.freezeAfterRounds: 4 }
                    each case runs once per combination of the --set grid and per seed
  --seeds 1,2,3     run every setting with each of these seeds (paired across settings)
  --seed N          one seed for every run (as --seeds N, without the seed=N folder level)
  --out DIR         output folder (default: runs/<scenario name>-sweep)
  --jobs N          runs at once on this machine (default: the number of cores, ${availableParallelism()} here);
                    with N >= the cores each run computes in its own thread, not in pool threads
  --queue URL       run the points as jobs on a BullMQ queue in Redis instead:
                    redis://[user:password@]host:port[/db] or rediss://… (TLS); served by
                    'splitwire worker --queue URL' on any number of machines
  --queue-name N    queue (and Redis key prefix) name (default: ${DEFAULT_QUEUE_NAME})
  --attempts N      tries per job when its run fails (default: ${DEFAULT_ATTEMPTS})
  --baseline a.b=v  the setting others are compared with (default: codec.name=none)
  --tolerance X     IoU difference to the baseline deemed acceptable (default: 0.02)
  --quiet           no progress lines
  -h, --help        this text
`;

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

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function positiveInt(text: string | undefined, field: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${field}: must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * The settings of a `--cases` file: a YAML list of mappings from a field path to its value.
 * @example readCases('cases.yaml') // → [{ 'codec.name': 'none' }, { 'codec.name': 'quant', 'codec.bits': 8 }]
 */
export function readCases(file: string): Array<Record<string, unknown>> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`--cases: must be a readable YAML file, got ${JSON.stringify(file)} (${(err as Error).message})`);
  }
  if (!Array.isArray(doc) || doc.length === 0) throw new Error(`--cases: must be a non-empty YAML list of mappings, got ${JSON.stringify(doc)?.slice(0, 80)} in ${file}`);
  return doc.map((c: unknown, i) => {
    if (c === null || typeof c !== 'object' || Array.isArray(c) || Object.keys(c).length === 0) {
      throw new Error(`--cases[${i}]: must be a mapping of field paths to values, got ${JSON.stringify(c)} in ${file}`);
    }
    return { ...(c as Record<string, unknown>) };
  });
}

function seedList(text: string, field: string): number[] {
  const seeds = text.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`${field}: must be non-negative integers separated by commas, got ${JSON.stringify(text)}`);
  return [...new Set(seeds)];
}

export async function sweepCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true },
      cases: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      seeds: { type: 'string' },
      jobs: { type: 'string' },
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      attempts: { type: 'string' },
      baseline: { type: 'string' },
      tolerance: { type: 'string' },
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
  let jobs: number;
  let attempts: number;
  let tolerance: number;
  let connection: ReturnType<typeof parseRedisUrl> | null = null;
  let seeds: number[] | null = null;
  let baseline: Override;
  let cases: Array<Record<string, unknown>> = [{}];
  try {
    if (values.cases !== undefined) cases = readCases(values.cases);
    jobs = positiveInt(values.jobs, '--jobs', availableParallelism());
    attempts = positiveInt(values.attempts, '--attempts', DEFAULT_ATTEMPTS);
    tolerance = values.tolerance === undefined ? 0.02 : Number(values.tolerance);
    if (!Number.isFinite(tolerance) || tolerance < 0) throw new Error(`--tolerance: must be a non-negative number, got ${JSON.stringify(values.tolerance)}`);
    if (values.queue !== undefined) connection = parseRedisUrl(values.queue);
    if (values.seeds !== undefined && values.seed !== undefined) throw new Error('--seeds: must not be given with --seed, got both');
    if (values.seeds !== undefined) seeds = seedList(values.seeds, '--seeds');
    baseline = parseOverride(values.baseline ?? 'codec.name=none');
  } catch (err) {
    io.stderr(`splitwire sweep: ${(err as Error).message}\n`);
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
  const settings = cases.flatMap((c) => grid(axes).map((g) => ({ ...c, ...g })));
  // Resolve and check every point (scenario, files) before the first run starts.
  const points: PointJob[] = [];
  for (const setting of settings) {
    for (const seed of seeds ?? [null]) {
      const o = [...fixed, ...Object.entries(setting).map(([path, value]) => ({ path, value }))];
      if (seed !== null) o.push({ path: 'seed', value: seed });
      const scenario = await loadScenario(file, o);
      const dir = seed === null ? settingDir(setting) : `${settingDir(setting)}/seed=${seed}`;
      try {
        points.push(makePoint(scenario, setting, dir));
      } catch (err) {
        io.stderr(`${file}: ${(err as Error).message}\n`);
        return 2;
      }
    }
  }
  const base = points[0];
  if (base === undefined) return 2;
  const outDir = values.out ?? join('runs', `${base.scenario.name}-sweep`);
  mkdirSync(outDir, { recursive: true });
  const todo = points.filter((p) => !isPointDone(outDir, p));
  const say = (t: string): void => {
    if (!values.quiet) io.stderr(t);
  };
  say(
    `sweep: ${points.length} runs (${settings.length} settings × ${seeds?.length ?? 1} seeds), ${points.length - todo.length} already done in ${outDir}` +
      (connection ? `, queue ${redactRedisUrl(values.queue as string)}\n` : `, ${Math.min(jobs, Math.max(1, todo.length))} at a time here\n`),
  );
  const t0 = wallSeconds();
  const show = (done: number, running: number, failed: number): void =>
    say(`${progressLine({ total: todo.length, done, running, failed, elapsedSeconds: wallSeconds() - t0 })}\n`);
  const failures: Array<{ point: PointJob; reason: string }> = [];
  if (todo.length > 0 && connection === null) {
    let done = 0;
    const outcomes = await runPointsLocally(todo, outDir, jobs, (o, running) => {
      if (o.ok) done++;
      else failures.push({ point: o.point, reason: o.error });
      show(done, running, failures.length);
    });
    void outcomes;
  } else if (todo.length > 0 && connection !== null) {
    const { runPointsOnQueue } = await import('../sweep/queueSweep.js');
    const { checkRedis } = await import('../sweep/checkRedis.js');
    try {
      await checkRedis(connection, redactRedisUrl(values.queue as string));
    } catch (err) {
      io.stderr(`splitwire sweep: ${(err as Error).message}\n`);
      return 2;
    }
    const r = await runPointsOnQueue(todo, outDir, {
      connection,
      queueName: values['queue-name'] ?? DEFAULT_QUEUE_NAME,
      attempts,
      onProgress: (p) => show(p.done, p.running, p.failed),
    });
    for (const f of r.failures) failures.push({ point: f.point, reason: `${f.reason} (after ${f.attempts} attempts)` });
    say(`sweep: ${r.queued} jobs queued, ${r.fromStore} results already in the queue's store\n`);
  }
  const rows: SweepRow[] = [];
  for (const p of points) {
    if (!isPointDone(outDir, p)) continue;
    const s = JSON.parse(readFileSync(join(outDir, p.dir, 'summary.json'), 'utf8')) as RunSummary;
    rows.push(rowOf(p.setting, p.key, p.dir, s));
  }
  rankRows(rows);
  const keys = [...new Set(settings.flatMap((x) => Object.keys(x)))];
  const stats = sweepStats(rows, baseline, tolerance);
  const doc = {
    scenario: base.scenario.name,
    splitwire: base.splitwire,
    seeds: seeds ?? [base.seed],
    baseline: { [baseline.path]: baseline.value },
    tolerance,
    confidence: 0.95,
    rows,
    stats,
    failures: failures.map((f) => ({ setting: f.point.setting, seed: f.point.seed, dir: f.point.dir, key: f.point.key, reason: f.reason })),
  };
  writeAtomic(join(outDir, 'sweep.json'), `${JSON.stringify(doc, null, 2)}\n`);
  writeAtomic(join(outDir, 'sweep.csv'), rowsCsv(rows, keys));
  writeAtomic(join(outDir, 'sweep-stats.csv'), statsCsv(stats, keys));
  for (const f of failures) io.stderr(`sweep: ${f.point.dir} failed: ${f.reason}\n`);
  io.stdout(statsTable(stats, keys, tolerance));
  return failures.length > 0 ? 1 : 0;
}
