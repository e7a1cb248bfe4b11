/**
 * The flow model inside a real (tiny) run: Simulation.send hands messages to the network,
 * 'net' wake-ups decide them, and the traffic log stays complete, in seq order and
 * deterministic. Also crash-in-round availability. (Lives here because it tests the network
 * path of src/run/simulation.ts; move it beside simulation.test.ts if preferred.)
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { runScenario } from '../run/simulation.js';
import type { TrafficRecord } from '../run/trafficLog.js';

function tiny(network: Record<string, unknown>): ReturnType<typeof validateScenario> {
  return validateScenario({
    name: 'tiny-flow',
    seed: 3,
    data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
    model: { baseChannels: 2, depth: 3 },
    protocol: { clients: 3, rounds: 2, batchSize: 4 },
    network: { profile: 'rural-4g', ...network },
    compute: { workers: 2 },
  });
}

function log(dir: string): { text: string; records: TrafficRecord[] } {
  const text = readFileSync(join(dir, 'traffic.ndjson'), 'utf8');
  return { text, records: text.trim().split('\n').map((l) => JSON.parse(l) as TrafficRecord) };
}

describe('runs on the flow model', { timeout: 120_000 }, () => {
  it('share the server link, log every message once in seq order, and repeat byte for byte', async () => {
    const net = { server: { uplinkMbps: 2, downlinkMbps: 1, latencyMs: 5 } };
    const a = mkdtempSync(join(tmpdir(), 'splitwire-flow-a-'));
    const b = mkdtempSync(join(tmpdir(), 'splitwire-flow-b-'));
    const ra = await runScenario(tiny(net), { outDir: a, inProcessActors: true });
    await runScenario(tiny(net), { outDir: b, inProcessActors: true });
    const la = log(a);
    expect(la.text).toBe(log(b).text);
    expect(la.records.map((r) => r.seq)).toEqual(la.records.map((_, i) => i));
    const byKind: Record<string, number> = {};
    for (const r of la.records) {
      byKind[r.kind] = (byKind[r.kind] ?? 0) + r.wireBytes;
      if (!r.dropped) expect(r.recvTime as number).toBeGreaterThan(r.sendTime);
    }
    expect(byKind).toEqual(ra.sentBufferBytes);
    // A 1 Mbit/s shared server downlink makes the same run slower than the unlimited server side.
    const fifo = await runScenario(tiny({}), { outDir: null, inProcessActors: true });
    expect(ra.summary.simulatedSeconds).toBeGreaterThan(fifo.summary.simulatedSeconds);
  });

  it('a client that crashes mid-round sends nothing more that round and is left out', async () => {
    const s = tiny({ availability: { crashProb: 1 }, server: { uplinkMbps: 50, downlinkMbps: 50, latencyMs: 1 } });
    s.protocol.roundDeadlineS = 60;
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-crash-'));
    const r = await runScenario(s, { outDir: dir, inProcessActors: true });
    const recs = log(dir).records;
    // Every client crashes every round: no weights update gets through, rounds end at the deadline.
    expect(recs.filter((x) => x.kind === 'weights.up' && !x.dropped)).toHaveLength(0);
    expect(r.summary.rounds.every((x) => x.participants === 0)).toBe(true);
  });

  it('lossy mode: lost split tensors are gone (the client skips that batch after stepTimeoutS); weights and control always arrive', async () => {
    const s = tiny({ mode: 'lossy', uplink: { loss: 0.05 }, downlink: { loss: 0.05 }, server: { uplinkMbps: 20, downlinkMbps: 20, latencyMs: 1 } });
    s.protocol.stepTimeoutS = 5;
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-lossy-'));
    const r = await runScenario(s, { outDir: dir, inProcessActors: true });
    const recs = log(dir).records;
    const split = recs.filter((x) => x.kind.startsWith('features') || x.kind.startsWith('gradients'));
    expect(split.some((x) => x.dropped)).toBe(true);
    expect(recs.filter((x) => (x.kind === 'control' || x.kind.startsWith('weights')) && x.dropped)).toHaveLength(0);
    // Every client still reports each round: a skipped batch costs a step, not the round.
    expect(r.summary.rounds.every((x) => x.participants === 3)).toBe(true);
  });
});
