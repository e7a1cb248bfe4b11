/**
 * Codec registry: scenario files and pool tasks name codecs as strings; this maps a name and
 * its options to a factory. Options are validated here, at the boundary, with messages of the
 * form `codec.field: must be …, got …`.
 */
import { readContainer, SKIPPED_CODEC } from './container.js';
import { CodecError, Errors } from './errors.js';
import { fp16PayloadCodec } from './fp16Codec.js';
import { nonePayloadCodec } from './noneCodec.js';
import { decodeContainer, wrapPayloadCodec } from './payloadCodec.js';
import { quantPayloadCodec } from './quantCodec.js';
import { topkPayloadCodec } from './topkCodec.js';
import type { Codec, CodecName, CodecOptions, PayloadCodec, TensorData } from './types.js';

/** Defaults of the optional `CodecOptions` fields. */
export const CODEC_DEFAULTS = { bits: 8, fraction: 0.01 } as const;

type Resolved = { bits: number; fraction: number };

/** Factories by name; each declares which options it accepts. */
const FACTORIES: Record<CodecName, { options: Array<'bits' | 'fraction'>; make: (o: Resolved) => PayloadCodec }> = {
  none: { options: [], make: () => nonePayloadCodec() },
  fp16: { options: [], make: () => fp16PayloadCodec() },
  quant: { options: ['bits'], make: (o) => quantPayloadCodec(o.bits) },
  topk: { options: ['fraction'], make: (o) => topkPayloadCodec(o.fraction) },
};

/** Codec names `createCodec` accepts. */
export const CODEC_NAMES: readonly CodecName[] = Object.keys(FACTORIES) as CodecName[];

function resolve(opts: CodecOptions): { name: CodecName; resolved: Resolved } {
  const name = opts?.name;
  if (typeof name !== 'string' || !Object.hasOwn(FACTORIES, name)) {
    throw Errors.invalidField('codec.name', `one of ${CODEC_NAMES.map((n) => `'${n}'`).join(', ')}`, name);
  }
  const accepted = FACTORIES[name].options;
  for (const field of ['bits', 'fraction'] as const) {
    if (opts[field] !== undefined && !accepted.includes(field)) {
      throw Errors.invalidField(`codec.${field}`, `unset for codec '${name}'`, opts[field]);
    }
  }
  const bits = opts.bits ?? CODEC_DEFAULTS.bits;
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
    throw Errors.invalidField('codec.bits', 'an integer in 1..16', bits);
  }
  const fraction = opts.fraction ?? CODEC_DEFAULTS.fraction;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) {
    throw Errors.invalidField('codec.fraction', 'a number in (0, 1]', fraction);
  }
  return { name, resolved: { bits, fraction } };
}

/**
 * A codec by name, options validated.
 * @example const c = createCodec({ name: 'quant', bits: 4 }); c.decode(c.encode(t));
 */
export function createCodec(opts: CodecOptions): Codec {
  const { name, resolved } = resolve(opts);
  return wrapPayloadCodec(FACTORIES[name].make(resolved));
}

/**
 * Decodes any built-in codec's container by the codec id it carries (every built-in payload
 * is self-describing, so the receiver needs no options).
 */
export function decodeAny(buf: Uint8Array): TensorData {
  const c = readContainer(buf);
  if (c.codec === SKIPPED_CODEC) {
    // Decoding it as zeros would let an optimiser step on a gradient nobody sent.
    throw new CodecError(`${SKIPPED_CODEC}: the sender sent no tensor of shape [${c.shape.join(', ')}]; a skipped message has nothing to decode`);
  }
  if (!Object.hasOwn(FACTORIES, c.codec)) {
    throw Errors.invalidField('container.codec', `one of ${CODEC_NAMES.map((n) => `'${n}'`).join(', ')}`, c.codec);
  }
  const pc = FACTORIES[c.codec as CodecName].make({ bits: CODEC_DEFAULTS.bits, fraction: CODEC_DEFAULTS.fraction });
  return decodeContainer(pc, c);
}
