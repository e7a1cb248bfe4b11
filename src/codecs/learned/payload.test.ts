/** Payload framing: configuration header and length-prefixed streams. */
import { describe, expect, it } from 'vitest';
import { CodecError } from '../errors.js';
import { readPayload, writePayload, PAYLOAD_HEADER_BYTES } from './payload.js';
import type { ResolvedLearnedSpec } from './types.js';

const spec: ResolvedLearnedSpec = { name: 'cheng2020-attn', channels: 16, latent: 300, stages: 3, hyperStages: 2, context: 'serial', initScale: 10 };

describe('learned payload', () => {
  it('round-trips any number of streams of any length (LEB128 lengths)', () => {
    for (const lengths of [[0], [5, 0], [127, 128, 3], [300, 70000, 1]]) {
      const streams = lengths.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + k) & 0xff));
      const bytes = writePayload(spec, streams);
      const varints = lengths.slice(0, -1).reduce((s, n) => s + Math.max(1, Math.ceil(Math.log2(n + 1) / 7)), 0);
      expect(bytes.length).toBe(PAYLOAD_HEADER_BYTES + varints + lengths.reduce((a, b) => a + b, 0));
      const back = readPayload(spec, bytes, streams.length);
      expect(back.map((s) => Array.from(s))).toEqual(streams.map((s) => Array.from(s)));
    }
  });

  it('names the first configuration field that differs from the decoder spec', () => {
    const bytes = writePayload(spec, [new Uint8Array(3), new Uint8Array(2)]);
    expect(() => readPayload({ ...spec, context: 'checkerboard' }, bytes, 2)).toThrow(
      'cheng2020-attn: corrupt payload (coded with context 1, this codec has 2)',
    );
    expect(() => readPayload({ ...spec, stages: 2 }, bytes, 2)).toThrow('coded with stages 3, this codec has 2');
    expect(() => readPayload({ ...spec, latent: 44 }, bytes, 2)).toThrow('coded with latent 300, this codec has 44');
  });

  it('rejects truncated headers and streams that overrun the payload', () => {
    const bytes = writePayload(spec, [new Uint8Array(200), new Uint8Array(2)]);
    expect(() => readPayload(spec, bytes.subarray(0, 3), 2)).toThrow(CodecError);
    expect(() => readPayload(spec, bytes.subarray(0, 5), 2)).toThrow('truncated stream length 0');
    expect(() => readPayload(spec, bytes.subarray(0, 100), 2)).toThrow('stream of 200 bytes runs past the payload');
    const wrongFormat = bytes.slice();
    wrongFormat[0] = (wrongFormat[0] as number) + 1;
    expect(() => readPayload(spec, wrongFormat, 2)).toThrow('format 2, expected 1');
  });
});
