/**
 * A sweep through the BullMQ queue with two `splitwire worker` processes, one SIGKILLed in the
 * middle of a job: every point ends byte-identical to a local `splitwire run`, and running the
 * sweep again runs no job. Needs a Redis: SPLITWIRE_TEST_REDIS_URL (`.ci/run` starts one, with a
 * password, and sets it); without it the test says it skipped — except under CI, where it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { parseRedisUrl } from './redisUrl.js';

const URL_ENV = process.env['SPLITWIRE_TEST_REDIS_URL'];
const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');
const TINY = ['--set', 'data.samplesPerClient=8', '--set', 'data.testSamples=8', '--set', 'protocol.rounds=1'];
const SETTINGS = ['none', 'fp16'];
const SEEDS = [1, 2];

/** A CLI process whose output is collected. */
interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

function cli(args: string[], onLine?: (line: string) => void): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let partial = '';
  const take = (d: Buffer): void => {
    text += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onLine?.(l);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => text, exit };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const work = mkdtempSync(join(tmpdir(), 'splitwire-queue-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sweep on a BullMQ queue', () => {
  it.skipIf(URL_ENV === undefined)('a refused password is a clear error that does not repeat it', async () => {
    const { checkRedis } = await import('./checkRedis.js');
    const c = parseRedisUrl(URL_ENV as string);
    await expect(checkRedis(c, 'shown')).resolves.toBeUndefined();
    const bad = { ...c, password: 'not-the-password-123' };
    const err = await checkRedis(bad, 'redis://***@host').then(() => null, (e: Error) => e.message);
    expect(err).toMatch(/^--queue: cannot use redis:\/\/\*\*\*@host: (WRONGPASS|ERR AUTH|NOAUTH)/);
    expect(err).not.toContain('not-the-password-123');
  });

  it.skipIf(URL_ENV === undefined && process.env['CI'] === undefined)(
    'survives a SIGKILLed worker; results match local runs byte for byte; a re-run runs no job',
    async () => {
      // Under CI a missing Redis is a failure, not a skip.
      expect(URL_ENV, 'SPLITWIRE_TEST_REDIS_URL must be set under CI (.ci/run starts a redis-server)').toBeDefined();
      const url = URL_ENV as string;
      const password = parseRedisUrl(url).password;
      const queueName = `swtest${process.pid}`;
      const out = join(work, 'queued');
      const sweepArgs = (dir: string): string[] => [
        'sweep', 'scenarios/quickstart.yaml', ...TINY, '--set', `codec.name=${SETTINGS.join(',')}`, '--seeds', SEEDS.join(','),
        '--queue', url, '--queue-name', queueName, '--out', dir,
      ];
      const started: Array<{ worker: number; dir: string }> = [];
      let killed: { worker: number; dir: string } | null = null;
      const workers: Proc[] = [];
      for (const w of [0, 1]) {
        workers.push(
          cli(['worker', '--queue', url, '--queue-name', queueName, '--lock-seconds', '2'], (line) => {
            const m = /job (\S+) \(\w+\): started/.exec(line);
            if (m === null) return;
            started.push({ worker: w, dir: m[1] as string });
            // The first job to start: its worker dies in the middle of it.
            if (killed === null) {
              killed = { worker: w, dir: m[1] as string };
              workers[w]?.child.kill('SIGKILL');
            }
          }),
        );
      }
      try {
        const sweep = cli(sweepArgs(out));
        expect(await sweep.exit, sweep.out()).toBe(0);
        const k = killed as { worker: number; dir: string } | null;
        expect(k, 'a worker was killed mid-job').not.toBeNull();
        // The killed worker's job ran again on the other worker.
        expect(started.filter((s) => s.dir === k?.dir && s.worker !== k?.worker)).toHaveLength(1);
        expect(sweep.out()).toContain('4 jobs queued');
        console.log(`queue test: worker ${k?.worker} SIGKILLed in ${k?.dir}; starts: ${started.map((x) => `${x.worker}:${x.dir}`).join(', ')}`);

        // Every point byte-identical to a local `splitwire run` of it.
        await Promise.all(
          SETTINGS.flatMap((codec) =>
            SEEDS.map(async (seed) => {
              const local = join(work, 'local', `${codec}-${seed}`);
              const run = cli(['run', 'scenarios/quickstart.yaml', ...TINY, '--set', `codec.name=${codec}`, '--seed', String(seed), '--out', local, '--quiet']);
              expect(await run.exit, run.out()).toBe(0);
              const queued = readFileSync(join(out, `name=${codec}`, `seed=${seed}`, 'traffic.ndjson'));
              expect(queued.length).toBeGreaterThan(0);
              expect(queued.equals(readFileSync(join(local, 'traffic.ndjson')))).toBe(true);
            }),
          ),
        );
        const sweepJson = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { rows: unknown[]; stats: Array<{ seeds: number[] }> };
        expect(sweepJson.rows).toHaveLength(4);
        expect(sweepJson.stats.map((s) => s.seeds)).toEqual([SEEDS, SEEDS]);

        // Again, same folder: nothing to do. Again, a fresh folder: the results come from the store.
        const startsBefore = started.length;
        const again = cli(sweepArgs(out));
        expect(await again.exit, again.out()).toBe(0);
        expect(again.out()).toContain('4 already done');
        const fresh = join(work, 'fresh');
        const third = cli(sweepArgs(fresh));
        expect(await third.exit, third.out()).toBe(0);
        expect(third.out()).toContain('0 jobs queued, 4 results already in the queue');
        expect(started.length).toBe(startsBefore);
        expect(readFileSync(join(fresh, 'name=fp16', 'seed=2', 'traffic.ndjson')).equals(readFileSync(join(out, 'name=fp16', 'seed=2', 'traffic.ndjson')))).toBe(true);

        // No credentials in any output or result file.
        if (password === undefined) {
          console.warn('queue test: SPLITWIRE_TEST_REDIS_URL has no password; the credential check had nothing to look for');
        } else {
          for (const p of [sweep, again, third, ...workers]) expect(p.out()).not.toContain(password);
          for (const f of [...filesUnder(out), ...filesUnder(fresh)]) expect(readFileSync(f, 'utf8').includes(password), f).toBe(false);
        }
      } finally {
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exit));
        const redis = new Redis(parseRedisUrl(url));
        const keys = await redis.keys(`${queueName}:*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      }
    },
    600_000,
  );
});
