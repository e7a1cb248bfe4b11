/**
 * Benchmark: sweep throughput with 2 local processes against 1 (target ≥ 1.7× on 2 cores), and
 * the queue's overhead per job — the same points through BullMQ with one `splitwire worker`
 * against the local pool of one (target ≤ 1 s), measured side by side on the same points.
 * The queue half needs Redis: SPLITWIRE_BENCH_REDIS_URL, else a redis-server started here when
 * Debian's is installed, else it reports why it skipped. Wall-clock timing is allowed in benches.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { wallSeconds, wallSleep } from '../sim/wallClock.js';
import { runPointsLocally } from './localPool.js';
import { makePoint, type PointJob } from './point.js';
import { runPointsOnQueue } from './queueSweep.js';
import { startWorker } from './worker.js';
import { parseRedisUrl } from './redisUrl.js';

/** What the sweep bench reports. */
export interface SweepBench {
  sweepBenchPoints: number;
  /** How many times each of the two was run (interleaved). */
  sweepBenchRepeats: number;
  /** Mean wall seconds of the quickstart-size points with 1 process, and with 2. */
  sweepLocal1Seconds: number;
  sweepLocal2Seconds: number;
  /** Points per second with 2 processes ÷ with 1 (Σ over the repeats). */
  sweepLocal2vs1: number;
  sweepLocal2vs1EachRepeat: number[];
  /** summary.json `computeThreads` of a point of each (0: computed in its process's own thread). */
  sweepLocal1ComputeThreads: number;
  sweepLocal2ComputeThreads: number;
  /** The points one by one through the queue (one worker), each right after the same point locally. */
  sweepQueue1Seconds: number | null;
  /** The points one by one through a local pool of one, each right before the same point on the queue. */
  sweepQueuePairedLocal1Seconds?: number;
  /** (queue with one worker − local pool of one) ÷ points, paired point by point. */
  sweepQueueOverheadPerJobSeconds: number | null;
  /**
   * The same with each run's own wall time (its summary's `wallSeconds`) taken out of both
   * sides: the queue's cost per job (Redis, result transfer, polling) apart from how fast the
   * shared machine happened to compute each run.
   */
  sweepQueueOverheadOutsideRunsPerJobSeconds: number | null;
  /** Σ of the runs' own wall seconds, local pool of one and queue (the tiny points paired). */
  sweepLocal1RunSeconds: number | null;
  sweepQueue1RunSeconds: number | null;
  sweepQueueSkipped?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A Redis for the bench: the given URL, or a redis-server started here (stopped by `stop`). */
async function benchRedis(): Promise<{ url: string; stop: () => void } | string> {
  const given = process.env['SPLITWIRE_BENCH_REDIS_URL'];
  if (given !== undefined) return { url: given, stop: () => undefined };
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const child = spawn('redis-server', ['-'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const failed = new Promise<string>((resolve) => child.on('error', (e) => resolve(`no redis-server here (${e.message}); set SPLITWIRE_BENCH_REDIS_URL`)));
  child.stdin.end(`port ${port}\nbind 127.0.0.1\nrequirepass ${password}\nsave ""\nappendonly no\n`);
  const url = `redis://:${password}@127.0.0.1:${port}`;
  const ready = (async (): Promise<{ url: string; stop: () => void }> => {
    const redis = new Redis({ ...parseRedisUrl(url), lazyConnect: true, retryStrategy: () => 100 });
    redis.on('error', () => undefined); // refused until the server listens: retried below
    for (let i = 0; i < 50; i++) {
      try {
        await redis.connect();
        await redis.ping();
        break;
      } catch {
        await wallSleep(100);
      }
    }
    redis.disconnect();
    return { url, stop: () => void child.kill('SIGTERM') };
  })();
  return Promise.race([ready, failed]);
}

/** Sweep points of the quickstart, seeds 1..n, one round each, with `extra` overrides. */
async function benchPoints(n: number, extra: readonly string[]): Promise<PointJob[]> {
  const points: PointJob[] = [];
  for (let seed = 1; seed <= n; seed++) {
    const s = await loadScenario('scenarios/quickstart.yaml', ['protocol.rounds=1', ...extra, `seed=${seed}`].map(parseOverride));
    points.push(makePoint(s, { seed }, `seed=${seed}`));
  }
  return points;
}

/**
 * Runs the sweep bench. Throughput: `n` one-round points of the quickstart's size (a point of a
 * real sweep spends most of its time training, not starting), each set run `reps` times with 1
 * and with 2 local processes, interleaved, as `splitwire sweep --jobs 1|2` runs them. Queue
 * overhead: `n` tiny points (16 samples per client), paired point by point with a local pool of one.
 */
export async function benchSweep(n = 4, reps = 3): Promise<SweepBench> {
  const sized = await benchPoints(n, []);
  const points = await benchPoints(n, ['data.samplesPerClient=16', 'data.testSamples=16']);
  const root = mkdtempSync(join(tmpdir(), 'splitwire-sweep-bench-'));
  const runSeconds = (dir: string, which: readonly PointJob[] = points): number =>
    which.reduce((a, p) => a + (JSON.parse(readFileSync(join(dir, p.dir, 'summary.json'), 'utf8')) as { wallSeconds: number }).wallSeconds, 0);
  const timed = async (f: () => Promise<unknown>): Promise<number> => {
    const t0 = wallSeconds();
    await f();
    return wallSeconds() - t0;
  };
  try {
    const local1: number[] = [];
    const local2: number[] = [];
    for (let r = 0; r < reps; r++) {
      // Alternating which goes first, so a drift in the machine's speed falls on both.
      const one = (): Promise<number> => timed(() => runPointsLocally(sized, join(root, `local1-${r}`), 1));
      const two = (): Promise<number> => timed(() => runPointsLocally(sized, join(root, `local2-${r}`), 2));
      if (r % 2 === 0) {
        local1.push(await one());
        local2.push(await two());
      } else {
        local2.push(await two());
        local1.push(await one());
      }
    }
    const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
    const threadsOf = (dir: string): number =>
      (JSON.parse(readFileSync(join(root, dir, sized[0]?.dir ?? '', 'summary.json'), 'utf8')) as { computeThreads: number }).computeThreads;
    const out: SweepBench = {
      sweepBenchPoints: n,
      sweepBenchRepeats: reps,
      sweepLocal1Seconds: sum(local1) / reps,
      sweepLocal2Seconds: sum(local2) / reps,
      sweepLocal2vs1: sum(local1) / sum(local2),
      sweepLocal2vs1EachRepeat: local1.map((t, i) => t / (local2[i] as number)),
      sweepLocal1ComputeThreads: threadsOf('local1-0'),
      sweepLocal2ComputeThreads: threadsOf('local2-0'),
      sweepQueue1Seconds: null,
      sweepQueueOverheadPerJobSeconds: null,
      sweepQueueOverheadOutsideRunsPerJobSeconds: null,
      sweepLocal1RunSeconds: null,
      sweepQueue1RunSeconds: null,
    };
    const redis = await benchRedis();
    if (typeof redis === 'string') return { ...out, sweepQueueSkipped: redis };
    const connection = parseRedisUrl(redis.url);
    // A queue of its own, so no stored result from an earlier bench is reused.
    const queueName = `splitwire-bench-${process.pid}-${Math.round(wallSeconds() * 1000)}`;
    const { worker, store } = await startWorker({ connection, queueName, concurrency: 1, lockSeconds: 30, log: () => undefined });
    try {
      // Paired, point by point: the same point through a local pool of one, then through the
      // queue, so both see about the same load on a shared machine.
      let queued = 0;
      let local = 0;
      let queuedRuns = 0;
      let localRuns = 0;
      for (const p of points) {
        local += await timed(() => runPointsLocally([p], join(root, 'pairLocal'), 1));
        queued += await timed(() => runPointsOnQueue([p], join(root, 'pairQueue'), { connection, queueName, attempts: 1 }));
        localRuns += runSeconds(join(root, 'pairLocal'), [p]);
        queuedRuns += runSeconds(join(root, 'pairQueue'), [p]);
      }
      return {
        ...out,
        sweepQueue1Seconds: queued,
        sweepQueuePairedLocal1Seconds: local,
        sweepQueueOverheadPerJobSeconds: (queued - local) / n,
        sweepQueue1RunSeconds: queuedRuns,
        sweepLocal1RunSeconds: localRuns,
        sweepQueueOverheadOutsideRunsPerJobSeconds: (queued - queuedRuns - (local - localRuns)) / n,
      };
    } finally {
      await worker.close();
      await store.close();
      const r = new Redis(connection);
      const keys = await r.keys(`${queueName}:*`);
      if (keys.length > 0) await r.del(...keys);
      await r.quit();
      redis.stop();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
