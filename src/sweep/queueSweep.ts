/**
 * The sweep's side of the queue: queue each unfinished point as a BullMQ job named by its key
 * (so a point queued twice is one job), follow the jobs until all have finished, and copy each
 * result from Redis into its point folder as it arrives.
 */
import { Queue } from 'bullmq';
import { wallSleep } from '../sim/wallClock.js';
import type { PointJob } from './point.js';
import { isPointDone, writePointFiles } from './pointDir.js';
import { ResultStore } from './resultStore.js';
import { JOB_NAME } from './queueNames.js';
import type { RedisConnection } from './redisUrl.js';

/** Options of a queued sweep. */
export interface QueueSweepOptions {
  connection: RedisConnection;
  queueName: string;
  attempts: number;
  /** How often job states are read, ms. */
  pollMs?: number;
  /** Hears the counts whenever they change. */
  onProgress?: (p: QueueProgress) => void;
}

/** Where the queued points stand. */
export interface QueueProgress {
  total: number;
  done: number;
  running: number;
  failed: number;
  waiting: number;
}

/** The outcome of a queued sweep: points run now, found already stored, and failures. */
export interface QueueSweepResult {
  queued: number;
  fromStore: number;
  failures: Array<{ point: PointJob; reason: string; attempts: number }>;
}

/** Runs `points` through the queue; their files land under `root`. Points already done there are skipped. */
export async function runPointsOnQueue(points: readonly PointJob[], root: string, o: QueueSweepOptions): Promise<QueueSweepResult> {
  const queue = new Queue<PointJob>(o.queueName, { connection: o.connection, prefix: o.queueName });
  const store = new ResultStore(o.connection, o.queueName);
  const failures: QueueSweepResult['failures'] = [];
  let queued = 0;
  let fromStore = 0;
  try {
    const pending = new Map<string, PointJob[]>();
    for (const p of points) {
      if (isPointDone(root, p)) continue;
      const files = await store.get(p.key);
      if (files !== null) {
        writePointFiles(root, p, files, 'queue');
        fromStore++;
        continue;
      }
      const same = pending.get(p.key);
      if (same !== undefined) {
        same.push(p);
        continue;
      }
      const old = await queue.getJob(p.key);
      const state = old === undefined ? null : await old.getState();
      // A job of this key that failed before, or finished but whose result has expired: run it afresh.
      if (old !== undefined && (state === 'failed' || state === 'completed')) await old.remove();
      if (old === undefined || state === 'failed' || state === 'completed') {
        await queue.add(JOB_NAME, p, {
          jobId: p.key,
          attempts: o.attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        });
        queued++;
      }
      pending.set(p.key, [p]);
    }
    let last = '';
    const total = points.length;
    while (pending.size > 0) {
      let running = 0;
      let waiting = 0;
      for (const [key, group] of [...pending]) {
        const p = group[0] as PointJob;
        const state = await queue.getJobState(key);
        if (state === 'completed') {
          const files = await store.get(key);
          if (files === null) throw new Error(`point ${p.dir}: its job completed but no result is stored under ${key}`);
          for (const q of group) writePointFiles(root, q, files, 'queue');
          pending.delete(key);
        } else if (state === 'failed') {
          const job = await queue.getJob(key);
          for (const q of group) failures.push({ point: q, reason: job?.failedReason ?? 'unknown', attempts: job?.attemptsMade ?? 0 });
          pending.delete(key);
        } else if (state === 'active') running += group.length;
        else if (state === 'unknown') throw new Error(`point ${p.dir}: its job ${key} left the queue without a result (removed by hand?)`);
        else waiting += group.length;
      }
      const left = [...pending.values()].reduce((a, g) => a + g.length, 0);
      const progress = { total, done: total - left - failures.length, running, failed: failures.length, waiting };
      const text = JSON.stringify(progress);
      if (text !== last) o.onProgress?.(progress);
      last = text;
      if (pending.size > 0) await wallSleep(o.pollMs ?? 500);
    }
  } finally {
    await queue.close();
    await store.close();
  }
  return { queued, fromStore, failures };
}
