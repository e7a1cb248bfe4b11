import { describe, expect, it } from 'vitest';
import { writeContainer } from './container.js';
import { CodecError } from './errors.js';
import { CODEC_DEFAULTS, CODEC_NAMES, createCodec, decodeAny } from './registry.js';
import type { CodecOptions } from './types.js';

describe('codec registry', () => {
  it('builds every named codec and decodeAny reads each by its id', () => {
    expect(CODEC_NAMES).toEqual(['none', 'fp16', 'quant', 'topk']);
    expect(CODEC_DEFAULTS).toEqual({ bits: 8, fraction: 0.01 });
    const t = { data: new Float32Array([0.5, -0.25, 1, 2]), shape: [2, 2] };
    for (const opts of [{ name: 'none' }, { name: 'fp16' }, { name: 'quant', bits: 16 }, { name: 'topk', fraction: 1 }] as CodecOptions[]) {
      const codec = createCodec(opts);
      expect(codec.name).toBe(opts.name);
      const back = decodeAny(codec.encode(t));
      expect(back.shape).toEqual([2, 2]);
      for (let i = 0; i < 4; i++) expect(back.data[i]).toBeCloseTo(t.data[i]!, 4);
    }
  });

  it('validates options with exact messages', () => {
    const bad: Array<[unknown, string]> = [
      [{ name: 'zip' }, "codec.name: must be one of 'none', 'fp16', 'quant', 'topk', got 'zip'"],
      [{}, "codec.name: must be one of 'none', 'fp16', 'quant', 'topk', got undefined"],
      [{ name: 'quant', bits: 0 }, 'codec.bits: must be an integer in 1..16, got 0'],
      [{ name: 'quant', bits: 17 }, 'codec.bits: must be an integer in 1..16, got 17'],
      [{ name: 'quant', bits: 2.5 }, 'codec.bits: must be an integer in 1..16, got 2.5'],
      [{ name: 'topk', fraction: 0 }, 'codec.fraction: must be a number in (0, 1], got 0'],
      [{ name: 'topk', fraction: 1.5 }, 'codec.fraction: must be a number in (0, 1], got 1.5'],
      [{ name: 'topk', fraction: NaN }, 'codec.fraction: must be a number in (0, 1], got NaN'],
      [{ name: 'fp16', bits: 8 }, "codec.bits: must be unset for codec 'fp16', got 8"],
      [{ name: 'quant', fraction: 0.1 }, "codec.fraction: must be unset for codec 'quant', got 0.1"],
    ];
    for (const [opts, message] of bad) expect(() => createCodec(opts as CodecOptions)).toThrow(message);
  });

  it('refuses a container of another codec, an unknown codec, or an oversized shape', () => {
    const quant = createCodec({ name: 'quant' }).encode({ data: new Float32Array(2), shape: [2] });
    expect(() => createCodec({ name: 'fp16' }).decode(quant)).toThrow("fp16: container holds codec 'quant'");
    const alien = writeContainer({ codec: 'hyperprior', shape: [1], payload: new Uint8Array(1) });
    expect(() => decodeAny(alien)).toThrow("container.codec: must be one of 'none', 'fp16', 'quant', 'topk', got 'hyperprior'");
    const huge = writeContainer({ codec: 'none', shape: [65536, 65536], payload: new Uint8Array(0) });
    expect(() => decodeAny(huge)).toThrow(
      'none: corrupt payload (shape [65536, 65536] has 4294967296 elements, above the 2^28 limit)',
    );
    expect(() => decodeAny(new Uint8Array(3))).toThrow(CodecError);
  });
});
