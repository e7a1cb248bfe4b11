/**
 * Stand-in compute for the protocol checker: tasks finish after a fixed virtual time with fake
 * blobs whose lineage (which messages and which tagged tensors they descend from) is tracked,
 * and the client-side "weights" are small deterministic vectors, so FedAvg can be checked
 * against a reference computed from the trace.
 */
import type { BlobRef, TaskName } from '../protocol/messages.js';

/** Length of the stand-in weight vectors. */
export const WEIGHT_DIM = 4;

/** What the checker knows about a blob. */
export interface BlobInfo {
  /** Ids of the messages this blob descends from. */
  msgs: readonly number[];
  /** Tags such as `skip` or `labels`: kept by encode/decode (same tensor), not by training tasks. */
  tags: readonly string[];
  /** Weight vector, for weights blobs. */
  value: readonly number[] | null;
  /** A weights delta: the round whose global it must be added to. */
  base?: number;
  /** A codec.down form: the synced codec version it carries, and for a delta the version it must be added to. */
  codec?: { version: number; base: number | null };
  /** A codec.up: the client that trained it, and in which round. */
  codecUp?: { client: number; round: number };
}

/** The global client-side weights before round 0. */
export function initialWeights(): number[] {
  return Array.from({ length: WEIGHT_DIM }, (_, i) => 0.25 * (i + 1));
}

/**
 * What `stepsDone` local steps add to client k's weights in round r: a small vector, distinct per
 * client, round and step count, so that any mix-up of whose update is averaged shows in the result.
 */
export function localDelta(client: number, round: number, stepsDone: number): number[] {
  return Array.from({ length: WEIGHT_DIM }, (_, i) => stepsDone * 1e-3 * (1 + ((client * 31 + round * 17 + i * 7) % 13)));
}

/** Client k's packed weights: the loaded global plus its local change. */
export function packedWeights(loaded: readonly number[], client: number, round: number, stepsDone: number): number[] {
  const d = localDelta(client, round, stepsDone);
  return loaded.map((w, i) => w + (d[i] as number));
}

/** Sample-weighted FedAvg (McMahan et al. 2017, eq. for w_{t+1}); `current` when there is nothing to average. */
export function fedAvgVectors(vectors: readonly (readonly number[])[], samples: readonly number[], current: readonly number[]): number[] {
  if (vectors.length === 0) return [...current];
  const total = samples.reduce((a, b) => a + b, 0);
  const out = new Array<number>(current.length).fill(0);
  vectors.forEach((v, j) => {
    const w = (samples[j] ?? 0) / total;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + w * (v[i] ?? 0);
  });
  return out;
}

/** Blob ids, lineage and values of one run. */
export class StandInBlobs {
  private readonly infos = new Map<number, BlobInfo>();
  private nextId = 1;

  /** A new blob of `bytes` with its lineage. */
  make(bytes: number, info: BlobInfo): BlobRef {
    const id = this.nextId++;
    this.infos.set(id, info);
    return { id, bytes, rawBytes: bytes, codec: 'none' };
  }

  info(id: number): BlobInfo | undefined {
    return this.infos.get(id);
  }
}

/** How many outputs each task returns, and which tag its second output carries. */
export function taskOutputs(task: TaskName, topology: 'u-shaped' | 'label-sharing'): { count: number; secondTag: string | null } {
  switch (task) {
    case 'fe.forward':
      // u-shaped: [f1, skip]; label-sharing: [f1, labels]
      return { count: 2, secondTag: topology === 'u-shaped' ? 'skip' : 'labels' };
    case 'be.train':
      // [g2, the skip tensor's gradient]
      return { count: 2, secondTag: null };
    case 'weights.pack':
    case 'global.pack':
      // The stand-in builds their outputs itself (weights, deltas, codec forms): standInTasks.ts.
      return { count: 0, secondTag: null };
    case 'fe.backward':
    case 'weights.load':
    case 'aggregate':
    case 'm.aggregate':
      return { count: 0, secondTag: null };
    default:
      return { count: 1, secondTag: null };
  }
}

/** Tasks whose output is the same tensor as their input (tags such as `skip` survive them). */
export const IDENTITY_TASKS: ReadonlySet<TaskName> = new Set<TaskName>(['encode', 'decode']);
