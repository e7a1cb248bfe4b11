import * as tf from '@tensorflow/tfjs';
import { beforeAll, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { createLearnedCodec } from './createLearnedCodec.js';
import { smoothFields } from './fixtures.js';
import { learnedLossAndGrads } from './train.js';
import { performance } from 'node:perf_hooks';
beforeAll(async () => { await tf.setBackend('cpu'); });
it('diag', () => {
  const codec = createLearnedCodec({ name: 'factorized', channels: 8, latent: 16, stages: 2 });
  const params = codec.init(new Rng(7, 'codec/factorized'));
  const batch = smoothFields(2, 16, 8, new Rng(1));
  const x = tf.tensor4d(batch.data, batch.shape as any);
  const p = codec.toTensors(params);
  for (let k = 0; k < 3; k++) {
  let t = performance.now();
  tf.tidy(() => { const r = codec.forward(p, x, 'noise', new Rng(1)); r.bits.dataSync(); });
  console.log('forward', performance.now() - t); t = performance.now();
  tf.tidy(() => { codec.auxLoss(p).dataSync(); });
  console.log('aux', performance.now() - t); t = performance.now();
  learnedLossAndGrads(codec, params, x, { lambda: 0.02, rng: new Rng(2) });
  console.log('grads', performance.now() - t); t = performance.now();
  // grads only through convs
  tf.tidy(() => { const g = tf.grads((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 2, 'same')))([tf.randomNormal([5,5,8,16])]); g[0]!.dataSync(); });
  console.log('conv grad', performance.now() - t); t = performance.now();
  tf.tidy(() => { const y = tf.randomNormal([2,4,4,16]) as tf.Tensor4D; const g = tf.grads((w: tf.Tensor) => tf.sum(tf.conv2dTranspose(y, w as tf.Tensor4D, [2,8,8,16], 2, 'same')))([tf.randomNormal([5,5,16,16])]); g[0]!.dataSync(); });
  console.log('convT grad', performance.now() - t); t = performance.now();
  }
});
