/** Runs one sweep point in a child process (pointChild.ts) and waits for it. */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { compiledPath } from '../compute/pool.js';
import type { PointJob } from './point.js';
import type { PointReply, PointRequest } from './pointChild.js';

/**
 * Whether points should compute in their own thread rather than in compute-pool threads: when
 * `atOnce` points run at once on a machine with `cores` cores, each has at most one core, so a
 * pool would only add a thread to start and buffers to move (the logs are the same either way).
 */
export function computeInThread(atOnce: number, cores = availableParallelism()): boolean {
  return atOnce >= cores;
}

/** What the run of a point reports while it goes. */
export type PointProgress = (round: number, rounds: number) => void;

/**
 * Runs `job` in a fresh Node process, committed as `root/job.dir`; resolves with the run's wall
 * seconds, rejects with the run's error (or the child's exit status when it died). With
 * `inThread` the run computes in its own thread (see {@link computeInThread}).
 */
export function forkPoint(job: PointJob, root: string, tag: string, onProgress?: PointProgress, inThread = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(compiledPath('sweep/pointChild.js'), [], {
      // A point computing in its own thread shares the cores with as many others: V8 then
      // collects garbage and compiles (JavaScript and wasm tiers) in that thread too instead of
      // competing from helper threads (--single-threaded; about 6 % less CPU per point than
      // --single-threaded-gc alone, measured on a quickstart-size point).
      execArgv: inThread ? [...process.execArgv, '--single-threaded'] : process.execArgv,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let outcome: PointReply | null = null;
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('message', (m: PointReply) => {
      if (m.type === 'progress') onProgress?.(m.round, m.rounds);
      else outcome = m;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const o = outcome as PointReply | null;
      if (o?.type === 'done') resolve(o.wallSeconds);
      else if (o?.type === 'error') reject(new Error(o.message));
      else reject(new Error(`point ${job.dir}: its process ended with ${signal ?? `status ${code}`} before finishing${stderr ? `:\n${stderr}` : ''}`));
    });
    const req: PointRequest = { job, root, tag, inThread };
    child.send(req);
  });
}
