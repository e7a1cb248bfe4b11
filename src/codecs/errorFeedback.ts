/**
 * Error feedback (a.k.a. error compensation / memory) around a lossy codec, as in
 * Seide et al. 2014 (1-bit SGD) and Stich, Cordonnier & Jaggi 2018 ("Sparsified SGD with memory"):
 *
 *   c_t = x_t + e_{t−1},   send C(c_t),   e_t = c_t − D(C(c_t)),   e_0 = 0.
 *
 * What a lossy codec drops in one call is added to the next call's input, so nothing is
 * lost for good: Σ_t D(C(c_t)) = Σ_t x_t − e_T exactly (up to fp32 rounding). It is meant for
 * streams of same-shaped tensors where accumulation makes sense (gradients, weight deltas),
 * one instance per stream (e.g. per client and message kind). Only the sender holds state;
 * the receiver decodes with the plain inner codec (`decode` here just delegates).
 *
 * Where c_t or its decoded value is not finite, the residual is reset to 0 at that index, so a
 * single NaN or Infinity is transmitted once rather than poisoning every later call.
 *
 * The residual may live in memory the caller owns (`options.memory`, e.g. a SharedArrayBuffer
 * view kept by the simulation per sender and codec slot): a short-lived instance in any pool
 * worker then reads e_{t−1} from it and writes e_t back in place, so workers stay stateless.
 */
import { Errors } from './errors.js';
import { checkTensor } from './tensor.js';
import type { Codec, TensorData } from './types.js';

/** Options of `ErrorFeedback`. */
export interface ErrorFeedbackOptions {
  /**
   * Residual storage owned by the caller, read as e_{t−1} and overwritten with e_t by each
   * `encode` (all zeros = no residual yet). Its length fixes the element count of every call.
   */
  memory?: Float32Array;
}

/** Stateful error-feedback wrapper; `encode` consumes and updates the residual. */
export class ErrorFeedback implements Codec {
  readonly name: string;
  private residualData: Float32Array | null = null;
  /** null with caller-owned memory: only its length is fixed. */
  private residualShape: number[] | null = [];

  /**
   * @example const ef = new ErrorFeedback(createCodec({ name: 'topk', fraction: 0.01 }));
   * @example new ErrorFeedback(codec, { memory: residualOfSlot }).encode(t) // e_t written into residualOfSlot
   */
  constructor(
    private readonly inner: Codec,
    options: ErrorFeedbackOptions = {},
  ) {
    this.name = inner.name;
    if (options.memory !== undefined) {
      this.residualData = options.memory;
      this.residualShape = null;
    }
  }

  /** Encodes `t` plus the carried residual; the residual becomes what this call failed to send. */
  encode(t: TensorData): Uint8Array {
    checkTensor(`errorFeedback(${this.name})`, t);
    const prev = this.residualData;
    if (prev !== null && this.residualShape === null && prev.length !== t.data.length) {
      throw Errors.invalidField(`errorFeedback(${this.name}).encode.shape`, `${prev.length} elements as the residual memory holds`, t.shape);
    }
    if (prev !== null && this.residualShape !== null && !sameShape(this.residualShape, t.shape)) {
      throw Errors.invalidField(
        `errorFeedback(${this.name}).encode.shape`,
        `[${this.residualShape.join(', ')}] as in the previous call (call reset() to change shape)`,
        t.shape,
      );
    }
    const n = t.data.length;
    const corrected = new Float32Array(n);
    for (let i = 0; i < n; i++) corrected[i] = prev === null ? t.data[i]! : t.data[i]! + prev[i]!;
    const buf = this.inner.encode({ data: corrected, shape: t.shape });
    const decoded = this.inner.decode(buf).data;
    const residual = prev ?? new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const e = corrected[i]! - decoded[i]!;
      residual[i] = Number.isFinite(e) ? e : 0;
    }
    this.residualData = residual;
    if (this.residualShape !== null) this.residualShape = t.shape.slice();
    return buf;
  }

  /** Decodes with the inner codec; the receiver side has no state. */
  decode(buf: Uint8Array): TensorData {
    return this.inner.decode(buf);
  }

  /** A copy of the residual carried into the next call (null before the first call). */
  residual(): Float32Array | null {
    return this.residualData === null ? null : this.residualData.slice();
  }

  /** Forgets the residual (e.g. when the tensor shape changes); caller-owned memory is zeroed in place. */
  reset(): void {
    if (this.residualShape === null) {
      this.residualData?.fill(0);
      return;
    }
    this.residualData = null;
    this.residualShape = [];
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
