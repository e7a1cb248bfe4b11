/**
 * The internal contract between a learned codec's architecture (factorized.ts, hyperprior.ts,
 * cheng2020.ts) and the public wrapper (createLearnedCodec.ts), which adds validation, tensor
 * ownership, payload framing and the container.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.js';
import type { CodedSymbols, ForwardResult, LearnedParamSpec, QuantMode, ResolvedLearnedSpec } from './types.js';

/** −Σ log2 of the values of the likelihood tensors. */
export function bitsOf(likelihoods: tf.Tensor[]): tf.Scalar {
  const terms = likelihoods.map((l) => tf.sum(tf.log(l)));
  return tf.div(tf.neg(tf.addN(terms)), Math.LN2) as tf.Scalar;
}

/** −Σ log2 of one likelihood tensor, read back. */
export function bitsNumber(likelihood: tf.Tensor): number {
  return tf.tidy(() => -(tf.sum(tf.log(likelihood)).dataSync()[0] as number) / Math.LN2);
}

/** An NHWC shape. */
export type Shape4 = [number, number, number, number];

/** The latent part of an inference pass. */
export interface LatentPart {
  name: 'y' | 'z';
  /** −Σ log2 p under the model (NaN when not asked for). */
  bits: number;
  symbols: number;
}

/** What the encoder side of an inference pass produces. */
export interface Analysis {
  /** What each rANS stream codes, in payload order (empty when coding was not asked for); the wrapper runs the coder. */
  coded: CodedSymbols[];
  /** ŷ the decoder will reconstruct (owned by the enclosing tidy). */
  yhat: tf.Tensor4D;
  parts: LatentPart[];
}

/** A codec architecture. Every method runs inside the wrapper's tf.tidy. */
export interface CodecCore {
  readonly spec: ResolvedLearnedSpec;
  readonly params: LearnedParamSpec[];
  /** Number of rANS streams in a payload. */
  readonly streamCount: number;
  forward(p: tf.Tensor[], x: tf.Tensor4D, mode: QuantMode, rng?: Rng): ForwardResult;
  auxLoss(p: tf.Tensor[]): tf.Scalar;
  /** Inference quantisation; lists the symbols to code if `code`, estimates bits if `estimate`. */
  analyse(p: tf.Tensor[], flat: Float32Array, x: tf.Tensor4D, opts: { code: boolean; estimate: boolean }): Analysis;
  /** ŷ from the payload's streams; `latentShape` is [B, h, w, N] of y. */
  reconstruct(p: tf.Tensor[], flat: Float32Array, streams: Uint8Array[], latentShape: Shape4): tf.Tensor4D;
  /** Synthesis transform g_s(ŷ). */
  synthesize(p: tf.Tensor[], yhat: tf.Tensor4D): tf.Tensor4D;
}

/** The NHWC shape of a latent `down` stride-2 stages below `shape`, with `c` channels. */
export function latentShape(shape: readonly number[], down: number, c: number): Shape4 {
  const f = 2 ** down;
  return [shape[0] as number, (shape[1] as number) / f, (shape[2] as number) / f, c];
}
