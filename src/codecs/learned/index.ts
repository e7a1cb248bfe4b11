/** Learned codecs (issue 3): factorized, scale hyperprior and cheng2020-attn, on flat parameters. */
export type {
  CodedSymbols,
  ContextKind,
  EstimateResult,
  ForwardResult,
  LearnedCodec,
  LearnedCodecName,
  LearnedCodecSpec,
  LearnedParamSpec,
  ParamInit,
  QuantMode,
  ResolvedLearnedSpec,
} from './types.js';
export { createLearnedCodec, defaultStages, LEARNED_CODEC_NAMES, LEARNED_DEFAULTS, resolveLearnedSpec } from './createLearnedCodec.js';
export { learnedLossAndGrads, type LearnedStepOptions, type LearnedStepResult } from './train.js';
export { scaleTables, SCALES_LEVELS, SCALES_MAX, SCALES_MIN } from './gaussianConditional.js';
export { RansReader } from './ransReader.js';
export { rateAccount, type RateAccount } from './rateAccount.js';
export { smoothFields } from './fixtures.js';
export {
  benchCoding,
  benchContexts,
  trainCodec,
  TRAIN_DEFAULTS,
  type CodingBenchRow,
  type ContextBenchRow,
  type TrainOptions,
} from './bench.js';
export { entropyParamRanges } from './paramGroups.js';
export {
  benchLearnedVsBrotli,
  BROTLI_BENCH_DEFAULTS,
  BROTLI_BENCH_QUICK,
  compareWithBrotli,
  type BrotliBenchCodec,
  type BrotliBenchOptions,
  type BrotliBenchResult,
  type BrotliComparison,
} from './brotliBench.js';
