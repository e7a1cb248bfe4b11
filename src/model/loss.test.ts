import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DICE_SMOOTH, diceCrossEntropy } from './loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('diceCrossEntropy', () => {
  it('equals a hand computation on two pixels', () => {
    // pixel a: softmax [0.25, 0.75], label 1; pixel b: softmax [0.8, 0.2], label 0
    const logits = tf.tensor4d([0, Math.log(3), Math.log(4), 0], [1, 1, 2, 2]);
    const labels = tf.tensor([1, 0], [1, 1, 2], 'int32');
    const ce = -(Math.log(0.75) + Math.log(0.8)) / 2;
    const s = DICE_SMOOTH;
    const dice0 = (2 * 0.8 + s) / (0.25 + 0.8 + 1 + s);
    const dice1 = (2 * 0.75 + s) / (0.75 + 0.2 + 1 + s);
    const want = ce + 1 - (dice0 + dice1) / 2;
    const before = tf.memory().numTensors;
    const loss = diceCrossEntropy(logits, labels, 2);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(loss.shape).toEqual([]);
    expect(loss.dataSync()[0]).toBeCloseTo(want, 6);
    tf.dispose([logits, labels, loss]);
  });

  it('accepts uint8-valued labels of another dtype and is near 0 for confident correct logits', () => {
    const truth = [0, 1, 2, 1, 0, 2, 2, 1];
    const logits = tf.tidy(() => tf.mul(tf.oneHot(tf.tensor1d(truth, 'int32'), 3), 30).reshape([2, 2, 2, 3])) as tf.Tensor4D;
    const labels = tf.tensor(truth, [2, 2, 2], 'float32');
    const loss = diceCrossEntropy(logits, labels, 3);
    expect(loss.dataSync()[0]).toBeLessThan(1e-6);
    const wrong = tf.tidy(() => tf.mul(tf.oneHot(tf.tensor1d(truth.map((t) => (t + 1) % 3), 'int32'), 3), 30).reshape([2, 2, 2, 3])) as tf.Tensor4D;
    const bad = diceCrossEntropy(wrong, labels, 3);
    expect(bad.dataSync()[0]).toBeGreaterThan(30);
    tf.dispose([logits, labels, loss, wrong, bad]);
  });

  it('rejects mismatched shapes naming them', () => {
    const logits = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
    const labels = tf.zeros([1, 4, 3], 'int32');
    expect(() => diceCrossEntropy(logits, labels, 2)).toThrow('diceCrossEntropy: labels must have shape [1,4,4], got [1,4,3]');
    expect(() => diceCrossEntropy(logits, labels, 3)).toThrow('diceCrossEntropy: logits must have 3 channels, got shape [1,4,4,2]');
    tf.dispose([logits, labels]);
  });
});
