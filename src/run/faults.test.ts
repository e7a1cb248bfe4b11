import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { runScenario } from './simulation.js';
import type { TrafficRecord } from './trafficLog.js';

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

  it('message faults: a delay arrives late, a reliable drop costs one retransmission timeout, a duplicate is a second line (marked `copy`) and buffer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-msgfaults-'));
    const r = await runScenario(tiny(), {
      outDir: dir,
      inProcessActors: true,
      faults: {
        messages: [
          { kind: 'features.s1', client: 0, dir: 'up', round: 0, step: 0, fault: 'delay', delayS: 5 },
          { kind: 'features.s2', client: 1, dir: 'down', round: 0, step: 0, fault: 'drop', delayS: 0 },
          { kind: 'weights.up', client: 1, dir: 'up', round: 1, step: -1, fault: 'duplicate', delayS: 0.5 },
        ],
        stragglers: [],
        crashes: [],
        serverRestarts: [],
      },
    });
    const records = readFileSync(join(dir, 'traffic.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrafficRecord);
    const one = (kind: string, client: string, round: number, step: number): TrafficRecord[] =>
      records.filter((x) => x.kind === kind && (x.src === client || x.dst === client) && x.round === round && x.step === step);
    const [delayed] = one('features.s1', 'client-0', 0, 0);
    expect((delayed?.recvTime as number) - (delayed?.sendTime as number)).toBeGreaterThan(5);
    const [resent] = one('features.s2', 'client-1', 0, 0);
    expect(resent?.dropped).toBe(false);
    expect((resent?.recvTime as number) - (resent?.sendTime as number)).toBeGreaterThan(0.2);
    const copies = one('weights.up', 'client-1', 1, -1);
    expect(copies).toHaveLength(2);
    // The log tells the network's copy from a second send: only the copy carries `copy`.
    expect(copies.map((x) => x.copy)).toEqual([undefined, 1]);
    expect(records.filter((x) => x.copy !== undefined)).toHaveLength(1);
    expect((copies[1]?.recvTime as number) - (copies[0]?.recvTime as number)).toBeGreaterThanOrEqual(0.5);
    // Every buffer handed to the network is in the log, the copy included.
    const byKind: Record<string, number> = {};
    for (const x of records) byKind[x.kind] = (byKind[x.kind] ?? 0) + x.wireBytes;
    expect(byKind).toEqual(r.sentBufferBytes);
    expect(r.summary.rounds.map((x) => x.participants)).toEqual([2, 2]);
  });

  it('a copy of a batch’s features racing its gradient costs nothing: the batch trains (the bug the real-compute check found)', async () => {
    const run = async (faults: Parameters<typeof runScenario>[1]['faults']): Promise<{ traffic: TrafficRecord[]; timeline: TimelineLine[] }> => {
      const dir = mkdtempSync(join(tmpdir(), 'splitwire-race-'));
      await runScenario(tiny(), { outDir: dir, inProcessActors: true, ...(faults ? { faults } : {}) });
      const lines = (f: string): string[] => readFileSync(join(dir, f), 'utf8').trim().split('\n');
      return { traffic: lines('traffic.ndjson').map((l) => JSON.parse(l) as TrafficRecord), timeline: lines('timeline.ndjson').map((l) => JSON.parse(l) as TimelineLine) };
    };
    const at = (t: TrafficRecord[], kind: string): number => t.find((x) => x.kind === kind && x.src === 'client-0' && x.round === 0 && x.step === 0)?.recvTime as number;
    const clean = await run(undefined);
    const decode = clean.timeline.find((x) => x.actor === 'server' && x.task === 'decode' && x.round === 0 && x.step === 0);
    // The copy lands after the first copy was decoded, a hair before the batch's gradient: its decode is still running when the gradient comes.
    const delayS = at(clean.traffic, 'gradients.s2') - at(clean.traffic, 'features.s1') - 1e-4;
    expect(delayS).toBeGreaterThan((decode?.end as number) - (decode?.start as number));
    const raced = await run({
      messages: [{ kind: 'features.s1', client: 0, dir: 'up', round: 0, step: 0, fault: 'duplicate', delayS }],
      stragglers: [],
      crashes: [],
      serverRestarts: [],
    });
    const copies = raced.traffic.filter((x) => x.kind === 'features.s1' && x.src === 'client-0' && x.round === 0 && x.step === 0);
    expect(copies.map((x) => x.copy)).toEqual([undefined, 1]);
    const trained = (tl: TimelineLine[]): string[] => tl.filter((x) => x.round === 0 && x.step === 0 && (x.task === 'm.backward' || x.task === 'fe.backward')).map((x) => `${x.actor} ${x.task}`);
    expect(trained(raced.timeline)).toEqual(trained(clean.timeline));
  });
});
