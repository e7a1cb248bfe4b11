/**
 * Timings and rates of the learned codecs on the current tfjs backend: compress/decompress
 * time and the coded-versus-estimated gap at a given tensor shape, and a serial-versus-checkerboard
 * comparison of the cheng2020-attn context models trained identically. Benchmarks may read the
 * wall clock (STYLE.md §2).
 */
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../../model/adam.js';
import { Rng } from '../../sim/rng.js';
import { wallSeconds } from '../../sim/wallClock.js';
import type { TensorData } from '../types.js';
import { createLearnedCodec } from './createLearnedCodec.js';
import { smoothFields } from './fixtures.js';
import { rateAccount, type RateAccount } from './rateAccount.js';
import { learnedLossAndGrads } from './train.js';
import type { LearnedCodec, LearnedCodecSpec } from './types.js';

/** One codec at one shape. */
export interface CodingBenchRow {
  codec: string;
  shape: number[];
  stages: number;
  latent: number;
  paramCount: number;
  /** Medians over the timed runs. */
  compressMs: number;
  decompressMs: number;
  rate: RateAccount;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function label(spec: LearnedCodecSpec): string {
  return spec.context ? `${spec.name}/${spec.context}` : spec.name;
}

/**
 * Times compress and decompress of `codec` (params `params`) on `x`: one untimed run, then the
 * median of `runs`.
 */
export function benchCoding(codec: LearnedCodec, params: Float32Array, x: TensorData, runs = 3): CodingBenchRow {
  let bytes = codec.compress(params, x);
  codec.decompress(params, bytes);
  const enc: number[] = [];
  const dec: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = wallSeconds();
    bytes = codec.compress(params, x);
    enc.push(1000 * (wallSeconds() - t));
    t = wallSeconds();
    codec.decompress(params, bytes);
    dec.push(1000 * (wallSeconds() - t));
  }
  return {
    codec: codec.spec.context ? `${codec.name}/${codec.spec.context}` : codec.name,
    shape: x.shape.slice(),
    stages: codec.spec.stages,
    latent: codec.spec.latent,
    paramCount: codec.paramCount,
    compressMs: median(enc),
    decompressMs: median(dec),
    rate: rateAccount(codec, params, x, bytes),
  };
}

/** Options of `trainCodec`; defaults in `TRAIN_DEFAULTS`. */
export interface TrainOptions {
  steps?: number;
  batch?: number;
  size?: number;
  lambda?: number;
  lr?: number;
  seed?: number;
}

/** Defaults of `TrainOptions`. */
export const TRAIN_DEFAULTS: Required<TrainOptions> = { steps: 200, batch: 2, size: 32, lambda: 0.02, lr: 3e-3, seed: 1 };

/** Trains a codec on smooth random fields with Adam; returns its parameters and seconds taken. */
export function trainCodec(spec: LearnedCodecSpec, opts: TrainOptions = {}): { codec: LearnedCodec; params: Float32Array; seconds: number } {
  const o = { ...TRAIN_DEFAULTS, ...opts };
  const codec = createLearnedCodec(spec);
  const params = codec.init(new Rng(o.seed, `bench/${label(spec)}`));
  const adam = new Adam(codec.paramCount, { lr: o.lr });
  const rng = new Rng(o.seed, 'bench/train');
  const t = wallSeconds();
  for (let step = 0; step < o.steps; step++) {
    const b = smoothFields(o.batch, o.size, spec.channels, rng.child(`batch${step}`));
    const x = tf.tensor4d(b.data, b.shape as [number, number, number, number]);
    const r = learnedLossAndGrads(codec, params, x, { lambda: o.lambda, rng: rng.child(`noise${step}`) });
    x.dispose();
    adam.step(params, r.grads);
  }
  return { codec, params, seconds: wallSeconds() - t };
}

/** Held-out rate and distortion of a trained codec, with its coding times. */
export interface ContextBenchRow extends CodingBenchRow {
  bitsPerElement: number;
  mse: number;
  trainSeconds: number;
}

/**
 * cheng2020-attn with the serial and the checkerboard context, trained identically (same seed,
 * data and noise), then measured on the same held-out fields: rate, distortion, coding time.
 */
export function benchContexts(
  base: Omit<LearnedCodecSpec, 'name' | 'context'>,
  train: TrainOptions,
  heldOut: TensorData,
): ContextBenchRow[] {
  return (['serial', 'checkerboard'] as const).map((context) => {
    const { codec, params, seconds } = trainCodec({ ...base, name: 'cheng2020-attn', context }, train);
    const row = benchCoding(codec, params, heldOut);
    const e = codec.estimate(params, heldOut);
    const mse = e.xhat.data.reduce((s, v, i) => s + (v - (heldOut.data[i] as number)) ** 2, 0) / heldOut.data.length;
    return { ...row, bitsPerElement: (8 * row.rate.totalBytes) / heldOut.data.length, mse, trainSeconds: seconds };
  });
}
