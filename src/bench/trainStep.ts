/**
 * One split U-Net training step, timed on a given tfjs backend: FE forward, M forward,
 * BE loss and backward, M backward, FE backward, Adam on every part — what a client and the
 * split server compute per batch, in one thread.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, buildSplitUNet, getPart, initModelParams, partBackward, partForward, partLossBackward } from '../model/index.js';
import type { PartName } from '../model/types.js';
import { Rng } from '../sim/rng.js';
import { wallSeconds } from '../sim/wallClock.js';

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
}

/** Median milliseconds per training step on the current backend, and the loss trajectory. */
export function timeTrainStep(o: TrainStepOptions): { medianMs: number; losses: number[] } {
  const classes = o.classes ?? 2;
  const model = buildSplitUNet({ inChannels: 3, classes, baseChannels: o.baseChannels, depth: o.depth ?? 3, size: o.size }, 'u-shaped');
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
  const step = (): number => {
    const [f1, skip] = partForward(FE, params.FE, [x]) as [tf.Tensor, tf.Tensor];
    const [f2] = partForward(M, params.M, [f1]) as [tf.Tensor];
    const be = partLossBackward(BE, params.BE, [f2, skip], y, classes);
    const [g2, gskip] = be.dInputs as [tf.Tensor, tf.Tensor];
    const m = partBackward(M, params.M, [f1], [g2]);
    const fe = partBackward(FE, params.FE, [x], [m.dInputs[0] as tf.Tensor, gskip]);
    adams.BE.step(params.BE, be.dParams);
    adams.M.step(params.M, m.dParams);
    adams.FE.step(params.FE, fe.dParams);
    tf.dispose([f1, skip, f2, ...be.dInputs, ...m.dInputs, ...fe.dInputs]);
    return be.loss;
  };
  const losses: number[] = [];
  for (let i = 0; i < (o.warmup ?? 1); i++) losses.push(step());
  const times: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const t0 = wallSeconds();
    losses.push(step());
    times.push((wallSeconds() - t0) * 1000);
  }
  tf.dispose([x, y]);
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] as number, losses };
}
