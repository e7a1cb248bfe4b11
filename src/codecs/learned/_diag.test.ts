import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from '../../compute/kernels/register.js';
import { it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { Adam } from '../../model/adam.js';
import { createLearnedCodec } from './createLearnedCodec.js';
import { smoothFields } from './fixtures.js';
import { rateAccount } from './rateAccount.js';
import { learnedLossAndGrads } from './train.js';
import { performance } from 'node:perf_hooks';
it('diag', async () => {
  registerWasmGradKernels();
  for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  for (const spec of [
    { name: 'hyperprior', channels: 4, latent: 8, stages: 2 },
    { name: 'cheng2020-attn', channels: 4, latent: 8, stages: 2, context: 'checkerboard' },
  ] as const) {
    const codec = createLearnedCodec(spec);
    const params = codec.init(new Rng(7, 'codec'));
    const test = smoothFields(2, 16, 4, new Rng(7, 'test'));
    const adam = new Adam(codec.paramCount, { lr: 1e-2 });
    const rng = new Rng(3, 'train');
    const t = performance.now();
    for (let step = 0; step < 30; step++) {
      const batch = smoothFields(2, 16, 4, rng.child(`b${step}`));
      const x = tf.tensor4d(batch.data, batch.shape as any);
      const r = learnedLossAndGrads(codec, params, x, { lambda: 0.02, rng: rng.child(`n${step}`) });
      x.dispose(); adam.step(params, r.grads);
      if (step % 10 === 9) console.log(backend, spec.name, step, r.bitsPerElement.toFixed(3), r.mse.toFixed(3), JSON.stringify(rateAccount(codec, params, test, codec.compress(params, test))));
    }
    console.log(backend, spec.name, 'ms/step', ((performance.now() - t) / 30).toFixed(0));
  }
  }
});
