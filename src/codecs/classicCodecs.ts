/**
 * The classic codecs (no weights, no training), one line each; their order is the order of
 * names in the scenario schema. Adding one: its file (a payload codec and a
 * `ClassicCodecDescriptor`, see descriptor.ts) and one line here. The scenario schema (name and
 * options), the slot plan, the traffic-log label, the cost model's FLOPs, capacity warnings and
 * the run summary all follow from the descriptor (toyCodec.test.ts shows it).
 */
import type { ClassicCodecDescriptor } from './descriptor.js';
import { fp16Codec } from './fp16Codec.js';
import { noneCodec } from './noneCodec.js';
import { quantCodec } from './quantCodec.js';
import { topkCodec } from './topkCodec.js';

export const CLASSIC_CODECS: readonly ClassicCodecDescriptor[] = [
  noneCodec,
  fp16Codec,
  quantCodec,
  topkCodec,
];
