/** Message shapes between the simulation and the compute pool's workers (one place, as piscina does). */
import type { LearnedCodecSpec } from '../codecs/learned/types.js';
import type { CodecOptions } from '../codecs/types.js';
import type { AdamOptions } from '../model/adam.js';
import type { PartName, Topology, UNetConfig } from '../model/types.js';
import type { PartState } from './paramStore.js';
import type { GroupedAdamOptions } from './optimizer.js';

/** A dense fp32 tensor crossing threads (its buffer is transferred when the sender gives it up). */
export interface TensorMsg {
  data: Float32Array;
  shape: number[];
}

/** Class-id labels [N, H, W]. */
export interface LabelsMsg {
  data: Uint8Array;
  shape: number[];
}

/** Which model a task runs: workers build (and cache) it from this description. */
export interface ModelKey {
  config: UNetConfig;
  topology: Topology;
}

/** A learned codec as a task uses it: the round's global parameters, maybe a copy to train. */
export interface LearnedRef {
  spec: LearnedCodecSpec;
  /** The global (wire) parameters, shared memory. */
  params: Float32Array;
  /** Normalise by RMS and centre per channel before coding (the scale and means travel with the bytes: a `scaled` container). */
  normalize: boolean;
  /**
   * The sender's trainable copy and its loss weights: λ (features) or λ_g (gradients), and for
   * a feature codec the weight of its reconstruction MSE (`distortion`, 0 or absent: none).
   */
  train?: { state: PartState; adam: GroupedAdamOptions; lambda: number; distortion?: number };
  /** Warm-up: send the tensor uncompressed (fp32) while the codec still trains on it. */
  passthrough?: boolean;
}

/** Named pool tasks (STYLE principle 7: names and buffers, never closures). */
export type PoolRequest =
  | { task: 'part.forward'; model: ModelKey; part: PartName; params: Float32Array; inputs: TensorMsg[] }
  | {
      task: 'part.backward';
      model: ModelKey;
      part: PartName;
      state: PartState;
      adam: AdamOptions;
      inputs: TensorMsg[];
      dOutputs: (TensorMsg | null)[];
      /** Whether the gradients of the inputs are needed (not for the first part). */
      inputGrads: boolean;
      /** A feature codec the part's first output passes through (trained jointly; frozen when it has no `train`). */
      outputCodec?: LearnedRef;
      /**
       * Also return the part's first output as it was sent (last in `outputs`), for the codec's
       * own step in a `codec.train` task of its own (the part's gradients do not wait for it).
       */
      returnSent?: boolean;
    }
  | {
      task: 'part.train';
      model: ModelKey;
      part: PartName;
      state: PartState;
      adam: AdamOptions;
      inputs: TensorMsg[];
      labels: LabelsMsg;
    }
  | {
      task: 'encode';
      codec: CodecOptions;
      tensor: TensorMsg;
      learned?: LearnedRef;
      /**
       * Error feedback (classic codecs): the sender's residual for this slot and shape, shared
       * memory that the task reads and overwrites in place (codecs/errorFeedback.ts).
       */
      residual?: Float32Array;
    }
  | { task: 'decode'; bytes: Uint8Array; learned?: LearnedRef }
  | {
      /**
       * One step of a learned codec's trainable copy (`learned.train`), apart from the task that
       * coded with it. A gradient codec steps on `rate + λ_g·MSE` of the tensor it encoded; a
       * feature codec on task + λ·rate (+ distortion) of the part's output as sent (`tensor`)
       * with the decoded gradient of that output (`dOutput`).
       */
      task: 'codec.train';
      role: 'gradient' | 'feature';
      learned: LearnedRef;
      tensor: TensorMsg;
      dOutput?: TensorMsg;
    }
  | {
      task: 'evaluate';
      model: ModelKey;
      params: Partial<Record<PartName, Float32Array>>;
      images: TensorMsg;
      labels: LabelsMsg;
      /** Codecs the split tensors pass through at inference (F1, and F2 for u-shaped). */
      codecs: { F1: CodecOptions | LearnedRef; F2: CodecOptions | LearnedRef };
      /** Also return the predicted class of every pixel (`PoolResult.prediction`). */
      prediction?: boolean;
    }
  | { task: 'ping' };

export type PoolTaskName = PoolRequest['task'];

/** What a task returns. */
export interface PoolResult {
  outputs: TensorMsg[];
  bytes?: Uint8Array;
  loss?: number;
  /** evaluate: classes × classes confusion counts. */
  confusion?: Float64Array;
  /** evaluate with `prediction`: argmax class per pixel, N·H·W. */
  prediction?: Uint8Array;
  /** ping: the backend the worker runs. */
  backend?: string;
  /** Wall milliseconds the worker spent on the task (measurement only: profiles, never results). */
  workerMs?: number;
}

/** Settings each worker starts with. */
export interface WorkerSettings {
  backend: string;
}
