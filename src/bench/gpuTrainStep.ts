/**
 * The `gpuTrainStep` benchmark: the split U-Net training step (timeTrainStep: the simulator's
 * own path, flat parameters and Adam on the CPU) on a GPU backend and on wasm in the same run,
 * at the quickstart's size and at the paper's (SplitFedZip: base 32, 256²). Where no GPU
 * backend can be used it says why instead of failing.
 */
import * as tf from '@tensorflow/tfjs';
import { hasSyncReadback, selectBackend, type BackendPreference, type BackendReport } from '../compute/backend.js';
import { GPU_BACKENDS } from '../compute/pool.js';
import { timeTrainStep, type TrainStepTiming } from './trainStep.js';

/** One model size of the comparison; `batch` is the largest tried (halved until it fits on the GPU). */
export interface GpuTrainSize {
  name: string;
  baseChannels: number;
  size: number;
  batch: number;
}

export const GPU_TRAIN_SIZES: readonly GpuTrainSize[] = [
  { name: 'quickstart', baseChannels: 8, size: 64, batch: 8 },
  { name: 'paper', baseChannels: 32, size: 256, batch: 8 },
];

/** A PyTorch timing (scripts/torch_unet_step.py output row) to compare with. */
export interface TorchRow {
  baseChannels: number;
  size: number;
  batch: number;
  ms: number;
  device?: string;
}

export interface GpuTrainStepOptions {
  /** The `--backend` preference; undefined means 'auto'. */
  backend?: BackendPreference;
  quick?: boolean;
  sizes?: readonly GpuTrainSize[];
  /** Rows of scripts/torch_unet_step.py, for `gpuVsTorchCudaTrainStep`. */
  torch?: readonly TorchRow[];
  /** Replaceable in tests; default: the real `selectBackend`. */
  select?: (preference: BackendPreference) => Promise<BackendReport>;
}

export type GpuTrainStepResult = { skipped: string } | ({ backend: string; tfBackend: string; readback: string } & Record<string, unknown>);

/** Why `preference` gives no GPU backend, or undefined with the report when it does. */
async function gpuBackend(
  preference: BackendPreference,
  select: (p: BackendPreference) => Promise<BackendReport>,
): Promise<{ report?: BackendReport; reason?: string }> {
  if (preference !== 'auto' && !GPU_BACKENDS.includes(preference)) {
    return { reason: `--backend ${preference} is not a GPU backend (${GPU_BACKENDS.join(', ')})` };
  }
  let report: BackendReport;
  try {
    report = await select(preference);
  } catch (err) {
    return { reason: err instanceof Error ? err.message : String(err) };
  }
  if (!GPU_BACKENDS.includes(report.name)) {
    return { reason: `'${preference}' selected ${report.name}${report.reasons.length > 0 ? ` (${report.reasons.join('; ')})` : ''}` };
  }
  return { report };
}

function summary(t: TrainStepTiming, batch: number): Record<string, unknown> {
  return {
    batch,
    ms: round(t.medianMs),
    steps: t.times.length,
    firstLoss: t.losses[0],
    lastLoss: t.losses[t.losses.length - 1],
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Out of device memory, as tfjs backends and Dawn say it. */
function isOutOfMemory(err: unknown): boolean {
  const m = (err instanceof Error ? err.message : String(err)).toLowerCase();
  return /out of memory|oom|allocation|exceeds|too large|max(imum)? buffer size|cannot enlarge/.test(m);
}

/**
 * Times the training step on the GPU backend `backend` selects and on wasm, per size:
 * `gpuVsWasmTrainStep` = wasm ms / GPU ms (how many times faster the GPU is), and where a
 * PyTorch row of the same size is given, `gpuVsTorchCudaTrainStep` = PyTorch ms / tfjs GPU ms.
 * @example await benchGpuTrainStep({ backend: 'webgpu' }) // { backend: 'webgpu', quickstart: {…}, paper: {…} }
 */
export async function benchGpuTrainStep(o: GpuTrainStepOptions = {}): Promise<GpuTrainStepResult> {
  const preference = o.backend ?? 'auto';
  const select = o.select ?? ((p: BackendPreference): Promise<BackendReport> => selectBackend(p));
  const { report, reason } = await gpuBackend(preference, select);
  if (report === undefined) return { skipped: `no GPU backend: ${reason ?? 'unknown'}` };
  const gpuTf = tf.getBackend();
  const quick = o.quick ?? false;
  const out: Record<string, unknown> = {};
  for (const s of o.sizes ?? GPU_TRAIN_SIZES) {
    const paper = s.size >= 256;
    const row: Record<string, unknown> = { baseChannels: s.baseChannels, size: s.size };
    // GPU: two warm-up steps compile the shaders; halve the batch until it fits.
    await tf.setBackend(gpuTf);
    let gpu: TrainStepTiming | undefined;
    let batch = s.batch;
    for (; batch >= 1; batch = Math.floor(batch / 2)) {
      try {
        gpu = await timeTrainStep({ baseChannels: s.baseChannels, size: s.size, batch, steps: quick ? 3 : 10, warmup: 2 });
        break;
      } catch (err) {
        if (!isOutOfMemory(err) || batch === 1) {
          row['gpuError'] = err instanceof Error ? err.message : String(err);
          break;
        }
      }
    }
    if (gpu !== undefined) row['gpu'] = summary(gpu, batch);
    // wasm at the batch the GPU ran (a paper-size step takes tens of seconds there: fewer steps).
    if (gpu !== undefined) {
      try {
        await selectBackend('wasm');
        const steps = paper ? (quick ? 1 : 3) : quick ? 3 : 10;
        // No shaders to compile on wasm; at the paper size a warm-up step would cost half a minute.
        const wasm = await timeTrainStep({ baseChannels: s.baseChannels, size: s.size, batch, steps, warmup: paper ? 0 : 1 });
        row['wasm'] = summary(wasm, batch);
        row['gpuVsWasmTrainStep'] = round(wasm.medianMs / gpu.medianMs);
      } catch (err) {
        row['wasmError'] = err instanceof Error ? err.message : String(err);
      }
      const torch = o.torch?.find((t) => t.baseChannels === s.baseChannels && t.size === s.size && t.batch === batch);
      if (torch !== undefined) {
        row['torch'] = torch;
        row['gpuVsTorchCudaTrainStep'] = round(torch.ms / gpu.medianMs);
      }
    }
    out[s.name] = row;
  }
  await tf.setBackend(gpuTf);
  return { backend: report.name, tfBackend: gpuTf, readback: hasSyncReadback() ? 'sync' : 'async', ...out };
}
