/**
 * What pool workers do with learned codecs (issue 3), on top of src/codecs/learned:
 * - gradient tensors are normalised by their RMS before coding (the scale travels in a
 *   `scaled` container), so one codec serves gradients whose magnitude drifts by orders of
 *   magnitude during training;
 * - a gradient codec takes one training step on `rate + λ_g·MSE` every time it encodes;
 * - a feature codec sits inside the task graph: the part's first output passes through the
 *   codec's differentiable forward (straight-through rounding), so the task gradient and
 *   λ·rate reach both the part and the codec.
 * Every codec on the wire is the round's global one (both ends hold the same copy); the
 * steps above update the sender's trainable copy, which the round's FedAvg turns into the
 * next round's global codec. Wire bytes therefore always decode exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { readContainer, writeContainer } from '../codecs/container.js';
import { CodecError } from '../codecs/errors.js';
import { createLearnedCodec, learnedLossAndGrads, type LearnedCodec, type LearnedCodecSpec } from '../codecs/learned/index.js';
import type { TensorData } from '../codecs/types.js';
import { createCodec, decodeAny } from '../codecs/registry.js';
import type { ModelPart } from '../model/types.js';
import { toTensors } from '../model/params.js';
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

/** Encodes with a learned codec; for gradients, normalises first and trains the trainable copy. */
export function learnedEncode(ref: LearnedRef, t: TensorMsg): Uint8Array {
  const codec = learnedCodec(ref.spec);
  if (!ref.normalize) return codec.compress(ref.params, t);
  const scale = rms(t.data);
  const unit = new Float32Array(t.data.length);
  for (let i = 0; i < unit.length; i++) unit[i] = (t.data[i] as number) / scale;
  if (ref.train) {
    const x = tf.tensor4d(unit, t.shape as [number, number, number, number]);
    // rate + λ_g·MSE, written as MSE + (1/λ_g)·rate so the codec's own step function applies.
    const r = learnedLossAndGrads(codec, ref.params, x, { lambda: 1 / ref.train.lambda, mode: 'ste' });
    x.dispose();
    adamStepShared(ref.train.state, r.grads, ref.train.adam);
  }
  if (ref.passthrough) return createCodec({ name: 'none' }).encode(t);
  const inner = codec.compress(ref.params, { data: unit, shape: t.shape });
  const payload = new Uint8Array(4 + inner.byteLength);
  new DataView(payload.buffer).setFloat32(0, scale, true);
  payload.set(inner, 4);
  return writeContainer({ codec: 'scaled', shape: t.shape, payload });
}

/** Decodes bytes produced by `learnedEncode` with the same global parameters. */
export function learnedDecode(ref: LearnedRef, bytes: Uint8Array): TensorData {
  const codec = learnedCodec(ref.spec);
  const c = readContainer(bytes);
  // A warm-up round's tensors travel uncompressed; the container says so.
  if (c.codec === 'none') return decodeAny(bytes);
  if (!ref.normalize) return codec.decompress(ref.params, bytes);
  if (c.codec !== 'scaled') throw new CodecError(`scaled: expected codec id 'scaled', got '${c.codec}'`);
  if (c.payload.byteLength < 4) throw new CodecError('scaled: payload too short for its scale');
  const scale = new DataView(c.payload.buffer, c.payload.byteOffset, 4).getFloat32(0, true);
  const inner = codec.decompress(ref.params, c.payload.subarray(4));
  for (let i = 0; i < inner.data.length; i++) inner.data[i] = (inner.data[i] as number) * scale;
  return inner;
}

/**
 * VJP of a part whose first output goes through a feature codec: returns the gradients of the
 * part's inputs and parameters; the codec's gradient (task + λ·bits per element + aux) is
 * applied to its trainable copy here.
 */
export function partBackwardThroughCodec(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
  ref: LearnedRef,
): { dInputs: tf.Tensor[]; dParams: Float32Array } {
  const codec = learnedCodec(ref.spec);
  const train = ref.train;
  if (train === undefined) throw new Error('partBackwardThroughCodec: the codec reference has no trainable state');
  const result = tf.tidy(() => {
    const p = toTensors(part, params);
    const cp = codec.toTensors(ref.params);
    const np = p.length;
    const nc = cp.length;
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const outs = part.forward(args.slice(0, np), args.slice(np + nc));
      const codecParams = args.slice(np, np + nc);
      const first = outs[0] as tf.Tensor4D;
      const fr = codec.forward(codecParams, first, 'ste');
      const terms: tf.Tensor[] = [];
      outs.forEach((o, k) => {
        const d = dOutputs[k];
        const value = k === 0 ? fr.xhat : o;
        terms.push(d ? tf.sum(tf.mul(value, d)) : tf.mul(tf.sum(value), 0));
      });
      terms.push(tf.mul(fr.bits, train.lambda / first.size));
      terms.push(codec.auxLoss(codecParams));
      return tf.addN(terms) as tf.Scalar;
    };
    const g = tf.grads(f)([...p, ...cp, ...inputs]);
    const flat = (ts: tf.Tensor[], n: number): Float32Array => {
      const out = new Float32Array(n);
      let off = 0;
      for (const t of ts) {
        out.set(t.dataSync() as Float32Array, off);
        off += t.size;
      }
      return out;
    };
    return {
      dInputs: g.slice(np + nc),
      dParams: flat(g.slice(0, np), part.paramCount),
      dCodec: flat(g.slice(np, np + nc), codec.paramCount),
    };
  });
  adamStepShared(train.state, result.dCodec, train.adam);
  return { dInputs: result.dInputs, dParams: result.dParams };
}
