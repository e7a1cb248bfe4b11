/**
 * `npm run bench -- [--out FILE] [--only a,b] [--quick] [--backend NAME] [--torch FILE]`: measures speed and memory targets
 * side by side in one run and writes machine-readable JSON. Each entry is independent; a
 * failing entry is reported with its error and the others still run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { PREFERENCES, selectBackend, type BackendPreference } from '../compute/backend.js';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { runScenario } from '../run/simulation.js';
import { benchKernel } from '../sim/bench.js';
import { wallSeconds } from '../sim/wallClock.js';
import { benchGpuTrainStep, type TorchRow } from './gpuTrainStep.js';
import { timeTrainStep } from './trainStep.js';

/** What every entry gets: `--quick`, and the `--backend` preference when one was given. */
interface BenchContext {
  quick: boolean;
  backend?: BackendPreference;
  /** Rows of `--torch FILE` (scripts/torch_unet_step.py output). */
  torch?: TorchRow[];
}

/** An entry's measurements, and the tfjs backend it computed on (null: it computes no tensors). */
type Entry = (ctx: BenchContext) => Promise<Record<string, unknown> & { backend?: string | null }>;

/** Scenario overrides that put a run's compute pool on the `--backend` preference. */
function backendOverrides(backend: BackendPreference | undefined): ReturnType<typeof parseOverride>[] {
  return backend === undefined ? [] : [parseOverride(`compute.backend=${backend}`)];
}

const ENTRIES: Record<string, Entry> = {
  /**
   * U-Net split training step (base 16, 64², batch 8) on the `--backend` (default wasm), and on
   * wasm side by side: sync vs async readback (the pool worker reads with `await data()`), and,
   * where wasm is the backend under test, splitwire's kernels vs plain cpu.
   */
  trainStep: async ({ quick, backend }) => {
    const opts = { baseChannels: 16, size: 64, batch: 8 };
    const steps = quick ? 3 : 7;
    const chosen = await selectBackend(backend ?? 'wasm');
    const main = await timeTrainStep({ ...opts, steps });
    await selectBackend('wasm');
    const wasmSync = chosen.name === 'wasm' && main.readback === 'sync' ? main : await timeTrainStep({ ...opts, steps, readback: 'sync' });
    const wasmAsync = await timeTrainStep({ ...opts, steps, readback: 'async' });
    const out: Record<string, unknown> = {
      backend: chosen.name,
      trainStepBackend: chosen.name,
      trainStepReadback: main.readback,
      trainStepMs: main.medianMs,
      trainStepWasmMs: wasmSync.medianMs,
      trainStepWasmAsyncReadbackMs: wasmAsync.medianMs,
      asyncVsSyncReadbackWasm: wasmSync.medianMs / wasmAsync.medianMs,
    };
    // The plain-cpu step takes minutes: only where wasm is the backend under test.
    if (chosen.name === 'wasm') {
      await tf.setBackend('cpu');
      const cpu = await timeTrainStep({ ...opts, steps: 1, warmup: 0 });
      out['trainStepCpuMs'] = cpu.medianMs;
      out['wasmVsCpuTrainStep'] = cpu.medianMs / wasmSync.medianMs;
    }
    await selectBackend(backend ?? 'wasm');
    return out;
  },
  /**
   * The training step on a GPU backend (the `--backend`, or what 'auto' finds) and on wasm, at
   * the quickstart's and the paper's size; `{ skipped }` where there is no GPU backend.
   */
  gpuTrainStep: async ({ quick, backend, torch }) => {
    const r = await benchGpuTrainStep({ quick, ...(backend !== undefined ? { backend } : {}), ...(torch !== undefined ? { torch } : {}) });
    return { backend: 'skipped' in r ? null : r.backend, gpuTrainStep: r };
  },
  /**
   * The wasm training step against PyTorch on the CPU (one thread each, same weights and batch,
   * interleaved): `wasmVsTorchCpuTrainStepSmall` (16, 64², b8) and `…Medium` (32, 128², b8);
   * `torchCpu.skipped` says why where no Python imports torch.
   */
  torchCpu: async ({ quick }) => {
    const { benchTorchCpu } = await import('./torchCpu.js');
    await selectBackend('wasm');
    return { backend: tf.getBackend(), ...(await benchTorchCpu({ quick })) };
  },
  /** The README's run, end to end: wall time, accuracy, and the share of wall time outside compute tasks. */
  quickstart: async ({ quick, backend }) => {
    const overrides = [...(quick ? [parseOverride('protocol.rounds=2')] : []), ...backendOverrides(backend)];
    const s = await loadScenario('scenarios/quickstart.yaml', overrides);
    const r = await runScenario(s, { outDir: null });
    return {
      backend: r.summary.backend,
      quickstartWallSeconds: r.summary.wallSeconds,
      quickstartFinalMeanIoU: r.summary.final.meanIoU,
      orchestrationOverhead: r.summary.orchestrationOverhead,
      quickstartBackend: r.summary.backend,
    };
  },
  /**
   * What a learned codec costs in wall time: the quickstart (2 rounds) with codec factorized ÷
   * the same with none, run side by side in this bench run (ABBA order, twice without --quick,
   * means): `codecVsNoneWall`.
   */
  codecWall: async ({ quick, backend }) => {
    const { benchCodecWall } = await import('./codecWall.js');
    const r = await benchCodecWall({ quick, overrides: backendOverrides(backend) });
    return { backend: r.backend, codecVsNoneWall: r.codecVsNoneWall, codecWall: r };
  },
  /**
   * Where the time goes: the wasm training step (16, 64², b8) per kernel (self time and share),
   * and the quickstart (2 rounds) with none and with factorized per pool task kind.
   */
  profile: async ({ quick, backend }) => {
    const { profileRun, profileTrainStep } = await import('./runProfile.js');
    await selectBackend('wasm');
    const step = await profileTrainStep({ baseChannels: 16, size: 64, batch: 8 });
    const none = await profileRun('none', 2, backendOverrides(backend));
    const factorized = quick ? undefined : await profileRun('factorized', 2, backendOverrides(backend));
    return { backend: tf.getBackend(), profileTrainStep: step, profileRuns: { none, ...(factorized ? { factorized } : {}) } };
  },
  /** The network kernel alone: messages scheduled and delivered per second. */
  kernel: async ({ quick }) => {
    const r = benchKernel(quick ? 200_000 : 1_000_000);
    return { backend: null, kernelEventsPerS: r.eventsPerS };
  },
  /** 1,000 clients, 3 rounds, tiny model, on this machine. */
  clients1000: async ({ quick, backend }) => {
    const s = await loadScenario('scenarios/quickstart.yaml', [
      parseOverride(`protocol.clients=${quick ? 100 : 1000}`),
      parseOverride('protocol.rounds=3'),
      parseOverride('data.size=16'),
      parseOverride('data.samplesPerClient=4'),
      parseOverride('data.testSamples=16'),
      parseOverride('protocol.batchSize=4'),
      parseOverride('model.baseChannels=2'),
      parseOverride('evaluation.every=3'),
      ...backendOverrides(backend),
    ]);
    const t0 = wallSeconds();
    const r = await runScenario(s, { outDir: null });
    return {
      backend: r.summary.backend,
      clients1000WallSeconds: wallSeconds() - t0,
      clients1000Clients: s.protocol.clients,
      clients1000SimulatedSeconds: r.summary.simulatedSeconds,
    };
  },
  /** 10,000 fault schedules through the protocol machines (issue 5). */
  check: async ({ quick }) => {
    const { benchCheck } = await import('../check/bench.js');
    const r = await benchCheck(quick ? { schedules: 1000 } : {});
    return { backend: null, ...r };
  },
  /**
   * Sweeps (issue 15): throughput of 2 local processes vs 1 on the same points, and the queue's
   * overhead per job (one BullMQ worker vs the local pool of one); 2 points, once, with --quick.
   */
  sweep: async ({ quick }) => {
    const { benchSweep } = await import('../sweep/bench.js');
    return { backend: null, ...(await benchSweep(quick ? 2 : 4, quick ? 1 : 3)) };
  },
  /** splitwire roi on a 1,000,000-line traffic log (issue 6). */
  roi: async () => {
    const { benchRoiMillionLines } = await import('../roi/bench.js');
    return { backend: null, ...(await benchRoiMillionLines()) };
  },
  /** Learned decoders fed 10,000 hostile streams (issue 3): CodecError or a valid decode, nothing else. */
  decodeFuzz: async ({ quick }) => {
    await selectBackend('wasm');
    const fc = await import('fast-check');
    const { fuzzLearnedDecoders } = await import('../codecs/learned/fuzz.js');
    const start = wallSeconds();
    const r = fuzzLearnedDecoders(fc, quick ? 1000 : 10_000, 42);
    return { backend: tf.getBackend(), decodeFuzzCases: r.cases, decodeFuzzRejected: r.rejected, decodeFuzzDecoded: r.decoded, decodeFuzzSeconds: wallSeconds() - start };
  },
  /**
   * The entropy coder (issue 3): speed and overhead on an i.i.d. Laplacian (with Brotli on it,
   * `coderVsBrotliIid`), and `coderVsBrotli` on the symbols of a briefly trained hyperprior
   * (`coderVsBrotliFactorized`: factorized), details in `coderVsBrotliRuns`.
   */
  coder: async ({ quick }) => {
    const { benchCoder } = await import('../codecs/entropy/bench.js');
    const { benchLearnedVsBrotli, BROTLI_BENCH_QUICK } = await import('../codecs/learned/brotliBench.js');
    const r = benchCoder();
    await selectBackend('wasm');
    const opts = quick ? BROTLI_BENCH_QUICK : {};
    const hyperprior = benchLearnedVsBrotli({ ...opts, codec: 'hyperprior' });
    const factorized = benchLearnedVsBrotli({ ...opts, codec: 'factorized' });
    return {
      backend: tf.getBackend(),
      ...r,
      coderVsBrotli: hyperprior.coderVsBrotli,
      coderVsBrotliFactorized: factorized.coderVsBrotli,
      coderVsBrotliRuns: { hyperprior, factorized },
    };
  },
};

const USAGE = `Usage: npm run bench -- [--out FILE] [--only ${Object.keys(ENTRIES).join(',')}] [--quick]
                       [--backend ${PREFERENCES.join('|')}] [--torch FILE]

Writes one JSON object of measurements (stdout, and FILE with --out); "backends" says which
tfjs backend each entry computed on (null: no tensors).
  --backend NAME  the backend of trainStep and gpuTrainStep, and the compute.backend of the
                  scenario entries (quickstart, clients1000); default: trainStep wasm,
                  gpuTrainStep auto, scenarios as their files say
  --torch FILE    JSON printed by scripts/torch_unet_step.py: gpuTrainStep then reports
                  gpuVsTorchCudaTrainStep (PyTorch ms / tfjs GPU ms) for the sizes it has
`;

/** Rows of a scripts/torch_unet_step.py JSON file. */
function readTorchRows(file: string): TorchRow[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { rows?: unknown; device?: unknown };
  if (!Array.isArray(parsed.rows)) throw new Error(`--torch: ${file} must hold { "rows": [...] } (scripts/torch_unet_step.py output)`);
  return parsed.rows.map((r: Record<string, unknown>, i: number) => {
    for (const k of ['baseChannels', 'size', 'batch', 'ms']) {
      if (typeof r[k] !== 'number') throw new Error(`--torch: rows[${i}].${k} must be a number, got ${JSON.stringify(r[k])}`);
    }
    return { ...(r as unknown as TorchRow), device: String(r['device'] ?? parsed.device ?? 'unknown') };
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      out: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean' },
      backend: { type: 'string' },
      torch: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const names = values.only ? values.only.split(',') : Object.keys(ENTRIES);
  for (const n of names) {
    if (!(n in ENTRIES)) {
      process.stderr.write(`bench: --only: unknown entry "${n}" (known: ${Object.keys(ENTRIES).join(', ')})\n`);
      return 2;
    }
  }
  const backend = values.backend as BackendPreference | undefined;
  if (backend !== undefined && !PREFERENCES.includes(backend)) {
    process.stderr.write(`bench: --backend: must be one of ${PREFERENCES.join(', ')}, got '${backend}'\n`);
    return 2;
  }
  let torch: TorchRow[] | undefined;
  try {
    torch = values.torch === undefined ? undefined : readTorchRows(values.torch);
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const backends: Record<string, string | null> = {};
  const result: Record<string, unknown> = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    backendFlag: backend ?? null,
    backends,
    errors: {},
  };
  const ctx: BenchContext = { quick: values.quick ?? false, ...(backend !== undefined ? { backend } : {}), ...(torch !== undefined ? { torch } : {}) };
  for (const name of names) {
    process.stderr.write(`bench: ${name} …\n`);
    const t0 = wallSeconds();
    try {
      const { backend: ran, ...measured } = await (ENTRIES[name] as Entry)(ctx);
      backends[name] = ran ?? null;
      Object.assign(result, measured);
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
