/**
 * What pool workers do with learned codecs (issue 3), on top of src/codecs/learned:
 * - split tensors (features and gradients) are normalised by their RMS before coding, and their
 *   per-channel means travel exactly (fp16) beside the learned code of the centred tensor (a
 *   `scaled` container: scale, means, inner stream). The normalisation lets one codec serve
 *   tensors whose magnitude drifts by orders of magnitude over training (gradients shrink,
 *   features grow); the exact means matter more for gradients: a learned decoder's small
 *   per-channel offset is a bias the receiving part's optimiser integrates step after step
 *   (measured: with the offset, compressing dL/dF2 alone made the loss diverge within 100
 *   steps; with exact means the run trained to within 0.02 IoU of none);
 * - a gradient codec takes one training step on `rate + λ_g·MSE` every time it encodes;
 * - a feature codec sits inside the task graph: the part's first output passes through the
 *   codec's differentiable forward (straight-through rounding), so the task gradient reaches
 *   the part through the codec, and the codec learns task + λ·rate + distortion·MSE.
 * Every codec on the wire is the round's global one (both ends hold the same copy); the
 * steps above update the sender's trainable copy, each taken at that copy, which the round's
 * FedAvg turns into the next round's global codec. Wire bytes therefore always decode exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { readContainer, writeContainer } from '../codecs/container.js';
import { CodecError } from '../codecs/errors.js';
import { createLearnedCodec, learnedLossAndGrads, type LearnedCodec, type LearnedCodecSpec } from '../codecs/learned/index.js';
import type { TensorData } from '../codecs/types.js';
import { createCodec, decodeAny } from '../codecs/registry.js';
import { floatToHalf, halfToFloat } from '../codecs/half.js';
import type { ModelPart } from '../model/types.js';
import { readThenFree, readThenFreeSync, vjpTerm } from '../model/grads.js';
import { flattenTensors, flattenTensorsAsync, toTensors } from '../model/params.js';
import { hasSyncReadback } from './backend.js';
import { registerWasmGradKernels } from './kernels/index.js';
import { adamStepShared } from './optimizer.js';
import type { LearnedRef, TensorMsg } from './types.js';

const codecs = new Map<string, LearnedCodec>();

/** The codec of a spec, built once per worker. */
export function learnedCodec(spec: LearnedCodecSpec): LearnedCodec {
  const key = JSON.stringify(spec);
  let c = codecs.get(key);
  if (c === undefined) {
    c = createLearnedCodec(spec);
    codecs.set(key, c);
  }
  return c;
}

function rms(data: Float32Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += (data[i] as number) * (data[i] as number);
  const r = Math.sqrt(s / Math.max(1, data.length));
  return r > 0 && Number.isFinite(r) ? r : 1;
}

/** Per-channel means of an NHWC tensor stored channel-last. */
function channelMeans(data: Float32Array, channels: number): Float64Array {
  const m = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) m[i % channels] = (m[i % channels] as number) + (data[i] as number);
  const n = data.length / channels;
  for (let c = 0; c < channels; c++) m[c] = (m[c] as number) / n;
  return m;
}

/** Adds `delta[c]` to every element of channel c, in place. */
function shiftChannels(data: Float32Array, delta: ArrayLike<number>, channels: number): void {
  for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) + (delta[i % channels] as number);
}

/** Bytes of a `scaled` payload before the inner stream: the RMS scale (f32) and C means (fp16). */
export function scaledHeaderBytes(channels: number): number {
  return 4 + 2 * channels;
}

/** x / RMS(x), centred per channel by its means as fp16 gives them: what a `scaled` container codes. */
function normalised(t: TensorMsg): { unit: Float32Array; scale: number; means: Float32Array; channels: number } {
  const channels = t.shape[t.shape.length - 1] as number;
  const scale = rms(t.data);
  const unit = new Float32Array(t.data.length);
  for (let i = 0; i < unit.length; i++) unit[i] = (t.data[i] as number) / scale;
  // The means go as fp16; the codec codes what is left after the means as the receiver will see them.
  const means = Float32Array.from(channelMeans(unit, channels), (m) => halfToFloat(floatToHalf(m)));
  shiftChannels(unit, means.map((m) => -m), channels);
  return { unit, scale, means, channels };
}

/** A gradient codec's step at its trainable copy on the centred tensor: rate + λ_g·MSE. */
function gradientCodecStep(codec: LearnedCodec, train: NonNullable<LearnedRef['train']>, unit: Float32Array, shape: number[]): void {
  const x = tf.tensor4d(unit, shape as [number, number, number, number]);
  // rate + λ_g·MSE, written as MSE + (1/λ_g)·rate so the codec's own step function applies.
  // At the trainable copy: each encode is one step from where the last one left it.
  const r = learnedLossAndGrads(codec, train.state.params, x, { lambda: 1 / train.lambda, mode: 'ste' });
  x.dispose();
  adamStepShared(train.state, r.grads, train.adam);
}

/**
 * Encodes with a learned codec; the tensor is normalised and centred first (see the header),
 * and a gradient codec's trainable copy takes one step on the centred tensor (the step only
 * writes the copy: the bytes come from the global parameters either way).
 */
export function learnedEncode(ref: LearnedRef, t: TensorMsg): Uint8Array {
  const codec = learnedCodec(ref.spec);
  if (!ref.normalize) return codec.compress(ref.params, t);
  const { unit, scale, means, channels } = normalised(t);
  if (ref.train) gradientCodecStep(codec, ref.train, unit, t.shape);
  if (ref.passthrough) return createCodec({ name: 'none' }).encode(t);
  const inner = codec.compress(ref.params, { data: unit, shape: t.shape });
  const head = scaledHeaderBytes(channels);
  const payload = new Uint8Array(head + inner.byteLength);
  const view = new DataView(payload.buffer);
  view.setFloat32(0, scale, true);
  means.forEach((m, c) => view.setUint16(4 + 2 * c, floatToHalf(m), true));
  payload.set(inner, head);
  return writeContainer({ codec: 'scaled', shape: t.shape, payload });
}

/**
 * The gradient codec's step of {@link learnedEncode} alone, as a `codec.train` task: the same
 * step on the same centred tensor, so encoding without `train` and then this give the bytes and
 * the trainable copy that one trained encode gives. An unnormalised ref does not train (nor
 * does learnedEncode with one).
 */
export function gradientCodecTrain(ref: LearnedRef, t: TensorMsg): void {
  if (ref.train === undefined) throw new Error('codec.train: the codec has no trainable copy');
  if (!ref.normalize) return;
  gradientCodecStep(learnedCodec(ref.spec), ref.train, normalised(t).unit, t.shape);
}

/** Decodes bytes produced by `learnedEncode` with the same global parameters. */
export function learnedDecode(ref: LearnedRef, bytes: Uint8Array): TensorData {
  const codec = learnedCodec(ref.spec);
  const c = readContainer(bytes);
  // A warm-up round's tensors travel uncompressed; the container says so.
  if (c.codec === 'none') return decodeAny(bytes);
  if (!ref.normalize) return codec.decompress(ref.params, bytes);
  if (c.codec !== 'scaled') throw new CodecError(`scaled: expected codec id 'scaled', got '${c.codec}'`);
  const channels = c.shape[c.shape.length - 1] ?? 0;
  const head = scaledHeaderBytes(channels);
  if (channels < 1 || c.payload.byteLength < head) throw new CodecError(`scaled: payload of ${c.payload.byteLength} bytes is too short for its scale and ${channels} means`);
  const view = new DataView(c.payload.buffer, c.payload.byteOffset, head);
  const scale = view.getFloat32(0, true);
  if (!Number.isFinite(scale)) throw new CodecError(`scaled: scale must be finite, got ${scale}`);
  const means = Array.from({ length: channels }, (_, k) => halfToFloat(view.getUint16(4 + 2 * k, true)));
  const inner = codec.decompress(ref.params, c.payload.subarray(head));
  if (inner.shape.length !== c.shape.length || inner.shape.some((d, k) => d !== c.shape[k])) {
    throw new CodecError(`scaled: inner shape [${inner.shape.join(',')}] differs from [${c.shape.join(',')}]`);
  }
  // The decoder's own per-channel offset is replaced by the exact means.
  const got = channelMeans(inner.data, channels);
  shiftChannels(inner.data, means.map((m, k) => m - (got[k] as number)), channels);
  for (let i = 0; i < inner.data.length; i++) inner.data[i] = (inner.data[i] as number) * scale;
  return inner;
}

/**
 * The codec's straight-through forward as the `scaled` container codes it (learnedEncode /
 * learnedDecode): x / RMS(x), centred per channel, coded; the decoded tensor gets the exact
 * channel means back and is scaled up again. Differentiable in x and the codec parameters; the
 * fp16 rounding of the means is left out. A feature codec therefore always sees unit-RMS input,
 * however the part's activations grow over training (unnormalised, cheng2020-attn's synthesis
 * blew growing features up to 1e12 and the run diverged).
 */
export function scaledForward(
  codec: LearnedCodec,
  params: tf.Tensor[],
  x: tf.Tensor4D,
): { xhat: tf.Tensor4D; bits: tf.Scalar; mse: tf.Scalar } {
  const scale = tf.sqrt(tf.add(tf.mean(tf.square(x)), 1e-24));
  const unit = tf.div(x, scale);
  const means = tf.mean(unit, [0, 1, 2], true);
  const target = tf.sub(unit, means) as tf.Tensor4D;
  const fr = codec.forward(params, target, 'ste');
  const centred = tf.sub(fr.xhat, tf.mean(fr.xhat, [0, 1, 2], true));
  return {
    xhat: tf.mul(tf.add(centred, means), scale) as tf.Tensor4D,
    bits: fr.bits,
    // In units of the tensor's RMS, as a gradient codec's MSE.
    mse: tf.mean(tf.squaredDifference(centred, target)) as tf.Scalar,
  };
}

/** Gradients of a part and its feature codec as tensors; the caller owns all of them. */
interface CodecGradTensors {
  dInputs: tf.Tensor[];
  dParams: tf.Tensor[];
  /** Empty for a frozen codec. */
  dCodec: tf.Tensor[];
  /** The part's first output as sent, when asked for (`keepSent`). */
  sent?: tf.Tensor4D;
}

/**
 * The tensor computation of `partBackwardThroughCodec` (sync and async); nothing read back.
 * The part's gradients go through the wire codec (the round's global parameters: what the
 * receiver decoded), whose parameters are constants here. Where `ref` has a trainable copy the
 * codec's own gradient is taken at that copy, on the part's output as it was sent: the task
 * term linearised at the decoded tensor (Σ x̂·dL/dx̂), λ·bits per element, aux and, when set,
 * the distortion term. (Taken at the wire parameters instead, every step of a round would
 * repeat the same gradient and Adam would walk the copy in a straight line.) Without a
 * trainable copy the codec is frozen (the `ayad` baseline after its training rounds).
 */
function codecBackwardTensors(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
  ref: LearnedRef,
  keepSent = false,
): CodecGradTensors {
  const codec = learnedCodec(ref.spec);
  const through = (cp: tf.Tensor[], x: tf.Tensor4D): { xhat: tf.Tensor4D; bits: tf.Scalar; mse: tf.Scalar | null } =>
    ref.normalize ? scaledForward(codec, cp, x) : { ...codec.forward(cp, x, 'ste'), mse: null };
  return tf.tidy(() => {
    const p = toTensors(part, params);
    const wire = codec.toTensors(ref.params);
    const np = p.length;
    // The part's first output as sent, kept out of the tape's clean-up for the codec's own step.
    let sent: tf.Tensor4D | undefined;
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const outs = part.forward(args.slice(0, np), args.slice(np));
      if (ref.train !== undefined || keepSent) sent = tf.keep(outs[0] as tf.Tensor4D);
      const terms = outs.map((o, k) => {
        const d = dOutputs[k];
        const value = k === 0 ? through(wire, o as tf.Tensor4D).xhat : o;
        return vjpTerm(value, d ?? null);
      });
      return tf.addN(terms) as tf.Scalar;
    };
    const g = tf.grads(f)([...p, ...inputs]);
    const train = ref.train;
    const first = sent;
    const kept = keepSent && first !== undefined ? { sent: first } : {};
    if (train === undefined || first === undefined) return { dInputs: g.slice(np), dParams: g.slice(0, np), dCodec: [], ...kept };
    const dCodec = featureCodecGradTensors(ref, first, dOutputs[0] ?? null);
    if (!keepSent) first.dispose();
    return { dInputs: g.slice(np), dParams: g.slice(0, np), dCodec, ...kept };
  });
}

/**
 * A feature codec's gradient at its trainable copy, on the part's first output as sent: the task
 * term linearised at the decoded tensor (Σ x̂·dL/dx̂ with `d0`, the decoded gradient of that
 * output), λ·bits per element, aux and, when set, the distortion term. Tensors inside the
 * caller's tidy.
 */
function featureCodecGradTensors(ref: LearnedRef, first: tf.Tensor4D, d0: tf.Tensor | null): tf.Tensor[] {
  const train = ref.train;
  if (train === undefined) throw new Error('feature codec step: the codec has no trainable copy');
  const codec = learnedCodec(ref.spec);
  const beta = train.distortion ?? 0;
  const fc = (...cp: tf.Tensor[]): tf.Scalar => {
    const fr = ref.normalize ? scaledForward(codec, cp, first) : { ...codec.forward(cp, first, 'ste'), mse: null };
    const terms: tf.Tensor[] = [tf.mul(fr.bits, train.lambda / first.size), codec.auxLoss(cp)];
    if (d0 !== null) terms.push(vjpTerm(fr.xhat, d0));
    if (beta > 0 && fr.mse !== null) terms.push(tf.mul(fr.mse, beta));
    return tf.addN(terms) as tf.Scalar;
  };
  return tf.grads(fc)(codec.toTensors(train.state.params));
}

/**
 * The feature codec's step of {@link partBackwardThroughCodec} alone, as a `codec.train` task:
 * `sent` is the part's first output as the backward pass computed it (`returnSent`), `d0` the
 * decoded gradient of that output. Reads back with `await data()`.
 */
export async function featureCodecTrainAsync(ref: LearnedRef, sent: tf.Tensor4D, d0: tf.Tensor | null): Promise<void> {
  const train = ref.train;
  if (train === undefined) throw new Error('codec.train: the codec has no trainable copy');
  const dCodec = tf.tidy(() => featureCodecGradTensors(ref, sent, d0));
  const grads = await readThenFree(() => flattenTensorsAsync(dCodec), dCodec, []);
  adamStepShared(train.state, grads, train.adam);
}

/**
 * VJP of a part whose first output goes through a feature codec: returns the gradients of the
 * part's inputs and parameters. Where `ref` has a trainable copy, the codec's gradient
 * (task + λ·bits per element + aux) is applied to it here; without one the codec is frozen and
 * nothing is written to any codec state. Reads back synchronously
 * ({@link partBackwardThroughCodecAsync}: with `await data()`).
 */
export function partBackwardThroughCodec(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
  ref: LearnedRef,
): { dInputs: tf.Tensor[]; dParams: Float32Array } {
  const r = codecBackwardTensors(part, params, inputs, dOutputs, ref);
  const [dParams, dCodec] = readThenFreeSync(
    () => [flattenTensors(r.dParams), flattenTensors(r.dCodec)] as const,
    [...r.dParams, ...r.dCodec],
    r.dInputs,
  );
  if (ref.train !== undefined) adamStepShared(ref.train.state, dCodec, ref.train.adam);
  return { dInputs: r.dInputs, dParams };
}

/**
 * {@link partBackwardThroughCodec} with the gradients read by `await data()`, in one wait. With
 * `returnSent` the part's first output as sent comes back too (the caller disposes it), for the
 * codec's step in a task of its own ({@link featureCodecTrainAsync}).
 */
export async function partBackwardThroughCodecAsync(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
  ref: LearnedRef,
  returnSent = false,
): Promise<{ dInputs: tf.Tensor[]; dParams: Float32Array; sent?: tf.Tensor4D }> {
  const r = codecBackwardTensors(part, params, inputs, dOutputs, ref, returnSent);
  const keep = r.sent === undefined ? r.dInputs : [...r.dInputs, r.sent];
  const [dParams, dCodec] = await readThenFree(
    () => Promise.all([flattenTensorsAsync(r.dParams), flattenTensorsAsync(r.dCodec)]),
    [...r.dParams, ...r.dCodec],
    keep,
  );
  if (ref.train !== undefined) adamStepShared(ref.train.state, dCodec, ref.train.adam);
  return { dInputs: r.dInputs, dParams, ...(r.sent !== undefined ? { sent: r.sent } : {}) };
}

/** The backend learned-codec coding runs on where the active one cannot read synchronously. */
export const SYNC_READBACK_FALLBACK = 'wasm';

/**
 * Runs `fn` on a backend with synchronous readback: the active one where it has it, else
 * {@link SYNC_READBACK_FALLBACK}, switching back afterwards. The learned codecs' entropy coding
 * reads latents with `dataSync()` (src/codecs/learned), which tfjs-webgpu cannot do in Node.
 *
 * Safe only because `fn` takes and returns plain arrays: every tensor it makes is created,
 * read and disposed on the fallback backend. A tensor of the other backend used inside would
 * be moved by tfjs (engine `moveData`, which reads the source backend synchronously: the very
 * read that fails on WebGPU). One task runs at a time per pool worker, so no other task
 * sees the switched backend.
 */
export async function withSyncReadback<T>(fn: () => T): Promise<T> {
  const active = tf.getBackend();
  // Forced off (SPLITWIRE_FORCE_ASYNC_READBACK=1) on the fallback itself, there is nothing to switch.
  if (hasSyncReadback(active) || active === SYNC_READBACK_FALLBACK) return fn();
  // Gradient codecs train while they encode: the fallback needs splitwire's conv gradients.
  registerWasmGradKernels();
  if (!(await tf.setBackend(SYNC_READBACK_FALLBACK))) {
    throw new Error(`learned codec: backend '${active}' cannot read tensors synchronously and '${SYNC_READBACK_FALLBACK}' failed to start`);
  }
  try {
    return fn();
  } finally {
    await tf.setBackend(active);
  }
}

/** {@link learnedEncode} on a backend that can read synchronously (see {@link withSyncReadback}). */
export function learnedEncodeAsync(ref: LearnedRef, t: TensorMsg): Promise<Uint8Array> {
  return withSyncReadback(() => learnedEncode(ref, t));
}

/** {@link learnedDecode} on a backend that can read synchronously (see {@link withSyncReadback}). */
export function learnedDecodeAsync(ref: LearnedRef, bytes: Uint8Array): Promise<TensorData> {
  return withSyncReadback(() => learnedDecode(ref, bytes));
}
