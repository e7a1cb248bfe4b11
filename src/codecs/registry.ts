/**
 * Codec registry: scenario files and pool tasks name codecs as strings; this maps a name and
 * its options to a factory. Options are validated here, at the boundary, with messages of the
 * form `codec.field: must be …, got …`.
 *
 * The codecs themselves are listed in classicCodecs.ts.
 */
import { readContainer, SKIPPED_CODEC } from './container.js';
import type { ClassicCodecDescriptor, CodecOptionDescriptor, CodecOptionValues } from './descriptor.js';
import { CodecError, Errors } from './errors.js';
import { CLASSIC_CODECS } from './classicCodecs.js';
import { decodeContainer, wrapPayloadCodec } from './payloadCodec.js';
import type { Codec, CodecName, CodecOptions, TensorData } from './types.js';

export { CLASSIC_CODECS };

const BY_NAME = new Map(CLASSIC_CODECS.map((d) => [d.name, d]));

/** Codec names `createCodec` accepts. */
export const CODEC_NAMES: readonly CodecName[] = CLASSIC_CODECS.map((d) => d.name);

/** Every classic codec option by scenario field name (the first codec to declare a field owns it). */
export const CLASSIC_OPTIONS: Readonly<Record<string, CodecOptionDescriptor>> = Object.fromEntries(
  CLASSIC_CODECS.flatMap((d) => Object.entries(d.options)).filter(([field], i, all) => all.findIndex(([f]) => f === field) === i),
);

/** Defaults of the optional `CodecOptions` fields. */
export const CODEC_DEFAULTS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(CLASSIC_OPTIONS).map(([field, o]) => [field, o.schema.parse(undefined)]),
);

/** The descriptor of classic codec `name`, or undefined. */
export function classicCodec(name: string): ClassicCodecDescriptor | undefined {
  return BY_NAME.get(name);
}

function resolve(options: CodecOptions): { codec: ClassicCodecDescriptor; resolved: Record<string, number> } {
  const opts: CodecOptionValues = options;
  const name = opts?.['name'];
  const codec = typeof name === 'string' ? BY_NAME.get(name) : undefined;
  if (codec === undefined) {
    throw Errors.invalidField('codec.name', `one of ${CODEC_NAMES.map((n) => `'${n}'`).join(', ')}`, name);
  }
  for (const field of Object.keys(CLASSIC_OPTIONS)) {
    if (opts[field] !== undefined && !Object.hasOwn(codec.options, field)) {
      throw Errors.invalidField(`codec.${field}`, `unset for codec '${codec.name}'`, opts[field]);
    }
  }
  const resolved: Record<string, number> = {};
  for (const [field, o] of Object.entries(codec.options)) {
    const r = o.schema.safeParse(opts[field]);
    if (!r.success) throw Errors.invalidField(`codec.${field}`, o.must, opts[field]);
    resolved[field] = r.data;
  }
  return { codec, resolved };
}

/**
 * A codec by name, options validated.
 * @example const c = createCodec({ name: 'quant', bits: 4 }); c.decode(c.encode(t));
 */
export function createCodec(opts: CodecOptions): Codec {
  const { codec, resolved } = resolve(opts);
  return wrapPayloadCodec(codec.payload(resolved));
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
  const codec = BY_NAME.get(c.codec);
  if (codec === undefined) {
    throw Errors.invalidField('container.codec', `one of ${CODEC_NAMES.map((n) => `'${n}'`).join(', ')}`, c.codec);
  }
  return decodeContainer(codec.payload(CODEC_DEFAULTS), c);
}
