/** The `splitwire` command: dispatches to one module per sub-command. */
import { z } from 'zod';
import { ScenarioError } from '../scenario/errors.js';
import { scenarioSchema } from '../scenario/schema.js';
import { VERSION } from '../run/summary.js';
import { processIo, type Io } from './io.js';
import { runCommand } from './runCommand.js';
import { sweepCommand } from './sweepCommand.js';
import { doctorCommand } from './doctorCommand.js';
import { certsCommand } from './certsCommand.js';
import { compareCommand } from './compareCommand.js';

const HELP = `splitwire ${VERSION} — split-federated learning with learned compression over a simulated network

Usage: splitwire <command> [options]

Commands:
  run <scenario.yaml>     simulate a training run (traffic log, summary, progress)
  sweep <scenario.yaml>   run a grid of settings; one table of compression vs accuracy
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
`;

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  sweep: sweepCommand,
  doctor: doctorCommand,
  certs: certsCommand,
  compare: compareCommand,
  serve: async (argv, io) => (await import('./pilotCommand.js')).serveCommand(argv, io),
  join: async (argv, io) => (await import('./pilotCommand.js')).joinCommand(argv, io),
  pilot: async (argv, io) => (await import('./pilotCommand.js')).pilotCommand(argv, io),
  schema: async (_argv, io) => {
    io.stdout(`${JSON.stringify(z.toJSONSchema(scenarioSchema, { io: 'input' }), null, 2)}\n`);
    return 0;
  },
  check: async (argv, io) => (await import('../check/index.js')).runCheckCommand(argv, io),
  roi: async (argv, io) => (await import('../roi/index.js')).runRoiCommand(argv, io),
  report: async (argv, io) => (await import('../report/index.js')).runReportCommand(argv, io),
};

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
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
    if (err instanceof ScenarioError) {
      io.stderr(`${err.message}\n`);
      return 2;
    }
    if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`splitwire ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
