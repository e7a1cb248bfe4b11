/**
 * A trainable codec's step runs as a pool task of its own (TaskContext.codecStep): the task that
 * coded with the codec does not wait for it, the actor's later state reads do, and a failed step
 * is not lost: the actor's next state read fails with it.
 */
import { describe, expect, it } from 'vitest';
import { BlobStore } from '../compute/blobStore.js';
import { ComputePool } from '../compute/pool.js';
import type { PoolRequest, PoolResult } from '../compute/types.js';
import { validateScenario } from '../scenario/load.js';
import { TaskRunner } from './taskRunner.js';
import { buildWorld } from './world.js';

/** A pool whose codec steps fail (a worker lost mid-step), and that counts what it ran. */
class PoolFailingCodecSteps extends ComputePool {
  readonly ran: string[] = [];
  override async run(req: PoolRequest, keep?: ReadonlySet<ArrayBufferLike>): Promise<PoolResult> {
    this.ran.push(req.task === 'codec.train' ? `${req.task} ${req.role}` : req.task);
    if (req.task === 'codec.train') throw new Error('worker lost during the codec step');
    return super.run(req, keep);
  }
}

describe('codec steps as tasks of their own', { timeout: 120_000 }, () => {
  it('a gradient codec encodes without waiting for its step; a failed step fails the next state read', async () => {
    const s = validateScenario({
      name: 'tiny-codec-step',
      seed: 3,
      data: { kind: 'lesion', size: 16, samplesPerClient: 8, testSamples: 8 },
      model: { baseChannels: 4, depth: 3 },
      protocol: { clients: 2, rounds: 2, batchSize: 4 },
      codec: { name: 'factorized', latent: 4 },
      compute: { workers: 1 },
      evaluation: { every: 100 },
    });
    const world = await buildWorld(s);
    const pool = new PoolFailingCodecSteps({ threads: 1, backend: s.compute.backend });
    try {
      const blobs = new BlobStore();
      const tasks = new TaskRunner(world, pool, blobs);
      const gradientSlot = world.codecs.find((p) => p.kind === 'learned' && p.role === 'gradient' && p.slot === 'G2');
      expect(gradientSlot).toBeDefined();
      const shape = [4, 4, 4, gradientSlot?.kind === 'learned' ? gradientSlot.spec.channels : 1];
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i) * 1e-3);
      const ref = blobs.put({ kind: 'tensor', data, shape });
      const encoded = await tasks.start('client-0', 'encode', { client: 0, round: 1, step: 0, slot: 'G2', inputs: [ref] }).job;
      expect(encoded.outputs[0]?.kind).toBe('bytes');
      expect(pool.ran).toEqual(['encode', 'codec.train gradient']);
      await expect(tasks.start('client-0', 'weights.pack', { client: 0, round: 1, step: -1 }).job).rejects.toThrow(/worker lost during the codec step/);
    } finally {
      await pool.close();
    }
  });
});
