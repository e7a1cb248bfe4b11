/** `splitwire check`: property-test the scenario's protocol under generated faults. */
import type { CheckSettings } from './types.js';
import { parseArgs } from 'node:util';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { checkProtocol, DEFAULT_CHECK_OPTIONS, type PropertyResult } from './checker.js';
import { COVERAGE_ITEMS } from './coverage.js';
import { formatSchedule } from './faults.js';
import { checkRealCompute, DEFAULT_REAL_RUNS } from './realCompute.js';
import { checkSettingsFromScenario } from './settings.js';

/** Where the command writes (the CLI's Io). */
export interface CheckIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

export const CHECK_HELP = `Usage: splitwire check <scenario.yaml> [options]

Property-tests the SplitFed protocol of the scenario (clients, rounds, variant, topology,
deadline, timeouts, network mode and links) under generated fault schedules: message delay,
loss (datagrams in lossy mode), duplication, reordering, client crash and rejoin, stragglers,
split-server restarts between rounds. The protocol machines are the real ones; compute is a
fast stand-in (docs/check.md). Properties:
  terminates-by-deadline     every round completes by its deadline; no deadlock or livelock
  fedavg-matches-reference   FedAvg of exactly the updates that arrived in time, sample-weighted
                             (with their codec updates, in a round that syncs learned codecs)
  loads-match-global         a client starts each round on that round's global weights and synced
                             codec version; a delta rebuilds only the version it was made against
  no-double-apply            no message is applied twice
  gradient-after-features    a gradient is applied to its own batch, after its features were sent
  late-messages-ignored      a message from an earlier round changes nothing
  labels-stay-on-client      U-shaped: labels (and the skip tensor) never leave a client
  bytes-conserved            per link: bytes sent = delivered + dropped
  link-accounting            the link's counters, wire bytes and retransmission times add up
  makes-progress             every batch is trained or skipped by its timeout; no round resumes mid-way; the server drops no gradient of a batch it holds
  turns-are-exclusive        SFLV2: one turn at a time on M, ended only by its holder or its timeout, and by its timeout when the holder is silent;
                             a holder that is done hands it back, and its turn.done passes it at once
  buffers-live-right         no buffer used after release, none leaked or let go of unfreed, no round's
                             shared weights freed by an actor; duplicates are separate buffers
  deterministic              same scenario, schedule and seed: same traffic-log hash
  late-reply-never-applied   a reply to a batch its client abandoned is never used by it; once told, the server starts no more work on it

By default each schedule also varies what the scenario does not pin down — network mode,
packet loss on or off, SFLV1 or SFLV2, topology, over-selection, learned codecs synced every
1–3 rounds (full or delta codec.down; client-sent or server-only), weight deltas — and each schedule enables
a random subset of fault kinds, with delays aimed at timeouts and deadlines; --pin checks
the scenario exactly as given. A coverage table says which fault kinds and protocol paths
each property saw.

Prints PASS or FAIL per property; for a failure, the shrunk fault schedule and the seed and
path that replay it. Exit status: 0 all hold, 1 a property is violated, 2 bad usage.

Options:
  --runs N          schedules per property (default ${DEFAULT_CHECK_OPTIONS.runs}; with --real-compute: runs, default ${DEFAULT_REAL_RUNS})
  --seed S          fast-check seed (default ${DEFAULT_CHECK_OPTIONS.seed}); the scenario's seed still seeds the network
  --path P          with --seed: replay the counterexample at this fast-check path
  --set a.b=value   override a scenario field (repeatable), e.g. --set protocol.variant=sflv2
  --pin             check the scenario as given, not its neighbourhood
  --real-compute    run the real simulation (tfjs, a tiny model) instead of the stand-in; slow:
                    a few runs, each with a generated seed, dropout, crashes and stragglers of
                    the simulator's own, plus a fault schedule drawn as above (message delay,
                    loss, duplication, crash and rejoin, stragglers, split-server restarts);
                    judged from their traffic logs; a failure prints the schedule as drawn
                    (not shrunk)
  -h, --help        this text
`;

function positiveInt(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

class UsageError extends Error {}

/** The learned-codec sync and weight deltas the check runs with, for the header (empty when neither). */
function syncLine(s: CheckSettings): string {
  const parts: string[] = [];
  if (s.codecSync !== undefined) {
    const rounds = s.codecSync.flatMap((on, r) => (on ? [r] : []));
    parts.push(`learned codecs synced after rounds ${rounds.join(', ') || 'none'}${s.codecDeltas === true ? ' (delta codec.down)' : ''}${s.clientCodecs === false ? ', server-side only' : ''}`);
  }
  if (s.weightDeltas === true) parts.push('weight deltas');
  return parts.length > 0 ? `, ${parts.join(', ')}` : '';
}

/** The coverage table: per property, the schedules it judged and how many showed each fault kind and protocol path. */
export function formatCoverage(results: readonly PropertyResult[]): string {
  const lines = ['coverage (schedules judged; schedules that showed each fault kind / protocol path):'];
  for (const r of results) {
    if (r.coverage === undefined) continue;
    const saw = COVERAGE_ITEMS.map((item) => `${item.split(':')[1]} ${r.coverage?.saw[item] ?? 0}`).join(', ');
    lines.push(`  ${r.name.padEnd(26)} ${String(r.coverage.judged).padStart(5)}: ${saw}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Prints one property's outcome. */
export function formatResult(r: PropertyResult, replay: string): string {
  const head = `  ${r.passed ? 'PASS' : 'FAIL'}  ${r.name.padEnd(26)} ${r.passed ? `${r.runs} runs` : ''}`.trimEnd();
  if (r.passed) return `${head}\n`;
  const lines = [head, `        violation: ${r.violation}`];
  if (r.counterexample !== null) {
    lines.push(`        counterexample (shrunk ${r.shrinks} times):`);
    lines.push(...formatSchedule(r.counterexample).split('\n').map((l) => `          ${l}`));
    lines.push(`        as JSON: ${JSON.stringify(r.counterexample)}`);
  }
  if (r.path !== null) lines.push(`        replay: ${replay} --seed ${r.seed} --path ${r.path}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `splitwire check` with `argv` (after the command name); returns the exit status.
 * @example await runCheckCommand(['scenarios/quickstart.yaml', '--runs', '20'], io)
 */
export async function runCheckCommand(argv: string[], io: CheckIo): Promise<number> {
  let values: { runs?: string; seed?: string; path?: string; set?: string[]; pin?: boolean; 'real-compute'?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        path: { type: 'string' },
        set: { type: 'string', multiple: true },
        pin: { type: 'boolean' },
        'real-compute': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr(`splitwire check: ${(err as Error).message}\n\n${CHECK_HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout(CHECK_HELP);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    io.stderr(`splitwire check: expected one scenario file, got ${positionals.length}\n\n${CHECK_HELP}`);
    return 2;
  }
  const real = values['real-compute'] === true;
  let runs: number;
  let seed: number;
  try {
    runs = positiveInt('--runs', values.runs, real ? DEFAULT_REAL_RUNS : DEFAULT_CHECK_OPTIONS.runs, 1);
    seed = positiveInt('--seed', values.seed, DEFAULT_CHECK_OPTIONS.seed, 0);
    if (values.path !== undefined && !/^\d+(:\d+)*$/.test(values.path)) throw new UsageError(`--path: must look like 3:0:1, got ${JSON.stringify(values.path)}`);
    if (values.path !== undefined && real) throw new UsageError('--path: only without --real-compute');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`splitwire check: ${err.message}\n`);
    return 2;
  }
  const scenario = await loadScenario(file, (values.set ?? []).map(parseOverride));
  const settings = checkSettingsFromScenario(scenario);
  const p = scenario.protocol;
  io.stdout(
    `splitwire check: ${scenario.name} — ${p.clients} clients (${settings.clientsPerRound} a round), ${p.rounds} rounds, ${p.topology} ${p.variant}, ` +
      `deadline ${p.roundDeadlineS} s, step timeout ${p.stepTimeoutS} s, network ${scenario.network.mode}${syncLine(settings)}\n` +
      `${real ? `real compute (tiny model), ${runs} runs` : `stand-in compute, ${runs} schedules per property`}, seed ${seed}\n\n`,
  );
  const results = real
    ? await checkRealCompute(scenario, { runs, seed })
    : checkProtocol(settings, { runs, seed, pinned: values.pin === true, ...(values.path !== undefined ? { path: values.path } : {}) });
  const sets = (values.set ?? []).map((s) => ` --set ${s}`).join('');
  const replay = `splitwire check ${file}${sets}${values.pin ? ' --pin' : ''} --runs ${runs}`;
  for (const r of results) io.stdout(formatResult(r, replay));
  if (!real) io.stdout(`\n${formatCoverage(results)}`);
  const failed = results.filter((r) => !r.passed).length;
  io.stdout(`\n${results.length} properties: ${results.length - failed} hold, ${failed} violated\n`);
  return failed > 0 ? 1 : 0;
}
