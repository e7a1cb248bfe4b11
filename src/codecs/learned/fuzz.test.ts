import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fuzzLearnedDecoders } from './fuzz.js';

describe('learned decoders under hostile input', () => {
  it('reject truncated, flipped and random streams (also behind a valid CRC) with CodecError only', async () => {
    await tf.setBackend('cpu');
    const r = fuzzLearnedDecoders(fc, 300, 7);
    expect(r.decoded + r.rejected).toBe(300);
    // Most mutations must be caught; a few payload flips may still decode to valid symbols.
    expect(r.rejected).toBeGreaterThan(200);
  }, 120_000);
});
