/**
 * Benchmark of the protocol checker: 10,000 fault schedules on the quickstart protocol
 * (4 clients, 8 rounds, SFLV1 U-shaped, 8 steps a round) with the stand-in compute, every
 * property judged on each (determinism, which runs a schedule twice, on every 100th). Split
 * over worker threads, one per core up to `workers` (default 2).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadScenario } from '../scenario/load.js';
import { runBenchShare, type BenchShare, type BenchShareResult } from './benchRun.js';
import { wallMs } from '../sim/index.js';

/** Options of {@link benchCheck}; every field has a default. */
export interface BenchCheckOptions {
  /** Schedules to time (default 10,000). */
  schedules?: number;
  /** fast-check seed of the schedule sequence (default 42). */
  seed?: number;
  /** Worker threads (default min(2, cores)); 1 runs in this thread. */
  workers?: number;
  /** Judge determinism (a second run) on every n-th schedule (default 100). */
  determinismEvery?: number;
  /** Scenario file (default the project's scenarios/quickstart.yaml). */
  scenario?: string;
}

export interface BenchCheckResult {
  checkSchedulesPerS: number;
  /** Seconds 10,000 schedules take at the measured rate. */
  check10kSeconds: number;
  /** Schedules with a violated property (0 expected: the real protocol). */
  violations: number;
}

/** The project root: the nearest folder above this file with a package.json. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
  return dir;
}

/** The compiled worker next to this file (running from dist), else under dist/ (running from source), else null. */
function workerFile(root: string): string | null {
  const here = fileURLToPath(new URL('./benchWorker.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = join(root, 'dist', 'check', 'benchWorker.js');
  return existsSync(built) ? built : null;
}

function inWorker(file: string, share: BenchShare): Promise<BenchShareResult> {
  return new Promise((resolve, reject) => {
    // A larger young generation: a run allocates many short-lived snapshots and records.
    const w = new Worker(file, { workerData: share, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
    w.once('message', (m: BenchShareResult) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`check bench worker exited with code ${code}`));
    });
  });
}

/**
 * Times fault schedules on the quickstart protocol with stand-in compute.
 * @example const { checkSchedulesPerS, violations } = await benchCheck({ schedules: 500 });
 */
export async function benchCheck(options: BenchCheckOptions = {}): Promise<BenchCheckResult> {
  const root = projectRoot();
  const schedules = options.schedules ?? 10_000;
  const scenario = options.scenario ?? join(root, 'scenarios', 'quickstart.yaml');
  await loadScenario(scenario); // a bad file fails here, not in a worker
  const file = workerFile(root);
  const workers = file === null ? 1 : Math.max(1, options.workers ?? Math.min(2, availableParallelism()));
  const base = { scenario, seed: options.seed ?? 42, schedules, stride: workers, determinismEvery: options.determinismEvery ?? 100 };
  const t0 = wallMs();
  const shares =
    workers === 1 || file === null
      ? [await runBenchShare({ ...base, index: 0, stride: 1 })]
      : await Promise.all(Array.from({ length: workers }, (_, index) => inWorker(file, { ...base, index })));
  const seconds = (wallMs() - t0) / 1000;
  const runs = shares.reduce((a, s) => a + s.runs, 0);
  const violations = shares.reduce((a, s) => a + s.violations, 0);
  return {
    checkSchedulesPerS: runs / seconds,
    check10kSeconds: (seconds * 10_000) / runs,
    violations,
  };
}
