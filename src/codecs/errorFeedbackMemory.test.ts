/**
 * Error feedback with caller-owned residual memory (what pool workers use: the residual lives in
 * the simulation's shared memory per sender and slot), and the header-only `skipped` container.
 */
import { describe, expect, it } from 'vitest';
import { containerHeaderSize, readContainer, SKIPPED_CODEC, skippedContainer } from './container.js';
import { ErrorFeedback } from './errorFeedback.js';
import { createCodec, decodeAny } from './registry.js';

const topk = (): ReturnType<typeof createCodec> => createCodec({ name: 'topk', fraction: 0.25 });
const sentIndices = (buf: Uint8Array): number[] =>
  Array.from(decodeAny(buf).data)
    .map((v, i) => (v !== 0 ? i : -1))
    .filter((i) => i >= 0);

describe('ErrorFeedback with caller-owned memory', () => {
  it('carries the residual across instances through the memory: c_t = x_t + e_{t−1}', () => {
    const memory = new Float32Array(8);
    const x1 = { data: new Float32Array([8, 7, 6, 5, 4, 3, 2, 1]), shape: [8] };
    const x2 = { data: new Float32Array([1, 1, 1, 1, 1, 1, 1, 0.5]), shape: [8] };
    // Two short-lived instances, as two pool tasks on whichever workers would build them.
    expect(sentIndices(new ErrorFeedback(topk(), { memory }).encode(x1))).toEqual([0, 1]);
    expect(Array.from(memory)).toEqual([0, 0, 6, 5, 4, 3, 2, 1]);
    const second = new ErrorFeedback(topk(), { memory }).encode(x2);
    // x2 + e1 = [1, 1, 7, 6, 5, 4, 3, 1.5]: the carried entries win; without the residual it would send 0 and 1.
    expect(sentIndices(second)).toEqual([2, 3]);
    expect(Array.from(decodeAny(second).data)).toEqual([0, 0, 7, 6, 0, 0, 0, 0]);
    expect(Array.from(memory)).toEqual([1, 1, 0, 0, 5, 4, 3, 1.5]);
    expect(sentIndices(topk().encode(x2))).toEqual([0, 1]);
  });

  it('zero memory behaves as no residual; a tensor of another size is refused naming the sizes', () => {
    const t = { data: new Float32Array([3, -1, 0.5, 2]), shape: [2, 2] };
    expect(new ErrorFeedback(topk(), { memory: new Float32Array(4) }).encode(t)).toEqual(topk().encode(t));
    expect(() => new ErrorFeedback(topk(), { memory: new Float32Array(3) }).encode(t)).toThrow(
      'errorFeedback(topk).encode.shape: must be 3 elements as the residual memory holds, got [2, 2]',
    );
  });

  it('reset() zeroes the caller-owned memory in place', () => {
    const memory = new Float32Array([1, 2, 3, 4]);
    const ef = new ErrorFeedback(topk(), { memory });
    ef.reset();
    expect(Array.from(memory)).toEqual([0, 0, 0, 0]);
  });
});

describe('skipped container', () => {
  it('is header only, keeps the shape, and refuses to decode', () => {
    const buf = skippedContainer([4, 8, 8, 16]);
    expect(buf.length).toBe(containerHeaderSize(SKIPPED_CODEC, 4));
    expect(readContainer(buf)).toEqual({ codec: 'skipped', shape: [4, 8, 8, 16], payload: new Uint8Array(0) });
    expect(() => decodeAny(buf)).toThrow('skipped: the sender sent no tensor of shape [4, 8, 8, 16]; a skipped message has nothing to decode');
  });
});
