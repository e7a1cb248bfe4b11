import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { runScenario } from './simulation.js';

/** The same tiny scenario as simulation.test.ts, with a fixed deadline so a crashed client is left out. */
const tiny = (): ReturnType<typeof validateScenario> =>
  validateScenario({
    name: 'tiny-faults',
    seed: 3,
    data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
    model: { baseChannels: 2, depth: 3 },
    protocol: { clients: 2, rounds: 2, batchSize: 4, roundDeadlineS: 50 },
    network: { profile: 'hospital-fiber' },
    compute: { workers: 2 },
  });

interface TimelineLine {
  round: number;
  step: number;
  actor: string;
  task: string;
  start: number;
  end: number;
}

describe('faults in a simulated run (the checker’s fault plan, applied by the shared interpreter)', { timeout: 120_000 }, () => {
  it.each([
    ['in this thread', true],
    ['in host workers', false],
  ])('a straggler computes slower, a crashed client misses its round and rejoins, the split server restarts between rounds (actors %s)', async (_, inProcessActors) => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-faults-'));
    const r = await runScenario(tiny(), {
      outDir: dir,
      inProcessActors,
      faults: {
        messages: [],
        stragglers: [{ client: 0, round: 0, factor: 3 }],
        crashes: [{ clients: [1], round: 0, atS: 0.001, downS: 1 }],
        serverRestarts: [0],
      },
    });
    const rounds = r.summary.rounds;
    expect(rounds).toHaveLength(2);
    expect(rounds.map((x) => x.participants)).toEqual([1, 2]);
    expect(rounds[0]?.dropped).toEqual([1]);

    const timeline = readFileSync(join(dir, 'timeline.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TimelineLine);
    const took = (round: number): number => {
      const t = timeline.find((x) => x.actor === 'client-0' && x.task === 'fe.forward' && x.round === round && x.step === 0);
      if (t === undefined) throw new Error(`no fe.forward of client-0 in round ${round}`);
      return t.end - t.start;
    };
    expect(took(0) / took(1)).toBeCloseTo(3, 6);
    // The crashed client trained nothing in round 0, the fresh one trained in round 1.
    expect(timeline.some((x) => x.actor === 'client-1' && x.task === 'fe.backward' && x.round === 0)).toBe(false);
    expect(timeline.some((x) => x.actor === 'client-1' && x.task === 'fe.backward' && x.round === 1)).toBe(true);
  });
});
