/**
 * Adding a classic codec takes its file and one line in classicCodecs.ts (issue 14). This test
 * does exactly that with a toy codec (`sign`: one byte per value, ±`scale`), adding it with the
 * one line (the mock below appends it to CLASSIC_CODECS), and checks that the scenario schema,
 * the slot plan, the label, the cost model's FLOPs, the capacity floor and the summary follow.
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { ClassicCodecDescriptor } from './descriptor.js';
import { Errors } from './errors.js';
import type { PayloadCodec, TensorData } from './types.js';

/** The toy's file: a payload codec and its descriptor. */
const SCALE = { schema: z.number().gt(0).default(1).describe('sign: magnitude every value decodes to'), must: 'a number > 0' };
function signPayloadCodec(scale: number): PayloadCodec {
  return {
    name: 'sign',
    encodePayload: (t: TensorData) => Uint8Array.from(t.data, (v) => (v < 0 ? 0 : 1)),
    decodePayload: (payload, _shape, count) => {
      if (payload.length !== count) throw Errors.badPayload('sign', `${payload.length} bytes for ${count} values`);
      return Float32Array.from(payload, (b) => (b === 1 ? scale : -scale));
    },
  };
}
const signCodec: ClassicCodecDescriptor = {
  name: 'sign',
  options: { scale: SCALE },
  flopsPerElement: 2,
  errorFeedback: false,
  bytesPerElement: () => 1,
  label: (o) => `sign${SCALE.schema.parse(o['scale'])}`,
  payload: (o) => signPayloadCodec(SCALE.schema.parse(o['scale'])),
};

// The one registry line.
vi.mock('./classicCodecs.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./classicCodecs.js')>();
  return { CLASSIC_CODECS: [...real.CLASSIC_CODECS, signCodec] };
});

const { codecBytesPerElement, codecFlops, codecLabel, codecPlan, codecSettings, createCodec, decodeAny } = await import('./index.js');
const { validateScenario } = await import('../scenario/load.js');
const { scenarioJsonSchema } = await import('../scenario/jsonSchema.js');

describe('a classic codec added with its file and one registry line', () => {
  it('is a scenario codec with its own option, default and exact message', () => {
    const s = validateScenario({ codec: { name: 'sign', scale: 0.5 } });
    const codec: Record<string, unknown> = s.codec;
    expect(codec['name']).toBe('sign');
    expect(codec['scale']).toBe(0.5);
    const byDefault: Record<string, unknown> = validateScenario({ codec: { name: 'sign' } }).codec;
    expect(byDefault['scale']).toBe(1);
    expect(() => validateScenario({ codec: { name: 'sign', scale: 0 } })).toThrow('codec.scale: must be > 0, got 0');
    const props = JSON.stringify(scenarioJsonSchema());
    expect(props).toContain('"sign"');
    expect(props).toContain('sign: magnitude every value decodes to');
  });

  it('plans, labels, costs and summarises from its descriptor', () => {
    const s = validateScenario({ codec: { name: 'sign', scale: 2, scheme: 'features' } });
    const plans = codecPlan(s.codec, { topology: 'u-shaped', channels: 8, size: 16 });
    expect(plans.map((p) => (p.kind === 'classic' ? p.options : p.kind))).toEqual([
      { name: 'sign', scale: 2 },
      { name: 'sign', scale: 2 },
      { name: 'none' },
      { name: 'none' },
    ]);
    const f1 = plans[0]!;
    expect(codecLabel(f1)).toBe('sign2');
    expect(codecFlops(f1, 1000, 8, 0)).toBe(2000);
    expect(codecBytesPerElement(f1)).toBe(1);
    expect(codecSettings(s.codec, plans)).toEqual({ name: 'sign', scheme: 'features', scale: 2 });
  });

  it('codes through the registry and decodes by the id its container carries', () => {
    const c = createCodec({ name: 'sign', scale: 3 } as Parameters<typeof createCodec>[0]);
    const t = { data: new Float32Array([0.2, -4, 0, -0.1]), shape: [2, 2] };
    expect(Array.from(c.decode(c.encode(t)).data)).toEqual([3, -3, 3, -3]);
    // decodeAny knows no options: the toy's payload carries no scale, so it decodes at the default.
    expect(Array.from(decodeAny(c.encode(t)).data)).toEqual([1, -1, 1, -1]);
    expect(() => createCodec({ name: 'sign', bits: 4 })).toThrow("codec.bits: must be unset for codec 'sign', got 4");
  });
});
