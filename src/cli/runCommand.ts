/** `splitwire run`: one scenario, with progress, files and a summary table. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { runScenario, type Progress } from '../run/simulation.js';
import type { RunSummary } from '../run/summary.js';
import { formatBytes, formatSeconds, table } from './format.js';
import type { Io } from './io.js';

export const RUN_HELP = `Usage: splitwire run <scenario.yaml> [options]

Simulates split-federated training as the scenario describes and writes
  DIR/traffic.ndjson   one line per message (docs/formats.md)
  DIR/timeline.ndjson  one line per compute task
  DIR/summary.json     accuracy per round, bytes, traffic and compression ratios, simulated time

Options:
  --out DIR         output folder (default: runs/<scenario name>)
  --seed N          override the scenario seed
  --set a.b=value   override any scenario field (repeatable), e.g. --set codec.name=quant
  --backend NAME    compute backend: auto | webgpu | wasm | tfjs-node-gpu | tfjs-node | cpu
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
  const p = scenario.protocol;
  io.stderr(
    `splitwire: ${scenario.name} — ${p.clients} clients, ${p.rounds} rounds, ${p.topology} ${p.variant}, codec ${scenario.codec.name}, network ${scenario.network.profile}, seed ${scenario.seed}\n`,
  );
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
  const result = await runScenario(scenario, { outDir, ...(onProgress ? { onProgress } : {}) });
  io.stdout(`${summaryTable(result.summary)}\n  ${'files'.padEnd('traffic ratio, all-in'.length)}  ${outDir}/{summary.json,traffic.ndjson,timeline.ndjson}\n`);
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

/** The codecs' own weights (codec.up / codec.down), when a learned codec sent any. */
function codecWeightsRow(t: RunSummary['totals']): Array<[string, string]> {
  const bytes = (t.bytesByKind['codec.up']?.wire ?? 0) + (t.bytesByKind['codec.down']?.wire ?? 0);
  if (bytes === 0) return [];
  return [['codec weights, sent', `${formatBytes(bytes)} (${((100 * bytes) / t.allWireBytes).toFixed(1)} % of all traffic)`]];
}
