/**
 * Glue between a payload codec and the container: one place that checks the codec id and
 * the element count before any payload decoder allocates memory.
 */
import { readContainer, writeContainer, type Container } from './container.js';
import { Errors } from './errors.js';
import { MAX_ELEMENTS, checkTensor, elementCount } from './tensor.js';
import type { Codec, PayloadCodec, TensorData } from './types.js';

/** Decodes an already-verified container with `pc`. */
export function decodeContainer(pc: PayloadCodec, c: Container): TensorData {
  if (c.codec !== pc.name) throw Errors.wrongCodec(pc.name, c.codec);
  const count = elementCount(c.shape);
  if (count > MAX_ELEMENTS) {
    throw Errors.badPayload(pc.name, `shape [${c.shape.join(', ')}] has ${count} elements, above the 2^28 limit`);
  }
  return { data: pc.decodePayload(c.payload, c.shape, count), shape: c.shape.slice() };
}

/** A full `Codec` (container bytes in and out) from a payload codec. */
export function wrapPayloadCodec(pc: PayloadCodec): Codec {
  return {
    name: pc.name,
    encode(t: TensorData): Uint8Array {
      checkTensor(pc.name, t);
      return writeContainer({ codec: pc.name, shape: t.shape.slice(), payload: pc.encodePayload(t) });
    },
    decode(buf: Uint8Array): TensorData {
      return decodeContainer(pc, readContainer(buf));
    },
  };
}
