import { describe, expect, it } from 'vitest';
import { createLearnedCodec } from './createLearnedCodec.js';
import { entropyParamRanges } from './paramGroups.js';

describe('entropyParamRanges', () => {
  it.each(['factorized', 'hyperprior', 'cheng2020-attn'] as const)('%s: covers exactly the parameters that do not shape the decoded tensor', (name) => {
    const codec = createLearnedCodec({ name, channels: 8, latent: 4, inputSize: 16, stages: 2 });
    const inRange = new Uint8Array(codec.paramCount);
    for (const r of entropyParamRanges(codec)) inRange.fill(1, r.start, r.end);
    let offset = 0;
    for (const p of codec.params) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const want = ['g_a.', 'g_s.', 'context.', 'entropy_params.'].some((q) => p.name.startsWith(q)) ? 0 : 1;
      for (let i = offset; i < offset + size; i++) expect(inRange[i], p.name).toBe(want);
      offset += size;
    }
    expect(inRange.some((v) => v === 1)).toBe(true);
  });
});
