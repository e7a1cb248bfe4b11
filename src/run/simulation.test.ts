import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { ComputePool } from '../compute/pool.js';
import { runScenario } from './simulation.js';
import type { TrafficRecord } from './trafficLog.js';

/** A scenario small enough to run in a couple of seconds. */
function tiny(extra: Record<string, unknown> = {}): ReturnType<typeof validateScenario> {
  return validateScenario({
    name: 'tiny',
    seed: 3,
    data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
    model: { baseChannels: 2, depth: 3 },
    protocol: { clients: 2, rounds: 2, batchSize: 4 },
    network: { profile: 'rural-4g' },
    compute: { workers: 2 },
    ...extra,
  });
}

function readLog(dir: string): { text: string; records: TrafficRecord[] } {
  const text = readFileSync(join(dir, 'traffic.ndjson'), 'utf8');
  return { text, records: text.trim().split('\n').map((l) => JSON.parse(l) as TrafficRecord) };
}

describe('runScenario (real compute, tiny model)', { timeout: 120_000 }, () => {
  it('same scenario and seed give a byte-identical traffic log; every message has its fate; bytes match the buffers sent', async () => {
    const a = mkdtempSync(join(tmpdir(), 'splitwire-run-a-'));
    const b = mkdtempSync(join(tmpdir(), 'splitwire-run-b-'));
    const ra = await runScenario(tiny(), { outDir: a });
    await runScenario(tiny(), { outDir: b, inProcessActors: true });
    const la = readLog(a);
    const lb = readLog(b);
    const hash = (t: string): string => createHash('sha256').update(t).digest('hex');
    expect(hash(la.text)).toBe(hash(lb.text));

    // Every message was either received (with a receive time after its send time) or dropped.
    for (const r of la.records) {
      if (r.dropped) expect(r.recvTime).toBeNull();
      else expect(r.recvTime as number).toBeGreaterThanOrEqual(r.sendTime);
    }
    expect(la.records.map((r) => r.seq)).toEqual(la.records.map((_, i) => i));

    // The log's wire bytes are the byteLength of the buffers the actors actually sent.
    const byKind: Record<string, number> = {};
    for (const r of la.records) byKind[r.kind] = (byKind[r.kind] ?? 0) + r.wireBytes;
    expect(byKind).toEqual(ra.sentBufferBytes);

    // 2 clients × 2 rounds × 2 steps of each split tensor.
    const count = (kind: string): number => la.records.filter((r) => r.kind === kind).length;
    expect(count('features.s1')).toBe(8);
    expect(count('gradients.s1')).toBe(8);
    expect(count('weights.up')).toBe(4);

    const s = ra.summary;
    expect(s.rounds).toHaveLength(2);
    expect(s.totals.rawBytes).toBe(la.records.filter((r) => r.kind.startsWith('features') || r.kind.startsWith('gradients')).reduce((x, r) => x + r.rawBytes, 0));
    expect(s.final.meanIoU).not.toBeNull();
    expect(s.simulatedSeconds).toBeGreaterThan(0);
  });

  it('quant 8-bit sends about a quarter of the fp32 bytes (plus container headers, large on tiny tensors)', async () => {
    const r = await runScenario(tiny({ codec: { name: 'quant', bits: 8 } }), { outDir: null, inProcessActors: true });
    const ratio = r.summary.totals.wireBytes / r.summary.totals.rawBytes;
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(0.265);
  });

  it('a learned codec trains with the model and sends real entropy-coded bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-run-learned-'));
    const r = await runScenario(tiny({ codec: { name: 'factorized', latent: 4 } }), { outDir: dir, inProcessActors: true });
    const { records } = readLog(dir);
    const split = records.filter((x) => x.kind.startsWith('features') || x.kind.startsWith('gradients'));
    expect(new Set(split.map((x) => x.codec))).toEqual(new Set(['factorized']));
    // Entropy-coded sizes vary with content, unlike fixed-rate codecs.
    expect(new Set(split.map((x) => x.wireBytes)).size).toBeGreaterThan(1);
    expect(r.summary.totals.compressionRatio as number).toBeGreaterThan(1);
    expect(r.summary.final.meanIoU).not.toBeNull();
  });

  it('computing in the run\'s own thread gives the same logs as pool threads, learned codec included, and says so in the summary', async () => {
    const scenario = tiny({ codec: { name: 'factorized', latent: 4 }, protocol: { clients: 2, rounds: 1, batchSize: 4, variant: 'sflv2' } });
    const a = mkdtempSync(join(tmpdir(), 'splitwire-run-pool-'));
    const b = mkdtempSync(join(tmpdir(), 'splitwire-run-inthread-'));
    const ra = await runScenario(scenario, { outDir: a, inProcessActors: true });
    const pool = new ComputePool({ inThread: true, backend: scenario.compute.backend });
    try {
      const rb = await runScenario(scenario, { outDir: b, inProcessActors: true, pool });
      expect(ra.summary.computeThreads).toBe(2);
      expect(rb.summary.computeThreads).toBe(0);
      expect(rb.summary.final).toEqual(ra.summary.final);
    } finally {
      await pool.close();
    }
    for (const log of ['traffic.ndjson', 'timeline.ndjson']) {
      expect(readFileSync(join(b, log), 'utf8'), log).toBe(readFileSync(join(a, log), 'utf8'));
    }
  });

  it('SFLV2 and label-sharing runs finish', async () => {
    const v2 = await runScenario(tiny({ protocol: { clients: 2, rounds: 1, batchSize: 4, variant: 'sflv2' } }), {
      outDir: null,
      inProcessActors: true,
    });
    expect(v2.summary.rounds[0]?.participants).toBe(2);
    const ls = await runScenario(tiny({ protocol: { clients: 2, rounds: 1, batchSize: 4, topology: 'label-sharing' } }), {
      outDir: null,
      inProcessActors: true,
    });
    expect(ls.summary.totals.bytesByKind['control']?.messages).toBeGreaterThan(0);
    expect(ls.summary.final.meanIoU).not.toBeNull();
  });

  it('a client offline for a round is left out of that round and rejoins', async () => {
    const r = await runScenario(tiny({ protocol: { clients: 3, rounds: 3, batchSize: 4, roundDeadlineS: 50 }, network: { profile: 'hospital-fiber', dropoutProb: 0.4 } }), {
      outDir: null,
      inProcessActors: true,
    });
    const participants = r.summary.rounds.map((x) => x.participants);
    expect(participants.some((p) => p < 3)).toBe(true);
    expect(r.summary.rounds).toHaveLength(3);
  });
});
