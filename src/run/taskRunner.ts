/**
 * Turns the protocol's named compute tasks into work: a table from task name to handler, split
 * by concern (tasks/modelTasks.ts: model parts; tasks/codecTasks.ts: encode and decode;
 * tasks/weightTasks.ts: weights and FedAvg), each returning its FLOPs (tasks/taskFlops.ts) for
 * the cost model, so a task's virtual duration does not depend on this machine's load.
 * TaskRunner dispatches, and keeps each actor's pool jobs in virtual order.
 */
import type { BlobStore } from '../compute/blobStore.js';
import type { ComputePool } from '../compute/pool.js';
import type { LearnedRef } from '../compute/types.js';
import type { CodecOptions } from '../codecs/types.js';
import type { CodecSlot, TaskArgs, TaskName } from '../protocol/messages.js';
import { CODEC_TASKS } from './tasks/codecTasks.js';
import { MODEL_TASKS } from './tasks/modelTasks.js';
import { TaskContext } from './tasks/taskContext.js';
import type { TaskHandler, TaskStart } from './tasks/types.js';
import { WEIGHT_TASKS } from './tasks/weightTasks.js';
import type { World } from './world.js';

export type { TaskHandler, TaskOutcome, TaskStart } from './tasks/types.js';

/** Every task the protocol names, and its handler. */
export const TASKS: Record<TaskName, TaskHandler> = { ...MODEL_TASKS, ...CODEC_TASKS, ...WEIGHT_TASKS };

export class TaskRunner {
  private readonly ctx: TaskContext;

  constructor(world: World, pool: ComputePool, blobs: BlobStore) {
    this.ctx = new TaskContext(world, pool, blobs);
  }

  /** Rounds at whose end the codecs are synced (codec.up, then codec.down): codecSync.ts. */
  get codecSync(): boolean[] {
    return this.ctx.codecs.codecSync;
  }

  /**
   * The codec of a slot as a task uses it: classic options, or a learned codec's global
   * parameters, plus (with `trainer`) the trainable copy of the client or server copy `trainer`.
   */
  codecOf(slot: CodecSlot, trainer?: number): CodecOptions | LearnedRef {
    return this.ctx.codecOf(slot, trainer);
  }

  /** Sample indices of client k's batch for (round, step): a seeded shuffle per epoch. */
  batchIndices(k: number, round: number, step: number): number[] {
    return this.ctx.batchIndices(k, round, step);
  }

  /**
   * Starts task `task` now; returns its FLOPs (for the cost model) and the job. Inputs are
   * resolved (and consumed) immediately, so the blob store is consistent when this returns.
   */
  start(actor: string, task: TaskName, args: TaskArgs): TaskStart {
    const r = TASKS[task](this.ctx, actor, args, task);
    return { flops: r.flops, job: this.ctx.track(actor, r.job) };
  }
}
