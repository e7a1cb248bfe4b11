/** Runs a sweep's points on this machine: up to `jobs` child processes at once. */
import { computeInThread, forkPoint } from './forkPoint.js';
import type { PointJob } from './point.js';

/** One point's outcome in a local sweep. */
export type LocalOutcome = { point: PointJob; ok: true; wallSeconds: number } | { point: PointJob; ok: false; error: string };

/**
 * Runs every point (each in its own process, so runs share nothing and a crash stays local),
 * `jobs` at a time, committed under `root`; `onDone` hears of each as it ends. When as many
 * points run at once as the machine has cores, each computes in its own thread.
 */
export async function runPointsLocally(
  points: readonly PointJob[],
  root: string,
  jobs: number,
  onDone?: (o: LocalOutcome, running: number) => void,
): Promise<LocalOutcome[]> {
  const out: LocalOutcome[] = [];
  const lanes = Math.max(1, Math.min(jobs, points.length));
  const inThread = computeInThread(lanes);
  let next = 0;
  let running = 0;
  const lane = async (): Promise<void> => {
    while (next < points.length) {
      const point = points[next++] as PointJob;
      running++;
      let o: LocalOutcome;
      try {
        o = { point, ok: true, wallSeconds: await forkPoint(point, root, `local${process.pid}`, undefined, inThread) };
      } catch (err) {
        o = { point, ok: false, error: (err as Error).message };
      }
      running--;
      out.push(o);
      onDone?.(o, running);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return out;
}
