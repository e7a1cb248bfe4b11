/**
 * Shapes of the learned codecs (issue 3): a codec is an analysis/synthesis transform pair, an
 * entropy model and the rANS coder, with every parameter in one flat Float32Array (what crosses
 * threads and what FedAvg averages), as the task model in src/model does.
 *
 * Tensors are NHWC: a split tensor [B, H, W, C] goes in, latents y [B, H/2^s, W/2^s, N] and
 * (hyperprior, cheng2020-attn) z [B, H/2^(s+2), W/2^(s+2), N] come out of the analysis.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.js';
import type { CdfTable } from '../entropy/cdf.js';
import type { Codec, TensorData } from '../types.js';

/** Names `createLearnedCodec` accepts; each is also the container's codec id. */
export type LearnedCodecName = 'factorized' | 'hyperprior' | 'cheng2020-attn';

/** Context model of cheng2020-attn: raster-scan masked 5×5 conv, or two-pass checkerboard (He et al. 2021). */
export type ContextKind = 'serial' | 'checkerboard';

/**
 * How latents are quantised in `forward`:
 * - `noise`: additive U(−½, ½) noise (Ballé et al. 2017), the default for training;
 * - `ste`: rounding with a straight-through gradient;
 * - `round`: the inference quantisation, no useful gradient (evaluation). Exact for factorized,
 *   hyperprior and the checkerboard context; for the serial context the context sees round(y)
 *   instead of the raster-scan reconstruction (as CompressAI's eval forward); `estimate` is exact.
 */
export type QuantMode = 'noise' | 'ste' | 'round';

/** What a caller asks for; defaults in `LEARNED_DEFAULTS` (createLearnedCodec.ts). */
export interface LearnedCodecSpec {
  name: LearnedCodecName;
  /** Channels C of the tensors coded (the split tensor's last dim). */
  channels: number;
  /** Latent channels N (y, and z where there is one). cheng2020-attn needs it even. */
  latent: number;
  /**
   * Stride-2 stages of the main analysis (y is H/2^stages × W/2^stages). Default: 2 when
   * `inputSize` ≤ 32, else 3 (SplitFedZip's AE uses 3).
   */
  stages?: number;
  /** Height (= width) of the tensors the codec will see; only picks the default `stages`. */
  inputSize?: number;
  /** cheng2020-attn only; default 'checkerboard' (the fast one). */
  context?: ContextKind;
  /**
   * Initial quantiles ±initScale of the entropy bottleneck (CompressAI's `init_scale`); default
   * 10. A smaller value starts the rate lower, which matters when training is short.
   */
  initScale?: number;
}

/** A spec with every default filled in. */
export interface ResolvedLearnedSpec {
  name: LearnedCodecName;
  channels: number;
  latent: number;
  stages: number;
  /** Stride-2 stages of the hyper analysis (0 for factorized, 2 otherwise). */
  hyperStages: number;
  /** null except for cheng2020-attn. */
  context: ContextKind | null;
  initScale: number;
}

/** How a parameter tensor is initialised (see params.ts). */
export type ParamInit =
  | { kind: 'uniform'; bound: number }
  | { kind: 'const'; value: number }
  | { kind: 'values'; values: readonly number[] };

/** One parameter tensor of a learned codec, in flat order. */
export interface LearnedParamSpec {
  /** Unique within the codec, e.g. `g_a.0.w`, `eb_y.matrix1`. */
  name: string;
  shape: number[];
  init: ParamInit;
}

/** What the differentiable path returns; the caller owns (and disposes) every tensor. */
export interface ForwardResult {
  /** Reconstruction, same shape as the input. */
  xhat: tf.Tensor4D;
  /** Likelihoods of the quantised latents: [y] or [y, z], each NHWC. */
  likelihoods: tf.Tensor[];
  /** −Σ log2 p over all likelihoods (bits for the whole batch). */
  bits: tf.Scalar;
}

/** The model's own account of one inference pass (no entropy coder involved). */
export interface EstimateResult {
  /** The reconstruction the decoder will produce. */
  xhat: TensorData;
  /** −Σ log2 p of the quantised latents under the model's continuous distributions. */
  bits: number;
  /** The same, per latent (y, then z if any). */
  parts: { name: 'y' | 'z'; bits: number; symbols: number }[];
}

/** What one rANS stream of a payload codes: `ransEncode(symbols, index, tables)` is the stream. */
export interface CodedSymbols {
  /** Integer symbols in coding order. */
  symbols: Int32Array;
  /** Table of each symbol (null: all use `tables[0]`). */
  index: Int32Array | null;
  tables: CdfTable[];
}

/** A learned tensor codec; all methods are pure functions of (flat params, input). */
export interface LearnedCodec {
  readonly spec: ResolvedLearnedSpec;
  /** Container codec id (= spec.name). */
  readonly name: LearnedCodecName;
  readonly params: readonly LearnedParamSpec[];
  readonly paramCount: number;
  /** Fresh parameters drawn from `rng` in parameter order. */
  init(rng: Rng): Float32Array;
  /** The parameter tensors of `flat`, in order (copies; the caller disposes them). */
  toTensors(flat: Float32Array): tf.Tensor[];
  /**
   * Training path (differentiable). `rng` is required in `noise` mode (seeded noise). Add
   * `auxLoss` to the loss: it trains only the entropy bottleneck's quantiles, and the main
   * loss never reaches them (both stop gradients as CompressAI does).
   */
  forward(params: tf.Tensor[], x: tf.Tensor4D, mode: QuantMode, rng?: Rng): ForwardResult;
  /** Σ |logits(quantiles) − target| of the entropy bottleneck(s) (CompressAI `aux_loss`). */
  auxLoss(params: tf.Tensor[]): tf.Scalar;
  /** Real coding: SWZ1 container with this codec's id and the input's shape. */
  compress(params: Float32Array, x: TensorData): Uint8Array;
  /** Inverse of `compress`; throws CodecError on a corrupt, truncated or foreign stream. */
  decompress(params: Float32Array, bytes: Uint8Array): TensorData;
  /**
   * The symbols and tables `compress` codes, stream by stream in payload order (z first where
   * there is one): for inspection and benchmarks of the entropy model apart from the coder.
   */
  codedSymbols(params: Float32Array, x: TensorData): CodedSymbols[];
  /** The inference pass `compress` runs, with −Σlog2 p instead of coding. */
  estimate(params: Float32Array, x: TensorData): EstimateResult;
  /** A plain `Codec` (encode/decode) over these params; reads `params` live at each call. */
  bind(params: Float32Array): Codec;
}
