import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { runScenario } from './simulation.js';
import type { RoundRecord } from './summary.js';
import type { TrafficRecord } from './trafficLog.js';
import { capacityWarnings, roundFloor, runWarnings, transferSeconds } from './warnings.js';
import { buildWorld } from './world.js';
import { TraceFiles } from '../sim/traceFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'splitwire-warnings-'));
/** A Mahimahi trace with one 1500-byte delivery opportunity every 600 s. */
const slowTrace = join(dir, 'one-packet-per-600s.mahi');
writeFileSync(slowTrace, '600000\n');

const round = (r: number, participants: number): RoundRecord => ({
  round: r,
  meanIoU: null,
  meanDice: null,
  loss: null,
  simulatedSeconds: 0,
  participants,
  dropped: [],
  iou: [],
  dice: [],
});

describe('capacity warnings (estimated from the scenario before the run)', () => {
  it('a link whose weights alone outlast the deadline is named; a fast one is not', () => {
    const s = validateScenario({
      protocol: { clients: 3, roundDeadlineS: 100 },
      network: { profile: 'hospital-fiber', perClient: [{}, { uplink: { bandwidthMbps: 0.001 } }, { downlink: { bandwidthMbps: 0.001 } }] },
    });
    // 100 kB at 1 kbit/s: 800 s > 100 s.
    const w = capacityWarnings(s, { weightsBytes: 100_000, steps: [8, 8, 8], tripsPerStep: 2 });
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/^client 1: uplink \(0\.001 Mbit\/s\) cannot carry one round before protocol\.roundDeadlineS \(100\.0 s\)/);
    expect(w[1]).toMatch(/^client 2: downlink/);
    expect(capacityWarnings(validateScenario({}), { weightsBytes: 100_000, steps: [8, 8, 8, 8], tripsPerStep: 2 })).toEqual([]);
  });

  it('a trace allowing one packet per 600 s: every client is warned about', () => {
    const s = validateScenario({ protocol: { clients: 2 }, network: { uplink: { bandwidthTrace: { file: slowTrace, format: 'mahimahi' } } } });
    const files = new TraceFiles();
    const up = { bandwidthMbps: 1, latencyMs: 5, jitterMs: 0, loss: 0, bandwidthTrace: { file: slowTrace, format: 'mahimahi' as const, offsetS: 0, binMs: 50 } };
    // 15 kB = 10 opportunities, one per 600 s.
    expect(transferSeconds(up, 15_000, files)).toBeCloseTo(6000.005, 3);
    const w = capacityWarnings(s, { weightsBytes: 15_000, steps: [2, 2], tripsPerStep: 2 }, files);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^every client: uplink \(trace .*one-packet-per-600s\.mahi\) cannot carry one round/);
  });
});

describe('run warnings', () => {
  it('late messages, empty rounds and a run without steps each give one line', () => {
    const w = runWarnings({
      endSeconds: 3600,
      late: [
        { kind: 'weights.up', arrival: 868_200 },
        { kind: 'features.s1', arrival: 4000 },
      ],
      rounds: [round(0, 0), round(1, 2), round(2, 0)],
      stepsDone: 0,
    });
    expect(w).toEqual([
      '2 messages were still in flight when the run ended at 60 min 0 s (features.s1 ×1, weights.up ×1; the last arrives at 241 h 10 min): the traffic log counts their bytes, the training never used them',
      'rounds 1, 3 had no participant (no client reported before the deadline): the model did not change',
      'no training step finished in the whole run: the accuracy figures are those of the initial model',
    ]);
    expect(runWarnings({ endSeconds: 10, late: [], rounds: [round(0, 2)], stepsDone: 4 })).toEqual([]);
  });
});

/** A scenario small enough to run in a few seconds. */
function tiny(network: Record<string, unknown>, protocol: Record<string, unknown> = {}): ReturnType<typeof validateScenario> {
  return validateScenario({
    name: 'tiny',
    seed: 3,
    data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
    model: { baseChannels: 2, depth: 3 },
    protocol: { clients: 2, rounds: 1, batchSize: 4, ...protocol },
    network,
    compute: { workers: 1 },
  });
}

describe('a run reports its links, its network model and its warnings', { timeout: 180_000 }, () => {
  it('a partial uplink override runs at the profile latency, and summary.links says so', async () => {
    const out = mkdtempSync(join(tmpdir(), 'splitwire-links-'));
    const r = await runScenario(tiny({ profile: 'hospital-fiber', uplink: { bandwidthMbps: 50 } }), { outDir: out, inProcessActors: true });
    expect(r.summary.networkModel).toBe('fifo');
    expect(r.summary.links).toHaveLength(2);
    expect(r.summary.links[0]?.uplink).toEqual({
      bandwidthMbps: 50,
      bandwidthTrace: null,
      latencyMs: 5,
      latencyTrace: null,
      jitterMs: 0.5,
      loss: 0,
      burstLength: null,
    });
    expect(r.summary.warnings).toEqual([]);
    // The log's uplink arrivals: serialisation (payload + 40 B per 1460-byte packet) + 5 ms + jitter ≥ 0.
    const records = readFileSync(join(out, 'traffic.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TrafficRecord);
    const extra = records
      .filter((x) => x.src.startsWith('client-') && x.recvTime !== null)
      .map((x) => (x.recvTime as number) - x.sendTime - ((x.wireBytes + 40 * Math.ceil(x.wireBytes / 1460)) * 8) / 50e6);
    expect(extra.length).toBeGreaterThan(0);
    expect(Math.min(...extra)).toBeGreaterThanOrEqual(0.005 - 1e-9);
    expect(Math.min(...extra)).toBeLessThan(0.0075);

    // The capacity estimate's split tensors (codec none) are exactly the fp32 bytes the round sent,
    // and its weights the fp32 size of the client parts (the log adds container headers).
    const floor = roundFloor(await buildWorld(tiny({ profile: 'hospital-fiber' })));
    const raw = (kinds: string[]): number[] =>
      [0, 1].map((k) =>
        records.filter((x) => kinds.includes(x.kind) && (x.src === `client-${k}` || x.dst === `client-${k}`)).reduce((a, x) => a + x.rawBytes, 0),
      );
    expect(floor.splitBytes?.up).toEqual(raw(['features.s1', 'gradients.s2']));
    expect(floor.splitBytes?.down).toEqual(raw(['features.s2', 'gradients.s1']));
    const weightsUp = records.filter((x) => x.kind === 'weights.up' && x.src === 'client-0')[0]?.wireBytes ?? 0;
    expect(floor.weightsBytes).toBeLessThanOrEqual(weightsUp);
    expect(floor.weightsBytes).toBeGreaterThan(weightsUp - 64);
  });

  it('a trace allowing one packet per 600 s: warned before and after, and the flow model shows when network.server is set', async () => {
    const warnedBefore: string[] = [];
    const s = tiny(
      { uplink: { bandwidthTrace: { file: slowTrace, format: 'mahimahi' } }, server: { uplinkMbps: 1000, downlinkMbps: 1000 } },
      { roundDeadlineS: 900 },
    );
    const r = await runScenario(s, { outDir: null, inProcessActors: true, onWarning: (w) => warnedBefore.push(w) });
    expect(r.summary.networkModel).toBe('flow');
    expect(warnedBefore).toHaveLength(1);
    expect(warnedBefore[0]).toMatch(/^every client: uplink \(trace .*\) cannot carry one round before protocol\.roundDeadlineS \(15 min 0 s\)/);
    const w = r.summary.warnings;
    expect(w[0]).toBe(warnedBefore[0]);
    expect(w.some((x) => /still in flight when the run ended/.test(x))).toBe(true);
    expect(w).toContain('round 1 had no participant (no client reported before the deadline): the model did not change');
    expect(w).toContain('no training step finished in the whole run: the accuracy figures are those of the initial model');
  });
});
