/** Runs one sweep point in a child process (pointChild.ts) and waits for it. */
import { fork } from 'node:child_process';
import { compiledPath } from '../compute/pool.js';
import type { PointJob } from './point.js';
import type { PointReply, PointRequest } from './pointChild.js';

/** What the run of a point reports while it goes. */
export type PointProgress = (round: number, rounds: number) => void;

/**
 * Runs `job` in a fresh Node process, committed as `root/job.dir`; resolves with the run's wall
 * seconds, rejects with the run's error (or the child's exit status when it died).
 */
export function forkPoint(job: PointJob, root: string, tag: string, onProgress?: PointProgress): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(compiledPath('sweep/pointChild.js'), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
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
    const req: PointRequest = { job, root, tag };
    child.send(req);
  });
}
