/**
 * One split U-Net training step, timed on a given tfjs backend: FE forward, M forward,
 * BE loss and backward, M backward, FE backward, Adam on every part — what a client and the
 * split server compute per batch, in one thread.
 */
import * as tf from '@tensorflow/tfjs';
import { hasSyncReadback } from '../compute/backend.js';
import {
  Adam,
  buildSplitUNet,
  getPart,
  initModelParams,
  partBackward,
  partBackwardAsync,
  partForward,
  partLossBackward,
  partLossBackwardAsync,
} from '../model/index.js';
import type { ModelPart, PartName, SplitModel, UNetConfig } from '../model/types.js';
import { Rng } from '../sim/rng.js';
import { wallSeconds } from '../sim/wallClock.js';

export type Readback = 'sync' | 'async';

export interface TrainStepOptions {
  baseChannels: number;
  size: number;
  batch: number;
  depth?: number;
  classes?: number;
  /** Timed steps (after the warm-up steps); the median is reported. */
  steps: number;
  /** Untimed steps first (default 1; the plain cpu backend needs none and takes minutes per step). */
  warmup?: number;
  /**
   * How gradients and the loss are read back: `dataSync()` or `await data()` (what the pool
   * worker does). Default: 'sync' where the backend has synchronous readback, else 'async'.
   */
  readback?: Readback;
}

export interface TrainStepTiming {
  medianMs: number;
  /** Every timed step, in order. */
  times: number[];
  losses: number[];
  readback: Readback;
}

type Backward = (part: ModelPart, params: Float32Array, inputs: tf.Tensor[], dOut: (tf.Tensor | null)[]) => Promise<{ dInputs: tf.Tensor[]; dParams: Float32Array }>;
type LossBackward = (
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  labels: tf.Tensor,
  classes: number,
) => Promise<{ loss: number; dInputs: tf.Tensor[]; dParams: Float32Array }>;

/** The gradient functions of a readback mode, both as promises (a sync call resolves at once). */
function gradFunctions(readback: Readback): { backward: Backward; lossBackward: LossBackward } {
  if (readback === 'async') return { backward: partBackwardAsync, lossBackward: partLossBackwardAsync };
  return {
    backward: (...a) => Promise.resolve(partBackward(...a)),
    lossBackward: (...a) => Promise.resolve(partLossBackward(...a)),
  };
}

/** A prepared training step: its model, starting weights and batch, and the step itself. */
export interface PreparedTrainStep {
  config: UNetConfig;
  /** The parts' flat parameters; `step` updates them in place (Adam). */
  params: Record<'FE' | 'M' | 'BE', Float32Array>;
  model: SplitModel;
  /** The batch: images [batch, size, size, 3] (NHWC) and labels [batch, size, size]. */
  xData: Float32Array;
  yData: Int32Array;
  /** One training step on the batch; resolves to its loss once the gradients are on the CPU. */
  step(): Promise<number>;
  /** Frees the batch's tensors. */
  dispose(): void;
}

/**
 * The split training step of `o` on the current backend, seeded (weights and batch from
 * `Rng(7, 'bench/train-step')`), not yet run.
 */
export function prepareTrainStep(o: Omit<TrainStepOptions, 'steps' | 'warmup'>): PreparedTrainStep {
  const readback = o.readback ?? (hasSyncReadback() ? 'sync' : 'async');
  const { backward, lossBackward } = gradFunctions(readback);
  const classes = o.classes ?? 2;
  const config: UNetConfig = { inChannels: 3, classes, baseChannels: o.baseChannels, depth: o.depth ?? 3, size: o.size };
  const model = buildSplitUNet(config, 'u-shaped');
  const rng = new Rng(7, 'bench/train-step');
  const params = initModelParams(model, rng) as Record<'FE' | 'M' | 'BE', Float32Array>;
  const adams = Object.fromEntries((['FE', 'M', 'BE'] as PartName[]).map((p) => [p, new Adam(params[p as 'FE'].length, { lr: 1e-3 })])) as Record<
    'FE' | 'M' | 'BE',
    Adam
  >;
  const xData = new Float32Array(o.batch * o.size * o.size * 3).map(() => rng.uniform());
  const yData = new Int32Array(o.batch * o.size * o.size).map((_, i) => ((xData[i * 3] as number) > 0.5 ? 1 : 0));
  const x = tf.tensor4d(xData, [o.batch, o.size, o.size, 3]);
  const y = tf.tensor3d(yData, [o.batch, o.size, o.size], 'int32');
  const FE = getPart(model, 'FE');
  const M = getPart(model, 'M');
  const BE = getPart(model, 'BE');
  const step = async (): Promise<number> => {
    const [f1, skip] = partForward(FE, params.FE, [x]) as [tf.Tensor, tf.Tensor];
    const [f2] = partForward(M, params.M, [f1]) as [tf.Tensor];
    const be = await lossBackward(BE, params.BE, [f2, skip], y, classes);
    const [g2, gskip] = be.dInputs as [tf.Tensor, tf.Tensor];
    const m = await backward(M, params.M, [f1], [g2]);
    const fe = await backward(FE, params.FE, [x], [m.dInputs[0] as tf.Tensor, gskip]);
    adams.BE.step(params.BE, be.dParams);
    adams.M.step(params.M, m.dParams);
    adams.FE.step(params.FE, fe.dParams);
    tf.dispose([f1, skip, f2, ...be.dInputs, ...m.dInputs, ...fe.dInputs]);
    return be.loss;
  };
  return { config, params, model, xData, yData, step, dispose: () => tf.dispose([x, y]) };
}

/**
 * Median milliseconds per training step on the current backend, and the loss trajectory. Each
 * step ends when its gradients are on the CPU (Adam runs there), so every timed step is
 * synchronised with the device, GPU backends included.
 */
export async function timeTrainStep(o: TrainStepOptions): Promise<TrainStepTiming> {
  const readback = o.readback ?? (hasSyncReadback() ? 'sync' : 'async');
  const prepared = prepareTrainStep({ ...o, readback });
  const losses: number[] = [];
  const times: number[] = [];
  try {
    for (let i = 0; i < (o.warmup ?? 1); i++) losses.push(await prepared.step());
    for (let i = 0; i < o.steps; i++) {
      const t0 = wallSeconds();
      losses.push(await prepared.step());
      times.push((wallSeconds() - t0) * 1000);
    }
  } finally {
    prepared.dispose();
  }
  return { medianMs: median(times), times, losses, readback };
}

/** The median (the upper one of an even count), NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
