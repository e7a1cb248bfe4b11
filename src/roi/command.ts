/**
 * `splitwire roi`: parse, compute, print, and (with --out) write JSON + Markdown atomically.
 */
import { InputError, UsageError } from './errors.js';
import { ROI_HELP, parseRoiArgs } from './args.js';
import { computeRoi } from './roi.js';
import type { RoiOptions } from './analyse.js';
import { loadTariff } from './tariff.js';
import { renderRoiMarkdown } from './markdown.js';
import { writeFilesAtomic } from './atomic.js';

/** Where a command writes its text. */
export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** The Markdown twin of `FILE.json`. */
export function markdownTwin(jsonPath: string): string {
  return jsonPath.replace(/\.json$/i, '.md');
}

/**
 * Runs `splitwire roi` with the arguments after the command name; returns the exit code
 * (0 done, 2 bad input or usage; other errors reach the CLI: 1).
 * @example await runRoiCommand(['runs/q/traffic.ndjson', '--tariff', 'scenarios/tariffs/cloud-egress.yaml'], { stdout: console.log, stderr: console.error })
 */
export async function runRoiCommand(argv: string[], io: CommandIo): Promise<number> {
  try {
    const args = parseRoiArgs(argv);
    if (args.help) {
      io.stdout(ROI_HELP);
      return 0;
    }
    const options: RoiOptions = {
      log: args.log,
      tariff: await loadTariff(args.tariff),
      tariffPath: args.tariff,
      scale: args.scale,
      pilot: args.pilot,
    };
    if (args.format) options.format = args.format;
    if (args.baseline !== undefined) options.baseline = args.baseline;
    if (args.baselineFormat) options.baselineFormat = args.baselineFormat;
    if (args.timeline !== undefined) options.timeline = args.timeline;
    if (args.sweep !== undefined) options.sweep = args.sweep;
    if (args.serverNodes) options.serverNodes = args.serverNodes;
    const report = await computeRoi(options);
    const json = `${JSON.stringify(report, null, 2)}\n`;
    const markdown = renderRoiMarkdown(report);
    if (args.out) {
      await writeFilesAtomic([
        { path: args.out, content: json },
        { path: markdownTwin(args.out), content: markdown },
      ]);
    }
    io.stdout(args.json ? json : markdown);
    if (args.out) io.stderr(`wrote ${args.out} and ${markdownTwin(args.out)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`splitwire: roi: ${err.message}\n(run 'splitwire roi --help' for usage)\n`);
      return 2;
    }
    if (err instanceof InputError) {
      io.stderr(`splitwire: roi: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
