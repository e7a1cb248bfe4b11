/**
 * `npm run bench -- [--out FILE] [--only a,b] [--quick]`: measures speed and memory targets
 * side by side in one run and writes machine-readable JSON. Each entry is independent; a
 * failing entry is reported with its error and the others still run.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../compute/backend.js';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { runScenario } from '../run/simulation.js';
import { benchKernel } from '../sim/bench.js';
import { wallSeconds } from '../sim/wallClock.js';
import { timeTrainStep } from './trainStep.js';

type Entry = (quick: boolean) => Promise<Record<string, unknown>>;

const ENTRIES: Record<string, Entry> = {
  /** U-Net split training step (base 16, 64², batch 8): wasm with splitwire's kernels vs plain cpu. */
  trainStep: async (quick) => {
    const opts = { baseChannels: 16, size: 64, batch: 8 };
    await selectBackend('wasm');
    const wasm = timeTrainStep({ ...opts, steps: quick ? 3 : 7 });
    await tf.setBackend('cpu');
    const cpu = timeTrainStep({ ...opts, steps: 1, warmup: 0 });
    await tf.setBackend('wasm');
    return {
      trainStepWasmMs: wasm.medianMs,
      trainStepCpuMs: cpu.medianMs,
      wasmVsCpuTrainStep: cpu.medianMs / wasm.medianMs,
    };
  },
  /** The README's run, end to end: wall time, accuracy, and the share of wall time outside compute tasks. */
  quickstart: async (quick) => {
    const overrides = quick ? [parseOverride('protocol.rounds=2')] : [];
    const s = await loadScenario('scenarios/quickstart.yaml', overrides);
    const r = await runScenario(s, { outDir: null });
    return {
      quickstartWallSeconds: r.summary.wallSeconds,
      quickstartFinalMeanIoU: r.summary.final.meanIoU,
      orchestrationOverhead: r.summary.orchestrationOverhead,
      quickstartBackend: r.summary.backend,
    };
  },
  /** The network kernel alone: messages scheduled and delivered per second. */
  kernel: async (quick) => {
    const r = benchKernel(quick ? 200_000 : 1_000_000);
    return { kernelEventsPerS: r.eventsPerS };
  },
  /** 1,000 clients, 3 rounds, tiny model, on this machine. */
  clients1000: async (quick) => {
    const s = await loadScenario('scenarios/quickstart.yaml', [
      parseOverride(`protocol.clients=${quick ? 100 : 1000}`),
      parseOverride('protocol.rounds=3'),
      parseOverride('data.size=16'),
      parseOverride('data.samplesPerClient=4'),
      parseOverride('data.testSamples=16'),
      parseOverride('protocol.batchSize=4'),
      parseOverride('model.baseChannels=2'),
      parseOverride('evaluation.every=3'),
    ]);
    const t0 = wallSeconds();
    const r = await runScenario(s, { outDir: null });
    return { clients1000WallSeconds: wallSeconds() - t0, clients1000Clients: s.protocol.clients, clients1000SimulatedSeconds: r.summary.simulatedSeconds };
  },
  /** 10,000 fault schedules through the protocol machines (issue 5). */
  check: async (quick) => {
    const { benchCheck } = await import('../check/bench.js');
    const r = await benchCheck(quick ? { schedules: 1000 } : {});
    return { ...r };
  },
  /** splitwire roi on a 1,000,000-line traffic log (issue 6). */
  roi: async () => {
    const { benchRoiMillionLines } = await import('../roi/bench.js');
    return { ...(await benchRoiMillionLines()) };
  },
  /** The entropy coder (issue 3). */
  coder: async () => {
    const { benchCoder } = await import('../codecs/entropy/bench.js');
    const r = benchCoder();
    return { ...r };
  },
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      out: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      `Usage: npm run bench -- [--out FILE] [--only ${Object.keys(ENTRIES).join(',')}] [--quick]\n\nWrites one JSON object of measurements (stdout, and FILE with --out).\n`,
    );
    return 0;
  }
  const names = values.only ? values.only.split(',') : Object.keys(ENTRIES);
  for (const n of names) {
    if (!(n in ENTRIES)) {
      process.stderr.write(`bench: --only: unknown entry "${n}" (known: ${Object.keys(ENTRIES).join(', ')})\n`);
      return 2;
    }
  }
  const result: Record<string, unknown> = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    errors: {},
  };
  for (const name of names) {
    process.stderr.write(`bench: ${name} …\n`);
    const t0 = wallSeconds();
    try {
      Object.assign(result, await (ENTRIES[name] as Entry)(values.quick ?? false));
    } catch (err) {
      (result['errors'] as Record<string, string>)[name] = err instanceof Error ? err.message : String(err);
    }
    process.stderr.write(`bench: ${name} done in ${(wallSeconds() - t0).toFixed(1)} s\n`);
  }
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (values.out) writeFileSync(values.out, json);
  process.stdout.write(json);
  return Object.keys(result['errors'] as object).length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
