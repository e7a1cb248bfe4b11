/**
 * Checkpoint and resume (issue 13): a run stopped at random points — inside a round (after a
 * random instant) or between rounds (right after a checkpoint) — and resumed, again and again,
 * must end with the same traffic.ndjson, timeline.ndjson and summary (wall time aside) as a run
 * never stopped. Stops here are in-process (`stopAfterInstants` / `stopAfterCheckpoints`, the
 * stopped simulation abandoned as a killed process would be); resume.cli.test.ts kills a real
 * process with SIGKILL.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputePool } from '../compute/pool.js';
import { validateScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { RunStopped, runScenario } from './simulation.js';
import type { RunSummary } from './summary.js';

/** Tiny runs that still exercise the state a resume must restore. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  // FIFO links with jitter and loss, SFLV1 (per-client server copies), Adam everywhere.
  plain: {
    protocol: { clients: 2, rounds: 3, batchSize: 4 },
    network: { profile: 'rural-4g' },
  },
  // SFLV2 (turns), top-k with error-feedback residuals, lossy links, dropout, crashes, stragglers, over-selection.
  faults: {
    protocol: { clients: 3, clientsPerRound: 2, rounds: 3, batchSize: 4, variant: 'sflv2' },
    codec: { name: 'topk', fraction: 0.1 },
    network: { profile: 'satellite', mode: 'lossy', dropoutProb: 0.2, availability: { crashProb: 0.3, stragglerFraction: 0.5, stragglerSlowdown: 3 } },
  },
  // A loss gate (ayad): each client's last training loss decides what is sent; its codec freezes after round 1.
  gate: {
    protocol: { clients: 2, rounds: 3, batchSize: 4 },
    codec: { name: 'ayad', lossThreshold: 0.8 },
    network: { profile: 'hospital-fiber' },
  },
  // Label sharing (labels travel with the features), SFLV2, fp16.
  labels: {
    protocol: { clients: 2, rounds: 3, batchSize: 4, topology: 'label-sharing', variant: 'sflv2' },
    codec: { name: 'fp16' },
    network: { profile: 'rural-4g' },
  },
  // Learned codecs (their weights and optimiser states) over the flow model (TCP flows sharing the server's link).
  learned: {
    protocol: { clients: 2, rounds: 3, batchSize: 4 },
    codec: { name: 'factorized' },
    network: { profile: 'rural-4g', server: { uplinkMbps: 20, downlinkMbps: 20, latencyMs: 10 } },
  },
};

function scenario(name: string): Scenario {
  return validateScenario({
    name: `resume-${name}`,
    seed: 7,
    data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
    model: { baseChannels: 2, depth: 3 },
    compute: { workers: 2 },
    ...VARIANTS[name],
  });
}

interface Outcome {
  traffic: string;
  timeline: string;
  summary: string;
}

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The summary without what depends on this machine's load. */
function comparable(s: RunSummary): string {
  const { wallSeconds: _w, orchestrationOverhead: _o, ...rest } = s;
  return JSON.stringify(rest);
}

function outcome(dir: string, s: RunSummary): Outcome {
  return { traffic: sha(join(dir, 'traffic.ndjson')), timeline: sha(join(dir, 'timeline.ndjson')), summary: comparable(s) };
}

/** A stop: after `instants` instants of the process, or right after its `checkpoints`-th checkpoint. */
type Stop = { instants: number } | { checkpoints: number };

let pool: ComputePool;
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'splitwire-resume-'));
  dirs.push(d);
  return d;
}

/** Runs `s` into a fresh folder, stopping at each of `stops` and resuming; returns the end state and the stops that hit. */
async function stopAndResume(s: Scenario, stops: Stop[]): Promise<{ out: Outcome; kills: number }> {
  const dir = tempDir();
  let kills = 0;
  let first = true;
  for (const stop of [...stops, null]) {
    const limit = stop === null ? {} : 'instants' in stop ? { stopAfterInstants: stop.instants } : { stopAfterCheckpoints: stop.checkpoints };
    try {
      const r = await runScenario(s, { outDir: dir, pool, inProcessActors: true, ...(first ? {} : { resume: true }), ...limit });
      return { out: outcome(dir, r.summary), kills };
    } catch (e) {
      if (!(e instanceof RunStopped)) throw e;
      kills += 1;
      first = false;
    }
  }
  throw new Error('unreachable: the last attempt has no stop');
}

const stopArb: fc.Arbitrary<Stop> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 120 }).map((instants) => ({ instants })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((checkpoints) => ({ checkpoints })) },
);

beforeAll(async () => {
  pool = new ComputePool({ threads: 2, backend: 'wasm' });
  await pool.warmUp();
}, 120_000);

afterAll(async () => {
  await pool.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 120_000);

describe('checkpoint and resume', { timeout: 900_000 }, () => {
  const seed = Number(process.env['RESUME_SEED'] ?? Date.now() % 1_000_000);
  let totalKills = 0;

  for (const [name, runs] of [
    ['plain', 10],
    ['faults', 10],
    ['learned', 5],
    ['gate', 3],
    ['labels', 3],
  ] as const) {
    it(`${name}: a run stopped at random points and resumed gives the same logs and summary as one never stopped`, async () => {
      console.log(`resume property (${name}): seed ${seed} (replay with RESUME_SEED=${seed})`);
      const s = scenario(name);
      const reference = await runScenario(s, { outDir: tempDir(), pool, inProcessActors: true });
      const refDir = dirs[dirs.length - 1] as string;
      const expected = outcome(refDir, reference.summary);
      let kills = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(stopArb, { minLength: 3, maxLength: 6 }), async (stops) => {
          const r = await stopAndResume(s, stops);
          kills += r.kills;
          expect(r.out.traffic).toBe(expected.traffic);
          expect(r.out.timeline).toBe(expected.timeline);
          expect(r.out.summary).toBe(expected.summary);
        }),
        { seed, numRuns: runs, endOnFailure: true },
      );
      totalKills += kills;
      console.log(`resume property (${name}): ${kills} kill points, ${totalKills} so far`);
      expect(kills).toBeGreaterThan(0);
    });
  }

  it('covers at least 50 kill points in all', () => {
    expect(totalKills).toBeGreaterThanOrEqual(50);
  });
});
