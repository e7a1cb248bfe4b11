/** `splitwire run`: one scenario, with progress, files and a summary table. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { clientLinks, describeLink, linkReport, networkModel } from '../scenario/resolveNetwork.js';
import type { DataInfo } from '../run/evaluate.js';
import { runScenario, type Progress } from '../run/simulation.js';
import type { RunSummary } from '../run/summary.js';
import type { Scenario } from '../scenario/schema.js';
import { loadSavedScenario } from '../run/checkpoint.js';
import { formatBytes, formatSeconds, table } from './format.js';
import type { Io } from './io.js';

export const RUN_HELP = `Usage: splitwire run <scenario.yaml> [options]
       splitwire run --resume DIR

Simulates split-federated training as the scenario describes and writes
  DIR/traffic.ndjson   one line per message (docs/formats.md)
  DIR/timeline.ndjson  one line per compute task
  DIR/summary.json     accuracy per round, bytes, compression ratio, simulated time
  DIR/predictions/     a few test images | true mask | predicted mask (PNG)

Options:
  --out DIR         output folder (default: runs/<scenario name>)
  --seed N          override the scenario seed
  --set a.b=value   override any scenario field (repeatable), e.g. --set codec.name=quant
  --backend NAME    compute backend: auto | webgpu | wasm | tfjs-node-gpu | tfjs-node | cpu
  --resume DIR      continue the run in DIR from its last round checkpoint
                    (DIR/checkpoint/); scenario and overrides come from
                    DIR/scenario.json. A scenario file given too must match it.
  --quiet           no progress lines
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
  if (resume !== undefined) {
    const saved = loadSavedScenario(resume);
    const given = file !== undefined ? await loadScenario(file, overrides) : null;
    if (given === null && overrides.length > 0) {
      io.stderr(`splitwire run: --resume: must come without --set, --seed or --backend (they are saved in ${resume}/scenario.json), got ${overrides.length}\n`);
      return 2;
    }
    if (given !== null && JSON.stringify(given) !== JSON.stringify(saved)) {
      io.stderr(`splitwire run: --resume ${resume}: the scenario given must be the one the run started with (${resume}/scenario.json), got a different one\n`);
      return 2;
    }
    if (values.out !== undefined && values.out !== resume) {
      io.stderr(`splitwire run: --resume ${resume}: the run continues in its own folder; --out must be omitted, got ${values.out}\n`);
      return 2;
    }
    scenario = saved;
    outDir = resume;
  } else {
    scenario = await loadScenario(file as string, overrides);
    outDir = values.out ?? join('runs', scenario.name);
  }
  const p = scenario.protocol;
  io.stderr(
    `splitwire: ${scenario.name} — ${p.clients} clients, ${p.rounds} rounds, ${p.topology} ${p.variant}, codec ${scenario.codec.name}, network ${scenario.network.profile}, seed ${scenario.seed}\n`,
  );
  io.stderr(`${networkBanner(scenario)}\n`);
  const onProgress = values.quiet
    ? undefined
    : (pr: Progress): void => {
        const r = pr.lastRound;
        const acc = r?.meanIoU != null ? `IoU ${r.meanIoU.toFixed(3)}` : 'IoU –';
        const loss = r?.loss != null ? `loss ${r.loss.toFixed(3)}` : '';
        io.stderr(
          `  round ${pr.round + 1}/${pr.rounds}  ${acc}  ${loss}  sim ${formatSeconds(pr.simulatedSeconds)}  steps ${pr.stepsDone}/${pr.stepsTotal}  wall ${pr.wallSeconds.toFixed(0)} s\n`,
        );
      };
  const onWarning = (w: string): void => io.stderr(`  warning: ${w}\n`);
  const onData = (d: DataInfo): void => io.stderr(dataBanner(d, scenario.evaluation.targets));
  if (resume !== undefined) io.stderr(`splitwire: resuming ${outDir} from its last round checkpoint\n`);
  const result = await runScenario(scenario, {
    outDir,
    onWarning,
    onData,
    ...(resume !== undefined ? { resume: true } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  io.stdout(`${summaryTable(result.summary)}\n  files                ${outDir}/{summary.json,traffic.ndjson,timeline.ndjson,predictions/}\n`);
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
    ['split tensors, fp32', formatBytes(t.rawBytes)],
    ['split tensors, sent', formatBytes(t.wireBytes)],
    ['compression ratio', t.compressionRatio === null ? '–' : `${t.compressionRatio.toFixed(2)}×`],
    ['all traffic', `${formatBytes(t.allWireBytes)} (up ${formatBytes(t.bytesByDirection.up)}, down ${formatBytes(t.bytesByDirection.down)})`],
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
