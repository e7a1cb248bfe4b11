/**
 * Every byte attributed (DESIGN §8): summary.json's totals recomputed from traffic.ndjson alone.
 * Codec weights travel as codec.down / codec.up and count as cost in trafficRatio; directions
 * are up (from a client), down (to a client) and internal (federator ↔ split server).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { runScenario } from './simulation.js';
import type { TrafficRecord } from './trafficLog.js';
import type { RunSummary } from './summary.js';

function tinyLearned(codec: Record<string, unknown>): ReturnType<typeof validateScenario> {
  return validateScenario({
    name: 'tiny-learned',
    seed: 5,
    data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
    model: { baseChannels: 2, depth: 3 },
    protocol: { clients: 2, rounds: 3, batchSize: 4 },
    codec: { name: 'factorized', latent: 4, ...codec },
    network: { profile: 'hospital-fiber' },
    compute: { workers: 2 },
  });
}

function readLog(dir: string): TrafficRecord[] {
  return readFileSync(join(dir, 'traffic.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrafficRecord);
}

/** The totals as a reader of the log alone computes them. */
function recompute(log: readonly TrafficRecord[]): { trafficRatio: number; up: number; down: number; internal: number; all: number } {
  const sum = (rs: readonly TrafficRecord[], f: (r: TrafficRecord) => number): number => rs.reduce((a, r) => a + f(r), 0);
  const all = sum(log, (r) => r.wireBytes);
  const raw = sum(log.filter((r) => !r.kind.startsWith('codec.')), (r) => r.rawBytes);
  return {
    trafficRatio: raw / all,
    up: sum(log.filter((r) => r.src.startsWith('client-')), (r) => r.wireBytes),
    down: sum(log.filter((r) => r.dst.startsWith('client-')), (r) => r.wireBytes),
    internal: sum(log.filter((r) => !r.src.startsWith('client-') && !r.dst.startsWith('client-')), (r) => r.wireBytes),
    all,
  };
}

describe('byte attribution (real compute, tiny model)', { timeout: 240_000 }, () => {
  it('trafficRatio, directions and codec kinds match a recomputation from traffic.ndjson', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-attr-'));
    const { summary } = await runScenario(tinyLearned({}), { outDir: dir });
    const log = readLog(dir);
    const r = recompute(log);
    const t = summary.totals;
    expect(t.trafficRatio).toBeCloseTo(r.trafficRatio, 12);
    expect(t.bytesByDirection).toEqual({ up: r.up, down: r.down, internal: r.internal });
    expect(t.bytesByDirection.up + t.bytesByDirection.down + t.bytesByDirection.internal).toBe(t.allWireBytes);
    expect(r.internal).toBeGreaterThan(0); // round.start, aggregate, aggregated
    // The codecs' weights are their own kinds, not the model's: every round syncs (syncEvery 1);
    // version 0 is seeded at both ends, so codec.down starts in round 1.
    const kinds = (k: string): TrafficRecord[] => log.filter((x) => x.kind === k);
    expect(kinds('codec.up').map((x) => x.round)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(kinds('codec.down').map((x) => x.round)).toEqual([1, 1, 2, 2]);
    // The split-only ratio leaves both weights kinds out; the all-in one charges the codec.
    expect(t.trafficRatio as number).toBeLessThan(t.compressionRatio as number);
    expect(summary.codec).toMatchObject({ syncEvery: 1, updateBits: 32 });
  });

  it('syncEvery and 8-bit deltas send fewer codec bytes, still attributed', async () => {
    const full = await runScenario(tinyLearned({}), { outDir: null });
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-attr-q8-'));
    const { summary } = await runScenario(tinyLearned({ syncEvery: 2, updateBits: 8 }), { outDir: dir });
    const log = readLog(dir);
    const codecBytes = (s: RunSummary): number => (s.totals.bytesByKind['codec.up']?.wire ?? 0) + (s.totals.bytesByKind['codec.down']?.wire ?? 0);
    // Syncs after rounds 1 and 2 (every 2nd, and the last): up twice per client, down once (round 2), as 8-bit deltas.
    expect(log.filter((x) => x.kind === 'codec.up').map((x) => [x.round, x.codec])).toEqual([
      [1, 'delta-q8'],
      [1, 'delta-q8'],
      [2, 'delta-q8'],
      [2, 'delta-q8'],
    ]);
    expect(log.filter((x) => x.kind === 'codec.down').map((x) => [x.round, x.codec])).toEqual([
      [2, 'delta-q8'],
      [2, 'delta-q8'],
    ]);
    expect(codecBytes(summary)).toBeLessThan(codecBytes(full.summary) / 4);
    expect(summary.totals.trafficRatio).toBeCloseTo(recompute(log).trafficRatio, 12);
  });
});
