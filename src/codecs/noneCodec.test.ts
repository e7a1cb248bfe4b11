import { describe, expect, it } from 'vitest';
import { containerHeaderSize, writeContainer } from './container.js';
import { createCodec } from './registry.js';

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('none codec', () => {
  const codec = createCodec({ name: 'none' });

  it('is bit-exact, NaN payloads, infinities and -0 included', () => {
    const data = new Float32Array([1.5, -0, Infinity, -Infinity, 1e-45, 3.4e38, 0]);
    new Uint32Array(data.buffer)[6] = 0x7fa00001; // a signalling-NaN pattern
    const back = codec.decode(codec.encode({ data, shape: [7] }));
    expect(back.shape).toEqual([7]);
    expect(bitsOf(back.data)).toEqual(bitsOf(data));
  });

  it('costs exactly header + 4 bytes per value', () => {
    const data = new Float32Array(60).map((_, i) => i);
    const buf = codec.encode({ data, shape: [3, 4, 5] });
    expect(buf.length).toBe(containerHeaderSize('none', 3) + 240);
    expect(buf.length).toBe(15 + 4 + 12 + 240);
  });

  it('handles empty and scalar tensors', () => {
    const empty = codec.decode(codec.encode({ data: new Float32Array(0), shape: [0, 5] }));
    expect(empty).toEqual({ data: new Float32Array(0), shape: [0, 5] });
    const scalar = codec.decode(codec.encode({ data: new Float32Array([7]), shape: [] }));
    expect(scalar).toEqual({ data: new Float32Array([7]), shape: [] });
  });

  it('rejects a payload whose size does not match the shape', () => {
    const buf = writeContainer({ codec: 'none', shape: [3], payload: new Uint8Array(8) });
    expect(() => codec.decode(buf)).toThrow('none: corrupt payload (8 bytes, expected 12 for 3 values)');
  });

  it('rejects a tensor whose data does not match its shape', () => {
    expect(() => codec.encode({ data: new Float32Array(5), shape: [2, 3] })).toThrow(
      'none.encode.data.length: must be 6 (the product of shape [2, 3]), got 5',
    );
  });
});
