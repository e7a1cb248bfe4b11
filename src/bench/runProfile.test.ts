import { describe, expect, it } from 'vitest';
import type { LearnedRef, PoolRequest } from '../compute/types.js';
import { taskKind } from './runProfile.js';

const model = { config: { inChannels: 3, classes: 2, baseChannels: 2, depth: 3, size: 16 }, topology: 'u-shaped' as const };
const tensor = { data: new Float32Array(1), shape: [1] };
const learned = { spec: { name: 'factorized', channels: 4, latent: 4 }, params: new Float32Array(1), normalize: true } as LearnedRef;
const state = { params: new Float32Array(1), m: new Float32Array(1), v: new Float32Array(1), t: new Float64Array(1) };
const train = { state, adam: { groups: [] }, lambda: 1 };

describe('taskKind', () => {
  it('separates learned-codec work from the rest', () => {
    const kinds = ([
      { task: 'encode', codec: { name: 'quant', bits: 8 }, tensor },
      { task: 'encode', codec: { name: 'none' }, tensor, learned },
      { task: 'encode', codec: { name: 'none' }, tensor, learned: { ...learned, train } },
      { task: 'decode', bytes: new Uint8Array(1) },
      { task: 'decode', bytes: new Uint8Array(1), learned },
      { task: 'part.forward', model, part: 'FE', params: new Float32Array(1), inputs: [] },
      { task: 'part.backward', model, part: 'M', state, adam: {}, inputs: [], dOutputs: [], inputGrads: true },
      { task: 'part.backward', model, part: 'FE', state, adam: {}, inputs: [], dOutputs: [], inputGrads: false, outputCodec: { ...learned, train } },
      { task: 'ping' },
    ] as PoolRequest[]).map(taskKind);
    expect(kinds).toEqual([
      'encode',
      'encode.learned',
      'encode.learned+train',
      'decode',
      'decode.learned',
      'part.forward FE',
      'part.backward M',
      'part.backward FE through codec+train',
      'ping',
    ]);
  });
});
