/** What task handlers take and return (the dispatcher is taskRunner.ts). */
import type { Blob } from '../../compute/blobStore.js';
import type { TaskArgs, TaskName } from '../../protocol/messages.js';
import type { TaskContext } from './taskContext.js';

/** What a finished task produced. */
export interface TaskOutcome {
  outputs: Blob[];
  loss?: number;
}

/** A started task: its FLOPs (for the cost model) and the job. */
export interface TaskStart {
  flops: number;
  job: Promise<TaskOutcome>;
}

/**
 * Starts one named task for `actor`. Inputs are resolved (and consumed) before it returns, so
 * the blob store is consistent when it does.
 */
export type TaskHandler = (ctx: TaskContext, actor: string, args: TaskArgs, task: TaskName) => TaskStart;
