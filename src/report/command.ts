/**
 * `splitwire report`: build the page and figures of a run or sweep folder, write them atomically.
 */
import { InputError, UsageError, writeFilesAtomic, type CommandIo } from '../roi/index.js';
import { REPORT_HELP, parseReportArgs } from './args.js';
import { buildReport, type ReportOptions } from './build.js';

/**
 * Runs `splitwire report` with the arguments after the command name; returns the exit code
 * (0 done, 2 bad input or usage; other errors reach the CLI: 1).
 * @example await runReportCommand(['runs/quickstart'], { stdout: console.log, stderr: console.error })
 */
export async function runReportCommand(argv: string[], io: CommandIo): Promise<number> {
  try {
    const args = parseReportArgs(argv);
    if (args.help) {
      io.stdout(REPORT_HELP);
      return 0;
    }
    const options: ReportOptions = { dir: args.dir, png: args.png };
    if (args.tariff !== undefined) options.tariff = args.tariff;
    if (args.round !== undefined) options.round = args.round;
    if (args.partial) options.partial = true;
    if (args.chromium !== undefined) options.chromium = args.chromium;
    const built = await buildReport(options);
    await writeFilesAtomic(built.files);
    for (const note of built.notes) io.stderr(`note: ${note}\n`);
    io.stdout(`wrote ${built.files.map((f) => f.path).join('\n      ')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`splitwire: report: ${err.message}\n(run 'splitwire report --help' for usage)\n`);
      return 2;
    }
    if (err instanceof InputError) {
      io.stderr(`splitwire: report: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
