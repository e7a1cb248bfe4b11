import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { faultScheduleArb, noFaults } from './faults.js';
import { PROPERTIES } from './properties.js';
import { checkSettingsFromScenario } from './settings.js';
import type { CheckSettings, FaultSchedule, Trace } from './types.js';
import { runSchedule } from './world.js';

async function settings(...sets: string[]): Promise<CheckSettings> {
  return checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml', sets.map(parseOverride)));
}

function verdicts(s: CheckSettings, schedule: FaultSchedule, t: Trace): Record<string, string | null> {
  return Object.fromEntries(PROPERTIES.map((p) => [p.name, p.check(t, () => runSchedule(s, schedule))]));
}

const count = (t: Trace, kind: string): number => t.traffic.filter((e) => e.kind === kind && e.copy === 0).length;

describe('the checker world (real machines, stand-in compute)', () => {
  it('runs the quickstart protocol without faults: 8 rounds with all 4 clients, 8 steps each, every property holds', async () => {
    const s = await settings();
    expect(s.steps).toEqual([8, 8, 8, 8]);
    const t = runSchedule(s, noFaults());
    expect(t.finished).toBe(true);
    expect(t.stuck).toBeNull();
    expect(t.roundCompletes.map((c) => c.participants)).toEqual(Array.from({ length: 8 }, () => [0, 1, 2, 3]));
    for (const kind of ['features.s1', 'features.s2', 'gradients.s2', 'gradients.s1']) expect(count(t, kind)).toBe(4 * 8 * 8);
    expect(count(t, 'weights.up')).toBe(32);
    expect(Object.values(verdicts(s, noFaults(), t)).every((v) => v === null)).toBe(true);
  }, 60_000);

  it('takes learned codecs and weight deltas from the scenario: codec.up in sync rounds, codec.down and delta weights to clients that hold the version before', async () => {
    const s = await settings('codec.name=factorized', 'codec.syncEvery=2', 'codec.updateBits=8', 'protocol.weightBits=8', 'protocol.rounds=4');
    expect(s.codecSync).toEqual([false, true, false, true]);
    expect(s.clientCodecs).toBe(true);
    expect(s.codecDeltas).toBe(true);
    expect(s.weightDeltas).toBe(true);
    const t = runSchedule(s, noFaults());
    expect(t.finished).toBe(true);
    // codec.up from every client in rounds 1 and 3; version 1 goes down with round 2's weights (a delta: all hold version 0).
    expect(t.traffic.filter((e) => e.kind === 'codec.up').map((e) => e.round)).toEqual([1, 1, 1, 1, 3, 3, 3, 3]);
    expect(t.traffic.filter((e) => e.kind === 'codec.down').map((e) => [e.round, e.bytes])).toEqual(Array.from({ length: 4 }, () => [2, s.tensorBytes / 4]));
    // Weights: in full in round 0, then as deltas (everyone reported).
    expect(t.traffic.filter((e) => e.kind === 'weights.down').map((e) => e.bytes)).toEqual([...Array(4).fill(s.weightsBytes), ...Array(12).fill(s.weightsBytes / 4)]);
    expect(t.loads.map((l) => l.codecVersion)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(t.aggregates.map((a) => a.codecs.length)).toEqual([0, 4, 0, 4]);
    expect(Object.values(verdicts(s, noFaults(), t)).every((v) => v === null)).toBe(true);
  });

  it('runs the split server as its machine or as its reaction function with the same traffic log', async () => {
    const s = await settings('protocol.clients=3', 'protocol.rounds=3', 'data.samplesPerClient=24');
    for (const schedule of fc.sample(faultScheduleArb(s), { seed: 7, numRuns: 6 })) {
      const a = runSchedule(s, schedule, { serverAs: 'machine' });
      const b = runSchedule(s, schedule, { serverAs: 'function' });
      expect(b.trafficHash).toBe(a.trafficHash);
    }
  });

  it('a lost feature reply (lossy network) makes the client skip that batch after its step timeout', async () => {
    const s = await settings('network.mode=lossy', 'protocol.rounds=1');
    const schedule: FaultSchedule = {
      ...noFaults(),
      messages: [{ kind: 'features.s2', client: 1, dir: 'down', round: 0, step: 2, fault: 'drop', delayS: 0 }],
    };
    const t = runSchedule(s, schedule);
    expect(t.traffic.filter((e) => e.dropReason === 'fault')).toHaveLength(1);
    expect(t.traffic.filter((e) => e.kind === 'gradients.s2' && e.src === 'client-1')).toHaveLength(7);
    expect(t.roundCompletes[0]?.participants).toEqual([0, 1, 2, 3]);
    const f3 = t.traffic.find((e) => e.kind === 'features.s1' && e.src === 'client-1' && e.step === 3);
    const f2 = t.traffic.find((e) => e.kind === 'features.s1' && e.src === 'client-1' && e.step === 2);
    expect((f3?.sendTime ?? 0) - (f2?.sendTime ?? 0)).toBeGreaterThanOrEqual(s.stepTimeoutS);
    expect(Object.values(verdicts(s, schedule, t)).every((v) => v === null)).toBe(true);
  });

  it('a drop fault on a reliable message is not a loss (TCP): it arrives', async () => {
    const s = await settings('protocol.rounds=1');
    const t = runSchedule(s, { ...noFaults(), messages: [{ kind: 'features.s2', client: 1, dir: 'down', round: 0, step: 2, fault: 'drop', delayS: 0 }] });
    expect(t.traffic.some((e) => e.dropped)).toBe(false);
  });

  it('a crashed client loses what was sent to it, is left out of that round, and rejoins the next', async () => {
    const s = await settings('protocol.rounds=2');
    const schedule: FaultSchedule = { ...noFaults(), crashes: [{ clients: [2], round: 0, atS: 0.28, downS: 1 }] };
    const t = runSchedule(s, schedule);
    expect(t.traffic.some((e) => e.dropReason === 'down' && e.dst === 'client-2')).toBe(true);
    expect(t.roundCompletes.map((c) => c.participants)).toEqual([
      [0, 1, 3],
      [0, 1, 2, 3],
    ]);
    const r0 = t.roundStarts[0];
    expect(t.roundCompletes[0]?.time).toBeGreaterThanOrEqual((r0?.time ?? 0) + s.roundDeadlineS);
    expect(Object.values(verdicts(s, schedule, t)).every((v) => v === null)).toBe(true);
  });

  it('a straggler that misses the deadline is left out; a duplicate is logged as a second copy and ignored', async () => {
    const s = await settings('protocol.rounds=2');
    const schedule: FaultSchedule = {
      ...noFaults(),
      stragglers: [{ client: 0, round: 0, factor: 5000 }],
      messages: [{ kind: 'gradients.s2', client: 3, dir: 'up', round: 1, step: 4, fault: 'duplicate', delayS: 0 }],
    };
    const t = runSchedule(s, schedule);
    expect(t.roundCompletes[0]?.participants).toEqual([1, 2, 3]);
    const copies = t.traffic.filter((e) => e.kind === 'gradients.s2' && e.src === 'client-3' && e.round === 1 && e.step === 4);
    expect(copies.map((e) => e.copy)).toEqual([0, 1]);
    expect(t.tasks.filter((x) => x.task === 'm.backward' && x.client === 3 && x.round === 1 && x.step === 4)).toHaveLength(1);
    expect(Object.values(verdicts(s, schedule, t)).every((v) => v === null)).toBe(true);
  });

  it('a server restart between rounds loses nothing the protocol needs', async () => {
    const s = await settings('protocol.rounds=3', 'protocol.variant=sflv2');
    const schedule: FaultSchedule = { ...noFaults(), serverRestarts: [0, 1] };
    const t = runSchedule(s, schedule);
    expect(t.roundCompletes.map((c) => c.participants)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    expect(Object.values(verdicts(s, schedule, t)).every((v) => v === null)).toBe(true);
  });

  it('the same schedule and seed give the same traffic-log hash; another run seed moves the jitter', async () => {
    const s = await settings('protocol.rounds=1', 'network.profile=rural-4g');
    const a = runSchedule(s, noFaults(1));
    expect(runSchedule(s, noFaults(1)).trafficHash).toBe(a.trafficHash);
    expect(runSchedule(s, noFaults(2)).trafficHash).not.toBe(a.trafficHash);
  });
});
