/**
 * `splitwire worker`: takes sweep points off the BullMQ queue, runs each in a child process,
 * and stores its files in Redis under the point's key. A worker that dies mid-job stops
 * renewing the job's lock; another worker's stalled-job check puts the job back (at most
 * MAX_STALLED times), so it runs elsewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { checkFiles, type PointJob } from './point.js';
import { computeInThread, forkPoint } from './forkPoint.js';
import { readRunFiles } from './pointDir.js';
import { ResultStore } from './resultStore.js';
import { MAX_STALLED } from './queueNames.js';
import type { RedisConnection } from './redisUrl.js';

/** Options of a worker (defaults in workerCommand.ts). */
export interface WorkerOptions {
  connection: RedisConnection;
  queueName: string;
  concurrency: number;
  lockSeconds: number;
  log: (line: string) => void;
}

/** What a finished job returns (BullMQ's return value; no files, they are in the result store). */
export interface JobReturn {
  key: string;
  cached: boolean;
  worker: string;
  wallSeconds: number;
}

/** Starts a worker; resolves with it once connected. Close it with `worker.close()`. */
export async function startWorker(o: WorkerOptions): Promise<{ worker: Worker; store: ResultStore }> {
  const store = new ResultStore(o.connection, o.queueName);
  const scratch = mkdtempSync(join(tmpdir(), 'splitwire-worker-'));
  const me = `${hostname()}:${process.pid}`;
  const processor = async (job: Job<PointJob>): Promise<JobReturn> => {
    const p = job.data;
    if (await store.has(p.key)) {
      o.log(`job ${p.dir} (${p.key.slice(0, 8)}): result already stored, not run again`);
      return { key: p.key, cached: true, worker: me, wallSeconds: 0 };
    }
    const problems = checkFiles(p.files);
    if (problems.length > 0) throw new UnrecoverableError(`point ${p.dir} cannot run on ${me}:\n  ${problems.join('\n  ')}`);
    o.log(`job ${p.dir} (${p.key.slice(0, 8)}): started, attempt ${job.attemptsMade + 1}`);
    const wall = await forkPoint(
      p,
      scratch,
      `w${process.pid}`,
      (round, rounds) => void job.updateProgress({ round, rounds }),
      computeInThread(o.concurrency),
    );
    const dir = join(scratch, p.dir);
    const bytes = await store.put(p.key, readRunFiles(dir));
    rmSync(dir, { recursive: true, force: true });
    o.log(`job ${p.dir} (${p.key.slice(0, 8)}): done in ${wall.toFixed(1)} s, ${bytes} bytes stored`);
    return { key: p.key, cached: false, worker: me, wallSeconds: wall };
  };
  const worker = new Worker<PointJob, JobReturn>(o.queueName, processor, {
    connection: o.connection,
    concurrency: o.concurrency,
    lockDuration: o.lockSeconds * 1000,
    stalledInterval: o.lockSeconds * 1000,
    maxStalledCount: MAX_STALLED,
    prefix: o.queueName,
  });
  worker.on('failed', (job, err) => o.log(`job ${job?.data.dir ?? '?'}: failed: ${err.message}`));
  worker.on('error', (err) => o.log(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  worker.on('closed', () => rmSync(scratch, { recursive: true, force: true }));
  return { worker, store };
}
