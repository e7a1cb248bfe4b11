/** Runs a sweep's points on this machine: up to `jobs` child processes at once. */
import { forkPoint } from './forkPoint.js';
import type { PointJob } from './point.js';

/** One point's outcome in a local sweep. */
export type LocalOutcome = { point: PointJob; ok: true; wallSeconds: number } | { point: PointJob; ok: false; error: string };

/**
 * Runs every point (each in its own process, so runs share nothing and a crash stays local),
 * `jobs` at a time, committed under `root`; `onDone` hears of each as it ends.
 */
export async function runPointsLocally(
  points: readonly PointJob[],
  root: string,
  jobs: number,
  onDone?: (o: LocalOutcome, running: number) => void,
): Promise<LocalOutcome[]> {
  const out: LocalOutcome[] = [];
  let next = 0;
  let running = 0;
  const lane = async (): Promise<void> => {
    while (next < points.length) {
      const point = points[next++] as PointJob;
      running++;
      let o: LocalOutcome;
      try {
        o = { point, ok: true, wallSeconds: await forkPoint(point, root, `local${process.pid}`) };
      } catch (err) {
        o = { point, ok: false, error: (err as Error).message };
      }
      running--;
      out.push(o);
      onDone?.(o, running);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, points.length)) }, lane));
  return out;
}
