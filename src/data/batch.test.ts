import { describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { batchIterator, makeBatch } from './batch.js';
import type { Dataset } from './types.js';

function tinyDataset(n: number): Dataset {
  const samples = Array.from({ length: n }, (_, i) => ({
    image: Float32Array.from({ length: 2 * 3 * 2 }, (_, k) => i * 100 + k),
    mask: Uint8Array.from({ length: 2 * 3 }, (_, k) => (i + k) % 3),
    category: i % 2,
  }));
  return { name: 'tiny', height: 2, width: 3, channels: 2, classes: 3, classNames: ['a', 'b', 'c'], samples };
}

describe('makeBatch', () => {
  it('lays samples out contiguously in index order (NHWC)', () => {
    const ds = tinyDataset(5);
    const b = makeBatch(ds, [3, 0]);
    expect(b.shape).toEqual([2, 2, 3, 2]);
    expect(b.classes).toBe(3);
    expect(Array.from(b.x.subarray(0, 12))).toEqual(Array.from(ds.samples[3]!.image));
    expect(Array.from(b.x.subarray(12))).toEqual(Array.from(ds.samples[0]!.image));
    expect(Array.from(b.y)).toEqual([...ds.samples[3]!.mask, ...ds.samples[0]!.mask]);
  });

  it('copies, so later edits to the batch leave the dataset alone', () => {
    const ds = tinyDataset(1);
    const b = makeBatch(ds, [0]);
    b.x[0] = -1;
    expect(ds.samples[0]!.image[0]).toBe(0);
  });

  it('names a bad index and a malformed sample', () => {
    const ds = tinyDataset(2);
    expect(() => makeBatch(ds, [0, 2])).toThrow('makeBatch.indices[1]: must be an integer in [0, 2), got 2');
    ds.samples[1]!.mask = new Uint8Array(5);
    expect(() => makeBatch(ds, [1])).toThrow("makeBatch: sample 1 of 'tiny' has image length 12 and mask length 5");
  });
});

describe('batchIterator', () => {
  it('visits every index once per epoch, in batches of batchSize plus a remainder', () => {
    const indices = [4, 8, 15, 16, 23, 42, 7];
    const batches = [...batchIterator(indices, 3, new Rng(1), 2)];
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1, 3, 3, 1]);
    const epoch1 = batches.slice(0, 3).flat();
    const epoch2 = batches.slice(3).flat();
    expect([...epoch1].sort((a, b) => a - b)).toEqual([...indices].sort((a, b) => a - b));
    expect([...epoch2].sort((a, b) => a - b)).toEqual([...indices].sort((a, b) => a - b));
    expect(epoch1).not.toEqual(epoch2);
  });

  it('is deterministic and does not modify its input', () => {
    const indices = Array.from({ length: 20 }, (_, i) => i);
    const a = [...batchIterator(indices, 4, new Rng(5, 'b'))];
    expect([...batchIterator(indices, 4, new Rng(5, 'b'))]).toEqual(a);
    expect(indices).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('validates batchSize', () => {
    expect(() => [...batchIterator([1], 0, new Rng(1))]).toThrow('batchIterator.batchSize: must be an integer >= 1, got 0');
  });
});
