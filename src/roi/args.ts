/**
 * Command line of `splitwire roi`: parsed and checked here, so the CLI only dispatches.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, shown } from './errors.js';
import type { RunSize } from './scale.js';
import type { LogFormat } from './types.js';

export const ROI_HELP = `Usage: splitwire roi <log> --tariff <tariff.yaml> [options]

Estimates what compression saves: traffic and money per month of a deployment projected
from a traffic log, payback period, and the bandwidth a network upgrade would need instead.

  <log>                     traffic log: the simulator's or a pilot's traffic.ndjson (or
                            its run folder), a pilot's CSV
                            (timestamp,source,destination,bytes,kind[,raw_bytes,round,duration])
                            or Parquet with either set of columns
  --tariff FILE             tariff YAML (examples in scenarios/tariffs/)            [required]
  --baseline FILE           log of an uncompressed run (default: the log's raw sizes;
                            required for a CSV without raw_bytes)
  --scale k=v,...           deployment size: clients, rounds, samples (per client),
                            runsPerMonth; overrides the tariff's deployment section
  --pilot k=v,...           pilot size: clients, rounds (default: from the log), samples
                            (per client; needed to scale samples)
  --timeline FILE           timeline with encode/decode tasks for the codec compute cost
                            (default: timeline.ndjson beside the log, if present)
  --no-timeline             do not price codec compute
  --sweep FILE              sweep.json: adds a sensitivity table, one row per setting
  --format F                format of <log>: ndjson, csv or parquet (default: by extension)
  --baseline-format F       format of the baseline log
  --server-nodes a,b        server-side node names (default: server,federator); traffic to
                            them is "up", from them "down"
  --out FILE.json           also write the ROI as JSON and Markdown (FILE.md), atomically
  --json                    print JSON instead of Markdown
  -h, --help                show this help

Exit codes: 0 done, 2 bad input (the message names the file, line and field) or usage, 1 failure.
`;

export interface RoiArgs {
  help: boolean;
  log: string;
  tariff: string;
  baseline?: string;
  scale: RunSize;
  pilot: RunSize;
  /** undefined: look beside the log; null: none. */
  timeline?: string | null;
  sweep?: string;
  format?: LogFormat;
  baselineFormat?: LogFormat;
  serverNodes?: string[];
  out?: string;
  json: boolean;
}

/** A run or pilot folder stands for its traffic.ndjson. */
function runFolderLog(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'traffic.ndjson') : path;
}

const FORMATS: readonly LogFormat[] = ['ndjson', 'csv', 'parquet'];

function format(value: string | undefined, flag: string): LogFormat | undefined {
  if (value === undefined) return undefined;
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`${flag}: must be one of ${FORMATS.join(', ')}, got ${shown(value)}`);
  }
  return value as LogFormat;
}

/**
 * Parses `k=v,k=v` sizes; `keys` are the allowed ones.
 * @example parseSizes('clients=200,rounds=50', '--scale', ['clients', 'rounds']) // { clients: 200, rounds: 50 }
 */
export function parseSizes(text: string, flag: string, keys: readonly (keyof RunSize)[]): RunSize {
  const out: RunSize = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!(keys as readonly string[]).includes(key)) {
      throw new UsageError(`${flag}: unknown key ${shown(key)} (known: ${keys.join(', ')})`);
    }
    const integer = key === 'clients' || key === 'rounds';
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new UsageError(`${flag} ${key}: must be ${integer ? 'a positive integer' : 'a number > 0'}, got ${shown(raw)}`);
    }
    out[key as keyof RunSize] = value;
  }
  return out;
}

/** Parses the arguments after `splitwire roi`. */
export function parseRoiArgs(argv: readonly string[]): RoiArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        tariff: { type: 'string' },
        baseline: { type: 'string' },
        scale: { type: 'string' },
        pilot: { type: 'string' },
        timeline: { type: 'string' },
        'no-timeline': { type: 'boolean' },
        sweep: { type: 'string' },
        format: { type: 'string' },
        'baseline-format': { type: 'string' },
        'server-nodes': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { help: true, log: '', tariff: '', scale: {}, pilot: {}, json: false };
  if (parsed.positionals.length !== 1) {
    throw new UsageError(`expected one traffic log, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`);
  }
  if (!v.tariff) throw new UsageError('--tariff FILE is required (examples in scenarios/tariffs/)');
  if (v.timeline !== undefined && v['no-timeline']) throw new UsageError('--timeline and --no-timeline exclude each other');
  if (v.out !== undefined && !v.out.toLowerCase().endsWith('.json')) {
    throw new UsageError(`--out: must name a .json file (its Markdown twin gets .md), got ${shown(v.out)}`);
  }
  const args: RoiArgs = {
    help: false,
    log: runFolderLog(parsed.positionals[0]!),
    tariff: v.tariff,
    scale: v.scale === undefined ? {} : parseSizes(v.scale, '--scale', ['clients', 'rounds', 'samples', 'runsPerMonth']),
    pilot: v.pilot === undefined ? {} : parseSizes(v.pilot, '--pilot', ['clients', 'rounds', 'samples']),
    json: v.json ?? false,
  };
  if (v.baseline !== undefined) args.baseline = v.baseline;
  if (v.timeline !== undefined) args.timeline = v.timeline;
  if (v['no-timeline']) args.timeline = null;
  if (v.sweep !== undefined) args.sweep = v.sweep;
  const f = format(v.format, '--format');
  if (f) args.format = f;
  const bf = format(v['baseline-format'], '--baseline-format');
  if (bf) args.baselineFormat = bf;
  if (v['server-nodes'] !== undefined) {
    const nodes = v['server-nodes'].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (nodes.length === 0) throw new UsageError(`--server-nodes: must list at least one node name, got ${shown(v['server-nodes'])}`);
    args.serverNodes = nodes;
  }
  if (v.out !== undefined) args.out = v.out;
  return args;
}
