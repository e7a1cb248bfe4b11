/**
 * Command line of `splitwire report`: parsed and checked here, so the CLI only dispatches.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../roi/index.js';

export const REPORT_HELP = `Usage: splitwire report <run-or-sweep-dir> [options]

Writes DIR/report.html, one self-contained page that works offline (Vega and Vega-Lite
inlined, data embedded): the rate–accuracy curve, bytes per round by kind and direction,
accuracy against simulated time, a timeline of one round per client, and the ROI table
(DIR/roi.json if present, else computed with the --tariff). Also writes each chart as
DIR/figures/<chart>.svg and, with headless Chromium, DIR/figures/<chart>.png for slides.

  <run-or-sweep-dir>   a run folder (summary.json, traffic.ndjson, timeline.ndjson) or a
                       sweep folder (sweep.json and its run folders)
  --tariff FILE        tariff for the ROI when DIR has no roi.json
                       (default: scenarios/tariffs/cloud-egress.yaml)
  --partial            report an interrupted or killed run (refused otherwise); every
                       figure is labelled partial
  --round N            round shown in the timeline (default: the first one)
  --no-png             write no PNG figures (no browser needed)
  --chromium PATH      browser for the PNGs (default: $SPLITWIRE_CHROMIUM, else chromium,
                       chromium-browser, google-chrome on PATH)
  -h, --help           show this help

All files are written atomically: on any error none is changed.
Exit codes: 0 done, 2 bad input or usage, 1 failure.
`;

export interface ReportArgs {
  help: boolean;
  dir: string;
  tariff?: string;
  round?: number;
  png: boolean;
  chromium?: string;
  partial?: boolean;
}

/** Parses the arguments after `splitwire report`. */
export function parseReportArgs(argv: readonly string[]): ReportArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        tariff: { type: 'string' },
        round: { type: 'string' },
        'no-png': { type: 'boolean' },
        chromium: { type: 'string' },
        partial: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { help: true, dir: '', png: true };
  if (parsed.positionals.length !== 1) {
    throw new UsageError(
      `expected one run or sweep folder, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`,
    );
  }
  const args: ReportArgs = { help: false, dir: parsed.positionals[0]!, png: !v['no-png'] };
  if (v.tariff !== undefined) args.tariff = v.tariff;
  if (v.partial) args.partial = true;
  if (v.chromium !== undefined) args.chromium = v.chromium;
  if (v.round !== undefined) {
    if (!/^\d+$/.test(v.round)) throw new UsageError(`--round: must be a non-negative integer, got ${JSON.stringify(v.round)}`);
    args.round = Number(v.round);
  }
  if (args.chromium !== undefined && !args.png) throw new UsageError('--chromium and --no-png exclude each other');
  return args;
}
