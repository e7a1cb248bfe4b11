/** `splitwire compare`: a simulated run against a pilot (or any two run folders). */
import { parseArgs } from 'node:util';
import { formatComparison, readRunTraffic } from '../pilot/compare.js';
import type { Io } from './io.js';

export const COMPARE_HELP = `Usage: splitwire compare SIM_DIR PILOT_DIR

Prints, per message kind and per round, the messages, rawBytes and wireBytes of both runs
(equal for deterministic codecs and the same seed), their mean transit times, and each
round's duration simulated against measured. Exit status 1 when bytes differ.
`;

export async function compareCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout(COMPARE_HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    io.stderr(`splitwire compare: expected two run folders, got ${positionals.length}\n\n${COMPARE_HELP}`);
    return 2;
  }
  const { text, equal } = formatComparison(readRunTraffic(positionals[0] as string), readRunTraffic(positionals[1] as string));
  io.stdout(text);
  return equal ? 0 : 1;
}
