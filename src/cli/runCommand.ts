/** `splitwire run`: one scenario, with progress, files and a summary table. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { runScenario } from '../run/simulation.js';
import type { RunSummary } from '../run/summary.js';
import { claimOutDir, runIdOf } from '../run/outputDir.js';
import { precheckScenario } from '../run/precheck.js';
import { availableMemory, estimateRun } from '../run/estimate.js';
import { Failure } from '../run/failure.js';
import { formatBytes, formatSeconds, table } from './format.js';
import { progressPrinter } from './progress.js';
import type { Io } from './io.js';

export const RUN_HELP = `Usage: splitwire run <scenario.yaml> [options]

Simulates split-federated training as the scenario describes and writes
  DIR/traffic.ndjson   one line per message (docs/formats.md)
  DIR/timeline.ndjson  one line per compute task
  DIR/summary.json     accuracy per round, bytes, compression ratio, simulated time
It writes into DIR.partial (locked while it runs) and renames it to DIR when done; Ctrl-C
stops it, keeping what it did in DIR.interrupted (exit 130; 143 for SIGTERM).

Options:
  --out DIR         output folder (default: runs/<scenario name>); must be empty or missing
  --force           replace a non-empty --out (when the run completes), discard a killed run's
                    DIR.partial, run past the memory estimate
  --seed N          override the scenario seed
  --set a.b=value   override any scenario field (repeatable), e.g. --set codec.name=quant
  --backend NAME    compute backend: auto | webgpu | wasm | tfjs-node-gpu | tfjs-node | cpu
  --quiet           no progress lines
  --debug           stack traces with errors (errors are otherwise one line)
  -h, --help        this text
`;

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      set: { type: 'string', multiple: true },
      backend: { type: 'string' },
      quiet: { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(RUN_HELP);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    io.stderr(`splitwire run: expected one scenario file, got ${positionals.length}\n\n${RUN_HELP}`);
    return 2;
  }
  const overrides = (values.set ?? []).map(parseOverride);
  if (values.seed !== undefined) overrides.push(parseOverride(`seed=${values.seed}`));
  if (values.backend !== undefined) overrides.push(parseOverride(`compute.backend=${values.backend}`));
  const scenario = await loadScenario(file, overrides);
  const outDir = values.out ?? join('runs', scenario.name);
  const force = values.force === true;
  // Every file the scenario names, before anything is written.
  const { notices } = await precheckScenario(scenario, file);
  const est = estimateRun(scenario);
  const available = availableMemory();
  if (est.memoryBytes > available && !force) {
    throw new Failure(file, `the run needs about ${formatBytes(est.memoryBytes)} of memory, ${formatBytes(available)} is available; make it smaller or pass --force`);
  }
  const runId = runIdOf(scenario);
  // Every refusal above is one line with nothing written; from here the run owns DIR.partial.
  const dir = claimOutDir(outDir, { runId, force });
  const p = scenario.protocol;
  io.stderr(
    `splitwire: ${scenario.name} — ${p.clients} clients, ${p.rounds} rounds, ${p.topology} ${p.variant}, codec ${scenario.codec.name}, network ${scenario.network.profile}, seed ${scenario.seed}\n`,
  );
  for (const n of notices) io.stderr(`splitwire: note: ${n}\n`);
  io.stderr(
    `splitwire: estimate — memory ${formatBytes(est.memoryBytes)} (${formatBytes(available)} available), wall ~${formatSeconds(est.wallSeconds)}, simulated ~${formatSeconds(est.simulatedSeconds)}\n`,
  );
  const stop = new AbortController();
  let signalName: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalName !== null) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal: now
    signalName = sig;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = values.quiet ? null : progressPrinter(io);
  let result;
  try {
    result = await runScenario(scenario, {
      outDir: dir.partial,
      runId,
      signal: stop.signal,
      ...(progress ? { onProgress: progress.round, onStep: progress.step } : {}),
    });
  } catch (err) {
    dir.release();
    throw err;
  } finally {
    progress?.done();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (result.summary.status === 'interrupted') {
    const where = dir.interrupt();
    io.stderr(`splitwire: run: interrupted by ${signalName ?? 'a signal'} after ${result.summary.roundsCompleted} of ${p.rounds} rounds; what it did is in ${where}\n`);
    return signalName === 'SIGTERM' ? 143 : 130;
  }
  dir.commit();
  io.stdout(`${summaryTable(result.summary)}\n  files                ${outDir}/{summary.json,traffic.ndjson,timeline.ndjson}\n`);
  return 0;
}

/** The table printed at the end of a run. */
export function summaryTable(s: RunSummary): string {
  const t = s.totals;
  const tta = s.timeToAccuracy
    .map((x) => `IoU ${x.meanIoU}: ${x.simulatedSeconds === null ? 'not reached' : formatSeconds(x.simulatedSeconds)}`)
    .join(', ');
  return `\nsplitwire run summary — ${s.scenario}\n${table([
    ['backend', s.backend],
    ['final mean IoU', s.final.meanIoU === null ? '–' : s.final.meanIoU.toFixed(4)],
    ['final mean Dice', s.final.meanDice === null ? '–' : s.final.meanDice.toFixed(4)],
    ['split tensors, fp32', formatBytes(t.rawBytes)],
    ['split tensors, sent', formatBytes(t.wireBytes)],
    ['compression ratio', t.compressionRatio === null ? '–' : `${t.compressionRatio.toFixed(2)}×`],
    ['all traffic', `${formatBytes(t.allWireBytes)} (up ${formatBytes(t.bytesByDirection.up)}, down ${formatBytes(t.bytesByDirection.down)})`],
    ['simulated time', formatSeconds(s.simulatedSeconds)],
    ['time to accuracy', tta],
    ['wall time', `${s.wallSeconds.toFixed(1)} s`],
  ])}`;
}
