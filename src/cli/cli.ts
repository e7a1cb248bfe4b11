
import { DataError } from '../data/errors.js';
import { ScenarioError } from '../scenario/errors.js';
import { scenarioJsonSchemaText } from '../scenario/jsonSchema.js';
import { VERSION } from '../run/summary.js';
import { Failure } from '../run/failure.js';
import { processIo, type Io } from './io.js';
import { runCommand } from './runCommand.js';
import { sweepCommand } from './sweepCommand.js';
import { doctorCommand } from './doctorCommand.js';
import { workerCommand } from './workerCommand.js';
import { certsCommand } from './certsCommand.js';
import { compareCommand } from './compareCommand.js';

const HELP = `splitwire ${VERSION} — split-federated learning with learned compression over a simulated network

Usage: splitwire <command> [options]

Commands:
  run <scenario.yaml>     simulate a training run (traffic log, summary, progress)
  sweep <scenario.yaml>   run a grid of settings × seeds, here or on a queue; statistics per setting
  worker --queue URL      serve a sweep's queued runs (BullMQ on Redis), on any machine
  check <scenario.yaml>   property-test the protocol of a scenario under network faults
  roi <log>               return on investment from a traffic log and a tariff
  report <dir>            self-contained HTML report of a run or sweep folder
  schema                  print the JSON Schema of scenario files
  doctor                  which compute backends work here, and what to install for the others
  certs                   a private CA and per-site certificates for a pilot (mutual TLS)
  serve <scenario.yaml>   run a pilot's split server and federator for real (sites join over TLS)
  join <scenario.yaml>    run one pilot site (client) against a 'serve'
  pilot <scenario.yaml>   a whole pilot on this machine: server and clients as processes
  compare <sim> <pilot>   bytes and times of a simulated run against a pilot

Run 'splitwire <command> --help' for a command's options.
Errors are one line, 'splitwire: <what>: <why>', exit 2 for bad input and 1 for a failed run;
--debug (any command) adds the stack trace.
`;

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  sweep: sweepCommand,
  worker: workerCommand,
  doctor: doctorCommand,
  certs: certsCommand,
  compare: compareCommand,
  serve: async (argv, io) => (await import('./pilotCommand.js')).serveCommand(argv, io),
  join: async (argv, io) => (await import('./pilotCommand.js')).joinCommand(argv, io),
  pilot: async (argv, io) => (await import('./pilotCommand.js')).pilotCommand(argv, io),
  schema: async (_argv, io) => {
    io.stdout(scenarioJsonSchemaText());
    return 0;
  },
  check: async (argv, io) => (await import('../check/index.js')).runCheckCommand(argv, io),
  roi: async (argv, io) => (await import('../roi/index.js')).runRoiCommand(argv, io),
  report: async (argv, io) => (await import('../report/index.js')).runReportCommand(argv, io),
};

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  const [name, ...rest] = argv.filter((a) => a !== '--debug');
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout(HELP);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`splitwire: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    const { text, status } = describeFailure(name, err);
    io.stderr(`${text}\n`);
    if (debug && err instanceof Error && err.stack !== undefined) io.stderr(`${err.stack}\n`);
    else if (status === 1 && !(err instanceof Failure)) io.stderr(`  (run again with --debug for the stack trace)\n`);
    return status;
  }
}

/**
 * The message and exit status of an error that ended a command: `splitwire: <what>: <why>`,
 * 2 for bad input, 1 for a failed run (an unexpected error: its first line only).
 */
export function describeFailure(command: string, err: unknown): { text: string; status: 1 | 2 } {
  if (err instanceof Failure) {
    return { text: [`splitwire: ${err.what}: ${err.why}`, ...err.details.map((d) => `  ${d}`)].join('\n'), status: err.exitCode };
  }
  if (err instanceof ScenarioError) return { text: `splitwire: ${err.message}`, status: 2 };
  // The user's data cannot be read as asked (the message names the file): bad input.
  if (err instanceof DataError) return { text: `splitwire: ${command}: ${err.message}`, status: 2 };
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    return { text: `splitwire: ${command}: ${err.message}`, status: 2 };
  }
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  // `field.path: must be …` is the style's message for bad input, wherever it was raised.
  const badInput = /^[\w.[\]]+: must /.test(message);
  return { text: `splitwire: ${command}: ${message}`, status: badInput ? 2 : 1 };
}
