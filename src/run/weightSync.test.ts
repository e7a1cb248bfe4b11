/**
 * Model weights as deltas (protocol.weightBits): what travels, what each end rebuilds, and a
 * run whose weight messages are deltas from the second round on.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { Rng } from '../sim/rng.js';
import { runScenario } from './simulation.js';
import type { TrafficRecord } from './trafficLog.js';
import { WeightVersions } from './weightSync.js';
import type { Blob } from '../compute/blobStore.js';

function randomVector(n: number, seed: number, scale: number): Float32Array {
  const rng = new Rng(seed, 'weights');
  return Float32Array.from({ length: n }, () => rng.normal(0, scale));
}

function bytesOf(b: Blob): Extract<Blob, { kind: 'bytes' }> {
  if (b.kind !== 'bytes') throw new Error('expected bytes');
  return b;
}

describe('WeightVersions', () => {
  const segments = [100, 3, 900];

  it('at 32 bits sends full weights both ways and leaves the global as it was', () => {
    const w = new WeightVersions(32, segments);
    const g0 = randomVector(1003, 1, 0.1);
    expect(w.pack(0, g0).blobs.map((b) => bytesOf(b).codec)).toEqual(['none']);
    const g1 = randomVector(1003, 2, 0.1);
    const { global, blobs } = w.pack(1, g1);
    expect(blobs).toHaveLength(1);
    expect(global).toEqual(g1);
    const up = bytesOf(w.up(1, g1));
    expect(up.codec).toBe('none');
    expect(w.read(up, 1)).toEqual(g1);
  });

  it('at 8 bits offers full and delta forms that decode to the same global, bit for bit', () => {
    const w = new WeightVersions(8, segments);
    const g0 = randomVector(1003, 1, 0.1);
    w.pack(0, g0);
    const g1 = g0.map((v, i) => v + (i % 7) * 1e-3 - 3e-3);
    const { global, blobs } = w.pack(1, g1);
    const [full, delta] = blobs.map(bytesOf) as [Extract<Blob, { kind: 'bytes' }>, Extract<Blob, { kind: 'bytes' }>];
    expect(full.codec).toBe('none');
    expect(delta.codec).toBe('delta-q8');
    expect(delta.rawBytes).toBe(1003 * 4);
    // One 8-bit grid per tensor: about a byte a value, plus small headers.
    expect(delta.data.byteLength).toBeLessThan(1003 + 3 * 64);
    expect(full.data.byteLength).toBeGreaterThan(4 * 1003);
    // A client holding round 0's global rebuilds round 1's from the delta; a new one from the full form.
    expect(w.read(delta, 0)).toEqual(global);
    expect(w.read(full, 0)).toEqual(global);
    // The snapped global is within half a grid step of the true one, per tensor.
    let worst = 0;
    for (let i = 0; i < 1003; i++) worst = Math.max(worst, Math.abs((global[i] as number) - (g1[i] as number)));
    expect(worst).toBeLessThanOrEqual((6e-3 / 255) * 0.51 + 1e-7);
  });

  it('an upload is a delta against the round it was trained in, read back within the grid', () => {
    const w = new WeightVersions(16, segments);
    const g0 = randomVector(1003, 3, 0.1);
    w.pack(0, g0);
    const local = g0.map((v, i) => v + Math.sin(i) * 1e-2);
    const up = bytesOf(w.up(0, local));
    expect(up.codec).toBe('delta-fp16');
    const back = w.read(up, 0);
    for (let i = 0; i < 1003; i++) expect(Math.abs((back[i] as number) - (local[i] as number))).toBeLessThan(1e-5);
  });

  it('an upload whose round is no longer kept goes in full, and a delta without its base is an error naming the round', () => {
    const w = new WeightVersions(8, segments);
    for (let r = 0; r < 6; r++) w.pack(r, randomVector(1003, 10 + r, 0.1));
    const local = randomVector(1003, 99, 0.1);
    expect(bytesOf(w.up(0, local)).codec).toBe('none');
    const delta = bytesOf(w.up(5, local));
    expect(() => w.read(delta, 1)).toThrow(/global of round 1/);
  });

  it('rejects a vector that does not match the tensors', () => {
    const w = new WeightVersions(8, segments);
    w.pack(0, randomVector(1003, 1, 0.1));
    expect(() => w.up(0, new Float32Array(1002))).toThrow(/1002 values/);
  });
});

describe('a run with protocol.weightBits 8', () => {
  function tiny(weightBits: 8 | 32): ReturnType<typeof validateScenario> {
    return validateScenario({
      name: 'tiny-weights',
      seed: 3,
      data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
      model: { baseChannels: 4, depth: 3 },
      protocol: { clients: 2, rounds: 3, batchSize: 4, weightBits },
      network: { profile: 'hospital-fiber' },
      compute: { workers: 2 },
    });
  }

  it('sends weights in full in round 1 and as 8-bit deltas after, at under half the bytes (a quarter plus a header per tensor); the summary says so', async () => {
    const logs: Record<number, TrafficRecord[]> = {};
    const summaries: Record<number, { weightBits: number; final: { meanIoU: number | null } }> = {};
    for (const bits of [32, 8] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'splitwire-weights-'));
      const { summary } = await runScenario(tiny(bits), { outDir: dir });
      summaries[bits] = summary;
      logs[bits] = readFileSync(join(dir, 'traffic.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as TrafficRecord);
    }
    const weights = (bits: number, kind: string, round: number): TrafficRecord[] =>
      (logs[bits] as TrafficRecord[]).filter((r) => r.kind === kind && r.round === round);
    expect(summaries[8]?.weightBits).toBe(8);
    expect(summaries[32]?.weightBits).toBe(32);
    // Down: round 0 in full (no client holds a global yet), later rounds as deltas.
    expect(weights(8, 'weights.down', 0).map((r) => r.codec)).toEqual(['none', 'none']);
    for (const round of [1, 2]) {
      expect(weights(8, 'weights.down', round).map((r) => r.codec)).toEqual(['delta-q8', 'delta-q8']);
      expect(weights(8, 'weights.up', round).map((r) => r.codec)).toEqual(['delta-q8', 'delta-q8']);
    }
    const full = (weights(32, 'weights.up', 1)[0] as TrafficRecord).wireBytes;
    const delta = (weights(8, 'weights.up', 1)[0] as TrafficRecord).wireBytes;
    expect(delta).toBeLessThan(full / 2);
    // Raw bytes are what fp32 weights would cost, so the ratio charges the deltas honestly.
    expect((weights(8, 'weights.up', 1)[0] as TrafficRecord).rawBytes).toBe((weights(32, 'weights.up', 1)[0] as TrafficRecord).rawBytes);
    // Split tensors in round 0 are identical: the first round's weights are the same in both runs.
    const split = (bits: number): number[] => (logs[bits] as TrafficRecord[]).filter((r) => r.round === 0 && r.kind.startsWith('features')).map((r) => r.wireBytes);
    expect(split(8)).toEqual(split(32));
    expect(summaries[8]?.final.meanIoU).not.toBeNull();
  }, 120_000);
});
