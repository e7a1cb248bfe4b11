/**
 * Property run for the learned codecs' decoders (issue 3): truncated, bit-flipped or random
 * input to `decompress` raises CodecError, never another exception, a hang or a crash. Besides
 * raw mutations (which the container's CRC mostly catches) it re-wraps mutated payloads in a
 * container with a valid CRC, so the payload parser and the rANS decoder see hostile bytes too.
 * fast-check (a dev dependency) is passed in, so the built code never imports it.
 */
import type FastCheck from 'fast-check';
import { readContainer, writeContainer } from '../container.js';
import { CodecError } from '../errors.js';
import { Rng } from '../../sim/rng.js';
import { createLearnedCodec } from './createLearnedCodec.js';
import type { LearnedCodecSpec } from './types.js';

/** Small specs of each learned codec (coding time, not size, is what the run stresses). */
export const FUZZ_SPECS: LearnedCodecSpec[] = [
  { name: 'factorized', channels: 4, latent: 4, inputSize: 16, stages: 2 },
  { name: 'hyperprior', channels: 4, latent: 4, inputSize: 16, stages: 2 },
  { name: 'cheng2020-attn', channels: 4, latent: 4, inputSize: 16, stages: 2, context: 'serial' },
  { name: 'cheng2020-attn', channels: 4, latent: 4, inputSize: 16, stages: 2, context: 'checkerboard' },
];

export interface FuzzResult {
  cases: number;
  /** Cases whose mutated stream still decoded (to a tensor of the right shape). */
  decoded: number;
  rejected: number;
  seed: number;
}

/** Runs `numRuns` mutations spread over FUZZ_SPECS; throws (with fast-check's replay seed) on any non-CodecError. */
export function fuzzLearnedDecoders(fc: typeof FastCheck, numRuns: number, seed = 42): FuzzResult {
  const rng = new Rng(seed, 'fuzz');
  const subjects = FUZZ_SPECS.map((spec) => {
    const codec = createLearnedCodec(spec);
    const params = codec.init(rng.child(`${spec.name}/${spec.context ?? ""}`));
    const n = 2 * 16 * 16 * 4;
    const data = Float32Array.from({ length: n }, () => rng.normal());
    const bytes = codec.compress(params, { data, shape: [2, 16, 16, 4] });
    return { codec, params, bytes, payload: readContainer(bytes).payload };
  });
  let decoded = 0;
  let rejected = 0;
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 512 }) }),
    fc.record({ kind: fc.constant('payloadFlip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('payloadTruncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('payloadRandom' as const), bytes: fc.uint8Array({ maxLength: 512 }) }),
  );
  fc.assert(
    fc.property(fc.nat({ max: subjects.length - 1 }), mutation, (which, m) => {
      const s = subjects[which] as (typeof subjects)[number];
      const shape = [2, 16, 16, 4];
      let input: Uint8Array;
      const payload = s.payload.slice();
      switch (m.kind) {
        case 'truncate':
          input = s.bytes.subarray(0, m.at % s.bytes.length);
          break;
        case 'flip':
          input = s.bytes.slice();
          input[m.at % input.length] = (input[m.at % input.length] as number) ^ (1 << m.bit);
          break;
        case 'random':
          input = m.bytes;
          break;
        case 'payloadFlip':
          payload[m.at % payload.length] = (payload[m.at % payload.length] as number) ^ (1 << m.bit);
          input = writeContainer({ codec: s.codec.name, shape, payload });
          break;
        case 'payloadTruncate':
          input = writeContainer({ codec: s.codec.name, shape, payload: payload.subarray(0, m.at % payload.length) });
          break;
        case 'payloadRandom':
          input = writeContainer({ codec: s.codec.name, shape, payload: m.bytes });
          break;
      }
      try {
        const out = s.codec.decompress(s.params, input);
        if (out.shape.join(',') !== shape.join(',')) throw new Error(`decoded shape [${out.shape.join(',')}]`);
        decoded++;
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        rejected++;
      }
    }),
    { seed, numRuns },
  );
  return { cases: numRuns, decoded, rejected, seed };
}
