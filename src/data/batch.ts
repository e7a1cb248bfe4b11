/**
 * Training batches: samples copied into one contiguous NHWC buffer (ready for tf.tensor4d
 * or a transfer list) and a seeded per-epoch shuffling iterator over sample indices.
 */
import type { Rng } from '../sim/rng.js';
import type { Batch, Dataset } from './types.js';

/**
 * Copies `ds.samples[i]` for each i of `indices` (in that order) into one batch.
 * @example const b = makeBatch(ds, [0, 1, 2]); tf.tensor4d(b.x, b.shape)
 */
export function makeBatch(ds: Dataset, indices: readonly number[]): Batch {
  const { height: h, width: w, channels: c } = ds;
  const px = h * w;
  const x = new Float32Array(indices.length * px * c);
  const y = new Uint8Array(indices.length * px);
  indices.forEach((idx, n) => {
    const s = ds.samples[idx];
    if (!Number.isInteger(idx) || s === undefined) {
      throw new Error(`makeBatch.indices[${n}]: must be an integer in [0, ${ds.samples.length}), got ${idx}`);
    }
    if (s.image.length !== px * c || s.mask.length !== px) {
      throw new Error(
        `makeBatch: sample ${idx} of '${ds.name}' has image length ${s.image.length} and mask length ${s.mask.length}, ` +
          `expected ${px * c} and ${px} for ${h}x${w}x${c}`,
      );
    }
    x.set(s.image, n * px * c);
    y.set(s.mask, n * px);
  });
  return { x, y, shape: [indices.length, h, w, c], classes: ds.classes };
}

/**
 * Yields batches of indices for `epochs` epochs; each epoch visits every index once in an
 * order shuffled by `rng` (so the same rng state gives the same batches). The last batch of
 * an epoch holds the remainder and may be smaller than `batchSize`. `indices` is not modified.
 * @example for (const idx of batchIterator(clientIndices[k], 8, rng.child('batches'))) makeBatch(ds, idx)
 */
export function* batchIterator(
  indices: readonly number[],
  batchSize: number,
  rng: Rng,
  epochs = 1,
): Generator<number[], void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchIterator.batchSize: must be an integer >= 1, got ${batchSize}`);
  }
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new Error(`batchIterator.epochs: must be an integer >= 0, got ${epochs}`);
  }
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle([...indices]);
    for (let i = 0; i < order.length; i += batchSize) yield order.slice(i, i + batchSize);
  }
}
