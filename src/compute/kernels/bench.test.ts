import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { benchConvGradKernels } from './bench.js';

describe('benchConvGradKernels', () => {
  it('times every layer and baseline, restores the backend and kernels, and leaks nothing', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const ms = await benchConvGradKernels({ runs: 1, warmup: 0, cpu: false });
    const keys = ['conv2d.%', 'filterGrad.%.ours', 'filterGrad.%.im2col', 'filterGrad.%.naive', 'inputGrad.%.ours'];
    for (const layer of ['unet16', 'unet32', 'codec5x5s2']) {
      for (const key of [...keys, 'inputGrad.%.builtin']) {
        const name = key.replace('%', layer);
        expect(ms[name], name).toBeGreaterThan(0);
        expect(ms[`${name}.cpuTime`], `${name}.cpuTime`).toBeGreaterThanOrEqual(0);
      }
    }
    expect(ms['trainStep.wasm.ours']).toBeGreaterThan(0);
    expect(ms['trainStep.wasm.baseline']).toBeGreaterThan(0);
    expect(ms['trainStep.cpu']).toBeUndefined();
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
    // The baselines were swapped out again: wasm trains with this folder's kernels.
    const { conv2dBackpropFilterConfig } = await import('./conv2dBackpropFilter.js');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(conv2dBackpropFilterConfig);
  }, 60_000);
});
