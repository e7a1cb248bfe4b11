/** Codec layer facade: tensor codecs, the SWZ1 container, and the entropy coder. */
export type { Codec, CodecName, CodecOptions, TensorData } from './types.js';
export { CodecError } from './errors.js';
export {
  CONTAINER_VERSION,
  containerHeaderSize,
  readContainer,
  SKIPPED_CODEC,
  skippedContainer,
  writeContainer,
  type Container,
} from './container.js';
export { crc32 } from './crc32.js';
export { CLASSIC_CODECS, CLASSIC_OPTIONS, classicCodec, CODEC_DEFAULTS, CODEC_NAMES, createCodec, decodeAny } from './registry.js';
export type { ClassicCodecDescriptor, CodecOptionDescriptor, SlotPlan } from './descriptor.js';
export {
  AYAD_FREEZE_AFTER_ROUNDS,
  codecProblems,
  LEARNED_CODEC_DEFAULTS,
  SENDER,
  SPLIT_CODEC_INIT_SCALE,
  SPLIT_CODEC_NAMES,
  SPLIT_CODECS,
  splitCodec,
  type CodecBlock,
  type CodecSettings,
  type SplitCodecDescriptor,
  type SplitGeometry,
} from './splitCodecs.js';
export { codecBytesPerElement, codecFlops, codecLabel, codecPlan, codecSettings, codecTrains } from './codecPlan.js';
export { ErrorFeedback, type ErrorFeedbackOptions } from './errorFeedback.js';
export { floatToHalf, halfToFloat } from './half.js';
export { topkCount } from './topkCodec.js';
// From the modules, not entropy/index.ts, so importing codecs does not load the bench (zlib, clock).
export { buildCdf, PRECISION, TOTAL, type CdfTable } from './entropy/cdf.js';
export { ransDecode, ransEncode, ransIdealBits } from './entropy/rans.js';
// Learned codecs (issue 3): transforms in tfjs, so these entries load tfjs; the ones above do not.
export {
  createLearnedCodec,
  defaultStages,
  LEARNED_CODEC_NAMES,
  LEARNED_DEFAULTS,
  resolveLearnedSpec,
} from './learned/createLearnedCodec.js';
export { learnedLossAndGrads, type LearnedStepOptions, type LearnedStepResult } from './learned/train.js';
export { rateAccount, type RateAccount } from './learned/rateAccount.js';
export type {
  ContextKind,
  EstimateResult,
  ForwardResult,
  LearnedCodec,
  LearnedCodecName,
  LearnedCodecSpec,
  LearnedParamSpec,
  QuantMode,
  ResolvedLearnedSpec,
} from './learned/types.js';
