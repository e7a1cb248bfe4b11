import { describe, expect, it } from 'vitest';
import { buildSplitUNet } from '../model/index.js';
import { validateScenario } from '../scenario/load.js';
import { codecPlan } from './codecPlan.js';
import { codecSettings } from './summary.js';

function settings(codec: Record<string, unknown>): ReturnType<typeof codecSettings> {
  const s = validateScenario({ data: { kind: 'lesion', size: 64 }, model: { baseChannels: 8, depth: 3 }, codec });
  const model = buildSplitUNet({ baseChannels: 8, depth: 3, inChannels: 3, classes: 2, size: 64 }, 'u-shaped');
  return codecSettings(s, codecPlan(s, model));
}

describe('codecSettings (summary.json codec)', () => {
  it('gives a learned codec its resolved operating point', () => {
    expect(settings({ name: 'hyperprior' })).toEqual({
      name: 'hyperprior',
      scheme: 'both',
      latent: 8,
      stages: 2, // 32-px split tensors
      lambda: 0.5,
      lambdaG: 2,
      distortion: 5,
      lr: 0.001,
      gradientLr: 0.001,
      entropyLr: 0.003,
      warmupRounds: 0,
      syncEvery: 1, // codec weights averaged and sent every round
      updateBits: 32, // in full fp32
    });
    expect(settings({ name: 'cheng2020-attn', latent: 4, stages: 1, freezeAfterRounds: 3 })).toMatchObject({ latent: 4, stages: 1, freezeAfterRounds: 3, context: 'checkerboard' });
  });

  it('gives classic codecs and baselines only the settings that apply to them', () => {
    expect(settings({ name: 'none' })).toEqual({ name: 'none', scheme: 'both' });
    expect(settings({ name: 'quant', bits: 4 })).toEqual({ name: 'quant', scheme: 'both', bits: 4 });
    expect(settings({ name: 'topk', fraction: 0.05 })).toEqual({ name: 'topk', scheme: 'both', fraction: 0.05, errorFeedback: true });
    expect(settings({ name: 'ayad' })).toMatchObject({ name: 'ayad', freezeAfterRounds: 1, lossThreshold: 0.1, latent: 8 });
  });
});
