/** `splitwire run`: one scenario, with progress, files and a summary table. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { clientLinks, describeLink, linkReport, networkModel } from '../scenario/resolveNetwork.js';
import type { DataInfo } from '../run/evaluate.js';
import { runScenario } from '../run/simulation.js';
import type { RunSummary } from '../run/summary.js';
import type { Scenario } from '../scenario/schema.js';
import { loadSavedScenario } from '../run/checkpoint.js';
import { adoptForResume, claimOutDir, readLock, runIdOf, type OutDir } from '../run/outputDir.js';
import { precheckScenario } from '../run/precheck.js';
import { availableMemory, estimateRun } from '../run/estimate.js';
import { Failure } from '../run/failure.js';
import { formatBytes, formatSeconds, table } from './format.js';
import { progressPrinter } from './progress.js';
import type { Io } from './io.js';

export const RUN_HELP = `Usage: splitwire run <scenario.yaml> [options]
       splitwire run --resume DIR

Simulates split-federated training as the scenario describes and writes
  DIR/traffic.ndjson   one line per message (docs/formats.md)
  DIR/timeline.ndjson  one line per compute task
  DIR/summary.json     accuracy per round, bytes, traffic and compression ratios, simulated time
  DIR/predictions/     a few test images | true mask | predicted mask (PNG)
It writes into DIR.partial (locked while it runs) and renames it to DIR when done; Ctrl-C
stops it, keeping what it did in DIR.interrupted (exit 130; 143 for SIGTERM).

Options:
  --out DIR         output folder (default: runs/<scenario name>); must be empty or missing
  --force           replace a non-empty --out (when the run completes), discard a killed run's
                    DIR.partial, run past the memory estimate
  --seed N          override the scenario seed
  --set a.b=value   override any scenario field (repeatable), e.g. --set codec.name=quant
  --backend NAME    compute backend: auto | webgpu | wasm | tfjs-node-gpu | tfjs-node | cpu
  --resume DIR      continue the run in DIR from its last round checkpoint
                    (DIR/checkpoint/); scenario and overrides come from
                    DIR/scenario.json. A scenario file given too must match it.
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
      resume: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(RUN_HELP);
    return 0;
  }
  const file = positionals[0];
  const resume = values.resume;
  if ((resume === undefined && file === undefined) || positionals.length > 1) {
    io.stderr(`splitwire run: expected one scenario file, got ${positionals.length}\n\n${RUN_HELP}`);
    return 2;
  }
  const overrides = (values.set ?? []).map(parseOverride);
  if (values.seed !== undefined) overrides.push(parseOverride(`seed=${values.seed}`));
  if (values.backend !== undefined) overrides.push(parseOverride(`compute.backend=${values.backend}`));
  let scenario: Scenario;
  let outDir: string;
  let resumeDir: OutDir | null = null;
  if (resume !== undefined) {
    if (file === undefined && overrides.length > 0) {
      throw new Failure('run --resume', `must come without --set, --seed or --backend (they are saved in the run's scenario.json), got ${overrides.length}`);
    }
    if (values.out !== undefined) throw new Failure('run --resume', `the run continues in its own folder; --out must be omitted, got ${values.out}`);
    // Check the scenario before touching the folder: nothing moves on a refusal.
    const given = file !== undefined ? await loadScenario(file, overrides) : null;
    resumeDir = adoptForResume(resume, (dir) => readLock(dir)?.runId ?? runIdOf(loadSavedScenario(dir)));
    scenario = loadSavedScenario(resumeDir.partial);
    if (given !== null && JSON.stringify(given) !== JSON.stringify(scenario)) {
      resumeDir.release();
      throw new Failure(`run --resume ${resume}`, `the scenario given must be the one the run started with (its scenario.json), got a different one`);
    }
    outDir = resumeDir.out;
  } else {
    scenario = await loadScenario(file as string, overrides);
    outDir = values.out ?? join('runs', scenario.name);
  }
  const force = values.force === true;
  // Every file the scenario names, before anything is written.
  const { notices } = await precheckScenario(scenario, file ?? join(resumeDir?.partial ?? '.', 'scenario.json'));
  const est = estimateRun(scenario);
  const available = availableMemory();
  if (est.memoryBytes > available && !force) {
    resumeDir?.release();
    throw new Failure(file ?? `--resume ${resume}`, `the run needs about ${formatBytes(est.memoryBytes)} of memory, ${formatBytes(available)} is available; make it smaller or pass --force`);
  }
  const runId = runIdOf(scenario);
  // Every refusal above is one line with nothing written; from here the run owns DIR.partial.
  const dir = resumeDir ?? claimOutDir(outDir, { runId, force });
  const p = scenario.protocol;
  io.stderr(
    `splitwire: ${scenario.name} — ${p.clients} clients, ${p.rounds} rounds, ${p.topology} ${p.variant}, codec ${scenario.codec.name}, network ${scenario.network.profile}, seed ${scenario.seed}\n`,
  );
  io.stderr(`${networkBanner(scenario)}\n`);
  for (const n of notices) io.stderr(`splitwire: note: ${n}\n`);
  io.stderr(
    `splitwire: estimate — memory ${formatBytes(est.memoryBytes)} (${formatBytes(available)} available), wall ~${formatSeconds(est.wallSeconds)}, simulated ~${formatSeconds(est.simulatedSeconds)}\n`,
  );
  const onWarning = (w: string): void => io.stderr(`  warning: ${w}\n`);
  const onData = (d: DataInfo): void => io.stderr(dataBanner(d, scenario.evaluation.targets));
  if (resume !== undefined) io.stderr(`splitwire: resuming ${dir.partial} from its last round checkpoint\n`);
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
      onWarning,
      onData,
      ...(resume !== undefined ? { resume: true } : {}),
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
    io.stderr(`splitwire: run: interrupted by ${signalName ?? 'a signal'} after ${result.summary.roundsCompleted} of ${p.rounds} rounds; what it did is in ${where} (continue it with --resume ${outDir})\n`);
    return signalName === 'SIGTERM' ? 143 : 130;
  }
  dir.commit();
  io.stdout(`${summaryTable(result.summary)}\n  ${'files'.padEnd('traffic ratio, all-in'.length)}  ${outDir}/{summary.json,traffic.ndjson,timeline.ndjson,predictions/}\n`);
  for (const w of result.summary.warnings) io.stdout(`  warning: ${w}\n`);
  return 0;
}

/** The banner's network line: the model that runs (and why, when network.server chose it) and client 0's links as resolved. */
export function networkBanner(s: Scenario): string {
  const links0 = clientLinks(s, 0);
  const why = s.network.server !== undefined && s.network.model === undefined ? ' (network.server is set)' : '';
  return `  network model ${networkModel(s)}${why}; client 0 uplink ${describeLink(linkReport(links0.uplink))}, downlink ${describeLink(linkReport(links0.downlink))}`;
}

/** The table printed at the end of a run. */
export function summaryTable(s: RunSummary): string {
  const t = s.totals;
  const tta = s.timeToAccuracy
    .map((x) => `IoU ${x.meanIoU}: ${x.simulatedSeconds === null ? 'not reached' : formatSeconds(x.simulatedSeconds)}${x.trivial ? ' (trivial: ≤ constant prediction)' : ''}`)
    .join(', ');
  return `\nsplitwire run summary — ${s.scenario}\n${table([
    ['backend', s.backend],
    ['final mean IoU', `${s.final.meanIoU === null ? '–' : s.final.meanIoU.toFixed(4)}${trivialNote(s)}`],
    ['tail mean IoU', s.final.tailMeanIoU === null ? '–' : s.final.tailMeanIoU.toFixed(4)],
    ['final mean Dice', s.final.meanDice === null ? '–' : s.final.meanDice.toFixed(4)],
    ['traffic ratio, all-in', t.trafficRatio === null ? '–' : `${t.trafficRatio.toFixed(2)}× (uncompressed run's bytes ÷ this run's, codec weights included)`],
    [
      'all traffic',
      `${formatBytes(t.allWireBytes)} (up ${formatBytes(t.bytesByDirection.up)}, down ${formatBytes(t.bytesByDirection.down)}, internal ${formatBytes(t.bytesByDirection.internal)})`,
    ],
    ...codecWeightsRow(t),
    ['split tensors, fp32', formatBytes(t.rawBytes)],
    ['split tensors, sent', formatBytes(t.wireBytes)],
    ['compression ratio', t.compressionRatio === null ? '–' : `${t.compressionRatio.toFixed(2)}× (split tensors only)`],
    ...(t.wastedBytes.total > 0 ? [['wasted (abandoned)', formatBytes(t.wastedBytes.total)] as [string, string]] : []),
    ['simulated time', formatSeconds(s.simulatedSeconds)],
    ['time to accuracy', tta],
    ['wall time', `${s.wallSeconds.toFixed(1)} s`],
  ])}`;
}

/**
 * The banner's data lines, printed once the data is loaded: classes as read, each notice, the
 * best constant prediction's meanIoU, and any target it already reaches (flagged).
 */
export function dataBanner(d: DataInfo, targets: readonly number[]): string {
  const lines = [`  data: ${d.data.kind}, ${d.data.classes} classes (${d.data.classNames.join(', ')}), masks read as ${d.data.maskMode}, ${d.data.testSamples} test images`];
  for (const n of d.notices) lines.push(`  notice: ${n}`);
  if (!Number.isNaN(d.trivial.meanIoU)) {
    const name = d.data.classNames[d.trivial.class] ?? `class ${d.trivial.class}`;
    lines.push(`  trivial meanIoU ${d.trivial.meanIoU.toFixed(3)} (every pixel '${name}'): a score at or below it says nothing`);
    const low = targets.filter((t) => t <= d.trivial.meanIoU);
    if (low.length > 0) lines.push(`  warning: target${low.length > 1 ? 's' : ''} IoU ${low.join(', ')} ≤ trivial meanIoU ${d.trivial.meanIoU.toFixed(3)}: reaching ${low.length > 1 ? 'them' : 'it'} means nothing`);
  }
  return `${lines.join('\n')}\n`;
}

function trivialNote(s: RunSummary): string {
  const t = s.final.trivialMeanIoU;
  return t === null || t === undefined ? '' : `  (trivial ${t.toFixed(4)}: every pixel one class)`;
}

/** The codecs' own weights (codec.up / codec.down), when a learned codec sent any. */
function codecWeightsRow(t: RunSummary['totals']): Array<[string, string]> {
  const bytes = (t.bytesByKind['codec.up']?.wire ?? 0) + (t.bytesByKind['codec.down']?.wire ?? 0);
  if (bytes === 0) return [];
  return [['codec weights, sent', `${formatBytes(bytes)} (${((100 * bytes) / t.allWireBytes).toFixed(1)} % of all traffic)`]];
}
