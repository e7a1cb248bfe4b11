/**
 * The comparison baselines in real runs (tiny model): `topk` with error feedback and `ayad`
 * (Ayad et al. 2021: an autoencoder frozen after its training rounds, gradients sent only when
 * the loss is above a threshold). The run's world is captured (buildWorld wrapped) so the tests
 * can compare parameter vectors, not only the logs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { containerHeaderSize, decodeAny, topkCount } from '../codecs/index.js';
import { BlobStore } from '../compute/blobStore.js';
import { ComputePool } from '../compute/pool.js';
import { checkRealCompute } from '../check/realCompute.js';
import { loadScenario, parseOverride, validateScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { runScenario } from './simulation.js';
import { TaskRunner } from './taskRunner.js';
import type { TrafficRecord } from './trafficLog.js';
import { buildWorld, stateKey, type World } from './world.js';

const captured = vi.hoisted(() => ({ worlds: [] as { world: unknown; initial: Map<string, Float32Array> }[] }));

vi.mock('./world.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('./world.js')>();
  return {
    ...orig,
    buildWorld: async (s: Scenario): Promise<World> => {
      const world = await orig.buildWorld(s);
      const initial = new Map<string, Float32Array>();
      for (const part of ['FE', 'BE', 'M', 'FE1', 'S', 'codec/F1', 'codec/F2']) {
        const key = orig.stateKey('global', part, s.protocol.variant);
        if (world.store.has(key)) initial.set(part, world.store.snapshot(key));
      }
      captured.worlds.push({ world, initial });
      return world;
    },
  };
});

/** A tiny scenario that still learns in 2–3 rounds (base 4, lr 0.01). */
function tiny(codec: Record<string, unknown>, extra: Record<string, unknown> = {}): Scenario {
  return validateScenario({
    name: 'tiny-baseline',
    seed: 3,
    data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
    model: { baseChannels: 4, depth: 3 },
    protocol: { clients: 2, rounds: 3, batchSize: 4 },
    optimizer: { lr: 0.01 },
    network: { profile: 'rural-4g' },
    compute: { workers: 2 },
    evaluation: { every: 100 },
    codec,
    ...extra,
  });
}

interface Logs {
  traffic: TrafficRecord[];
  timeline: { round: number; step: number; actor: string; task: string }[];
  hash: string;
}

function readLogs(dir: string): Logs {
  const text = readFileSync(join(dir, 'traffic.ndjson'), 'utf8');
  const lines = (t: string): string[] => t.split('\n').filter((l) => l.length > 0);
  return {
    traffic: lines(text).map((l) => JSON.parse(l) as TrafficRecord),
    timeline: lines(readFileSync(join(dir, 'timeline.ndjson'), 'utf8')).map((l) => JSON.parse(l) as Logs['timeline'][number]),
    hash: createHash('sha256').update(text).digest('hex'),
  };
}

async function run(s: Scenario): Promise<{ logs: Logs; world: World; initial: Map<string, Float32Array>; result: Awaited<ReturnType<typeof runScenario>> }> {
  const dir = mkdtempSync(join(tmpdir(), 'splitwire-baseline-'));
  const before = captured.worlds.length;
  const result = await runScenario(s, { outDir: dir, inProcessActors: true });
  const c = captured.worlds[before] as { world: World; initial: Map<string, Float32Array> };
  return { logs: readLogs(dir), world: c.world, initial: c.initial, result };
}

const global = (w: World, part: string): Float32Array => w.store.snapshot(stateKey('global', part, w.scenario.protocol.variant));
const split = (r: TrafficRecord): boolean => r.kind.startsWith('features') || r.kind.startsWith('gradients');

describe('topk with error feedback', { timeout: 120_000 }, () => {
  it('sends about fraction × raw on every split tensor (exact bounds below) and training still lowers the loss', async () => {
    const fraction = 0.1;
    const { logs, result } = await run(tiny({ name: 'topk', fraction }));
    const msgs = logs.traffic.filter(split);
    expect(msgs.length).toBe(4 * 2 * 2 * 3); // 4 kinds × 2 clients × 2 steps × 3 rounds
    for (const m of msgs) {
      expect(m.codec).toBe('topk');
      // wire = header + u32 k + 4k value bytes + k index varints of 1..3 bytes (n < 2^21).
      const n = m.rawBytes / 4;
      const k = topkCount(n, fraction);
      const fixed = containerHeaderSize('topk', 4) + 4 + 4 * k;
      expect(m.wireBytes).toBeGreaterThanOrEqual(fixed + k);
      expect(m.wireBytes).toBeLessThanOrEqual(fixed + 3 * k);
    }
    const ratio = result.summary.totals.wireBytes / result.summary.totals.rawBytes;
    // 1024-value tensors: 1.25·f of values and indices plus a 39-byte header and count ≈ 0.134.
    expect(ratio).toBeGreaterThan(1.25 * fraction);
    expect(ratio).toBeLessThan(1.75 * fraction + 39 / 4096);
    const loss = result.summary.rounds.map((r) => r.loss as number);
    expect(loss[2]).toBeLessThan(loss[1] as number);
    expect(loss[1]).toBeLessThan(loss[0] as number);
  });

  it('carries each sender’s residual per slot, client and shape into its next encode (in start order)', async () => {
    const s = tiny({ name: 'topk', fraction: 0.25 });
    const world = await buildWorld(s);
    const pool = new ComputePool({ threads: 2, backend: s.compute.backend });
    try {
      const blobs = new BlobStore();
      const tasks = new TaskRunner(world, pool, blobs);
      const encode = (client: number, slot: 'F1' | 'G2' | 'G1', data: number[], shape = [1, 2, 2, 2]): Promise<number[]> => {
        const ref = blobs.put({ kind: 'tensor', data: Float32Array.from(data), shape });
        const job = tasks.start(client === 0 ? 'client-0' : 'client-1', 'encode', { client, round: 0, step: 0, slot, inputs: [ref] }).job;
        return job.then((o) => {
          const b = o.outputs[0];
          if (b?.kind !== 'bytes') throw new Error('encode gave no bytes');
          return Array.from(decodeAny(b.data).data);
        });
      };
      const x1 = [8, 7, 6, 5, 4, 3, 2, 1];
      const x2 = [1, 1, 1, 1, 1, 1, 1, 0.5];
      // Started back to back on two workers: the second still sees the first one's residual.
      const [a, b] = await Promise.all([encode(0, 'F1', x1), encode(0, 'F1', x2)]);
      expect(a).toEqual([8, 7, 0, 0, 0, 0, 0, 0]);
      expect(b).toEqual([0, 0, 7, 6, 0, 0, 0, 0]); // x2 + e1; dropping the residual would send [1, 1, 0, …]
      // Another client, another slot (the server's G1 memory for client 0), another shape: fresh memories.
      expect(await encode(1, 'F1', x2)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
      expect(await encode(0, 'G1', x2)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
      expect(await encode(0, 'F1', x2, [1, 1, 2, 4])).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
      // And client 0's F1 memory goes on: e2 = [1, 1, 0, 0, 5, 4, 3, 1.5].
      expect(await encode(0, 'F1', [0, 0, 0, 0, 0, 0, 0, 0])).toEqual([0, 0, 0, 0, 5, 4, 0, 0]);
    } finally {
      await pool.close();
    }
  });
});

describe('ayad (Ayad et al. 2021)', { timeout: 120_000 }, () => {
  const ayad = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'ayad', latent: 4, ...extra });

  it('below the threshold a gradient is a header-only notice: no G1, no M or FE backward, FE and M unchanged, BE trained', async () => {
    const { logs, world, initial } = await run(tiny(ayad({ lossThreshold: 100 }), { protocol: { clients: 2, rounds: 2, batchSize: 4 } }));
    const g2 = logs.traffic.filter((r) => r.kind === 'gradients.s2');
    expect(g2).toHaveLength(2 * 2 * 2);
    for (const r of g2) {
      expect(r.codec).toBe('skipped');
      expect(r.wireBytes).toBe(containerHeaderSize('skipped', 4));
      expect(r.rawBytes).toBe(logs.traffic.find((f) => f.kind === 'features.s2')?.rawBytes); // the fp32 gradient not sent
    }
    expect(logs.traffic.filter((r) => r.kind === 'gradients.s1')).toEqual([]);
    expect(logs.timeline.filter((t) => t.task === 'm.backward' || t.task === 'fe.backward')).toEqual([]);
    // Parameter vectors: no optimiser step ever touched FE or M (Adam on zeros would still move them).
    expect(global(world, 'FE')).toEqual(initial.get('FE'));
    expect(global(world, 'M')).toEqual(initial.get('M'));
    expect(global(world, 'BE')).not.toEqual(initial.get('BE'));
  });

  it('above the threshold gradients go as fp32 and every part trains', async () => {
    const { logs, world, initial } = await run(tiny(ayad({ lossThreshold: 0 }), { protocol: { clients: 2, rounds: 1, batchSize: 4 } }));
    const grads = logs.traffic.filter((r) => r.kind.startsWith('gradients'));
    expect(grads).toHaveLength(2 * 2 * 2);
    for (const r of grads) expect(r.codec).toBe('none');
    expect(logs.traffic.filter((r) => r.kind.startsWith('features')).every((r) => r.codec === 'ayad')).toBe(true);
    expect(global(world, 'FE')).not.toEqual(initial.get('FE'));
    expect(global(world, 'M')).not.toEqual(initial.get('M'));
  });

  it('a mixed threshold gates per batch (a G1 and an M backward exactly for the gradients sent) and runs are deterministic', async () => {
    const s = tiny(ayad({ lossThreshold: 1.2 }), { protocol: { clients: 2, rounds: 2, batchSize: 4 } });
    const a = await run(s);
    const b = await run(s);
    expect(b.logs.hash).toBe(a.logs.hash);
    const id = (r: { round: number; step: number }, client: string): string => `${client}/${r.round}/${r.step}`;
    const g2 = a.logs.traffic.filter((r) => r.kind === 'gradients.s2');
    const skipped = new Set(g2.filter((r) => r.codec === 'skipped').map((r) => id(r, r.src)));
    const sent = new Set(g2.filter((r) => r.codec === 'none').map((r) => id(r, r.src)));
    expect(skipped.size).toBeGreaterThan(0);
    expect(sent.size).toBeGreaterThan(0);
    expect(new Set(a.logs.traffic.filter((r) => r.kind === 'gradients.s1').map((r) => id(r, r.dst)))).toEqual(sent);
    expect(a.logs.timeline.filter((t) => t.task === 'm.backward')).toHaveLength(sent.size);
    expect(a.logs.timeline.filter((t) => t.task === 'fe.backward').map((t) => id(t, t.actor)).sort()).toEqual([...sent].sort());
  });

  it('the autoencoder trains for freezeAfterRounds rounds, then stays fixed and is no longer uploaded', async () => {
    const snapshots: Record<string, Float32Array>[] = [];
    const s = tiny(ayad({ lossThreshold: 0, freezeAfterRounds: 1 }));
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-baseline-'));
    const before = captured.worlds.length;
    await runScenario(s, {
      outDir: dir,
      inProcessActors: true,
      onProgress: (p) => {
        // Rounds before the last are not evaluated, so progress comes right at their round's end.
        if (p.round >= s.protocol.rounds - 1) return;
        const w = (captured.worlds[before] as { world: World }).world;
        snapshots[p.round] = { F1: global(w, 'codec/F1'), F2: global(w, 'codec/F2') };
      },
    });
    const { world, initial } = captured.worlds[before] as { world: World; initial: Map<string, Float32Array> };
    const after0 = snapshots[0] as Record<string, Float32Array>;
    expect(after0['F1']).not.toEqual(initial.get('codec/F1'));
    expect(after0['F2']).not.toEqual(initial.get('codec/F2'));
    expect(snapshots[1]).toEqual(after0);
    expect(global(world, 'codec/F1')).toEqual(after0['F1']);
    expect(global(world, 'codec/F2')).toEqual(after0['F2']);
    // The codec's weights travel as codec.up (its own kind), in its one training round only.
    const traffic = readLogs(dir).traffic;
    const codecUp = traffic.filter((r) => r.kind === 'codec.up');
    expect(codecUp.map((r) => r.round)).toEqual(codecUp.map(() => 0));
    expect(codecUp[0]?.rawBytes).toBe(4 * (initial.get('codec/F1') as Float32Array).length);
    const upRaw = (round: number): number => traffic.find((r) => r.kind === 'weights.up' && r.round === round)?.rawBytes ?? 0;
    expect(upRaw(0)).toBe(upRaw(1));
    expect(upRaw(2)).toBe(upRaw(1));
    // Frozen after round 0: the clients got the averaged codec once (round 1), never again.
    expect(traffic.filter((r) => r.kind === 'codec.down').map((r) => r.round)).toEqual(traffic.filter((r) => r.kind === 'codec.down').map(() => 1));
  });

  it('label-sharing (the server holds the loss and gates G1) and SFLV2 finish', async () => {
    const ls = await run(tiny(ayad({ lossThreshold: 100 }), { protocol: { clients: 2, rounds: 1, batchSize: 4, topology: 'label-sharing' } }));
    const g1 = ls.logs.traffic.filter((r) => r.kind === 'gradients.s1');
    expect(g1.length).toBe(4);
    expect(g1.every((r) => r.codec === 'skipped')).toBe(true);
    expect(ls.logs.timeline.filter((t) => t.task === 'fe.backward')).toEqual([]);
    expect(global(ls.world, 'FE1')).toEqual(ls.initial.get('FE1'));
    expect(global(ls.world, 'S')).not.toEqual(ls.initial.get('S'));
    const v2 = await run(tiny(ayad({ lossThreshold: 1.2 }), { protocol: { clients: 2, rounds: 1, batchSize: 4, variant: 'sflv2' } }));
    expect(v2.result.summary.rounds.map((r) => r.participants)).toEqual([2]);
  });

  it("splitwire check's properties hold on a real ayad run with dropout, crashes, stragglers and a generated fault schedule", async () => {
    // Threshold 1.22 on the check's tiny model: most batches skip their gradients, some send them.
    const s = await loadScenario('scenarios/quickstart.yaml', ['protocol.clients=3', 'codec.name=ayad', 'codec.latent=4', 'codec.lossThreshold=1.22'].map(parseOverride));
    const results = await checkRealCompute(s, { runs: 1, seed: 0 });
    for (const r of results) expect(r.passed ? `${r.name} holds` : `${r.name}: ${r.violation}`).toBe(`${r.name} holds`);
  });
});
