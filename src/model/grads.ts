/**
 * Forward and backward of one part with its parameters as explicit tensors: what the compute-pool
 * tasks run. Each call converts the flat parameters, recomputes the forward under a gradient
 * tape, and frees every intermediate; the caller owns the returned tensors and its inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { diceCrossEntropy } from './loss.js';
import { flattenTensors, flattenTensorsAsync, toTensors } from './params.js';
import { getPart } from './unet.js';
import type { ModelPart, PartName, SplitModel } from './types.js';

/** Output of a part's forward (no grads). */
export function partForward(part: ModelPart, params: Float32Array, inputs: tf.Tensor[]): tf.Tensor[] {
  return tf.tidy(() => part.forward(toTensors(part, params), inputs));
}

function checkShape(where: string, t: tf.Tensor, want: number[]): void {
  if (t.shape.length !== want.length || t.shape.some((d, a) => d !== want[a])) {
    throw new RangeError(`${where}: must have shape [${want.join(',')}], got [${t.shape.join(',')}]`);
  }
}

/** Gradients as tensors, before any readback; the caller owns (and disposes) all of them. */
interface GradTensors {
  dInputs: tf.Tensor[];
  dParams: tf.Tensor[];
}

/**
 * Runs `read` (reads of `free`), then disposes `free`; when `read` fails, disposes `onError`
 * too (the tensors the caller would otherwise have received), so an error leaks nothing.
 */
export function readThenFreeSync<T>(read: () => T, free: tf.Tensor[], onError: tf.Tensor[]): T {
  try {
    return read();
  } catch (err) {
    tf.dispose(onError);
    throw err;
  } finally {
    tf.dispose(free);
  }
}

/** {@link readThenFreeSync} for an asynchronous `read` (`await t.data()`). */
export async function readThenFree<T>(read: () => Promise<T>, free: tf.Tensor[], onError: tf.Tensor[]): Promise<T> {
  try {
    return await read();
  } catch (err) {
    tf.dispose(onError);
    throw err;
  } finally {
    tf.dispose(free);
  }
}

/**
 * One term of a vector–Jacobian product written as a scalar to differentiate: its gradient with
 * respect to `out` is `d` (0 where `d` is null), as that of Σ out·d (or 0·Σ out) would be, to the
 * bit: tfjs would compute ones·1·d = d (and 0·ones = +0). Written as a custom gradient it skips
 * what the plain form costs in a backward pass: the forward product and sum, and the gradient of
 * the sum, a tensor of ones the size of `out` filled in JavaScript and copied into the backend.
 * The term's value is 0: only its gradient is used.
 * @example tf.grads((...xs) => tf.addN(outs(xs).map((o, k) => vjpTerm(o, dOut[k]))))(xs)
 */
export function vjpTerm(out: tf.Tensor, d: tf.Tensor | null): tf.Scalar {
  const term = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const o = args[0] as tf.Tensor;
    return {
      value: tf.scalar(0),
      // dy is the scalar 1 that tf.grads seeds and addN passes on: d·1 = d exactly.
      gradFunc: (dy: tf.Tensor) => (d === null ? tf.zerosLike(o) : tf.mul(d, dy)),
    };
  });
  return term(out) as tf.Scalar;
}

/** The VJP of `partBackward` as tensors (validation included); nothing read back. */
function backwardTensors(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
): GradTensors {
  const outShapes = part.outputShapes(inputs[0]?.shape[0] ?? 0);
  if (dOutputs.length !== outShapes.length) {
    throw new RangeError(
      `${part.name} backward: dOutputs must hold ${outShapes.length} entries, got ${dOutputs.length}`,
    );
  }
  dOutputs.forEach((d, k) => {
    if (d) checkShape(`${part.name} backward: dOutputs[${k}]`, d, outShapes[k] as number[]);
  });
  return tf.tidy(() => {
    const p = toTensors(part, params);
    const np = p.length;
    // d/dθ Σ_k <out_k, dOut_k> is the VJP; an output without gradient still enters (gradient 0)
    // so that inputs feeding only it stay connected (tf.grads rejects disconnected arguments).
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const outs = part.forward(args.slice(0, np), args.slice(np));
      const terms = outs.map((o, k) => vjpTerm(o, dOutputs[k] ?? null));
      return tf.addN(terms) as tf.Scalar;
    };
    const g = tf.grads(f)([...p, ...inputs]);
    return { dInputs: g.slice(np), dParams: g.slice(0, np) };
  });
}

/**
 * Vector–Jacobian product: given upstream gradients of the outputs, the gradients of the inputs
 * and params (forward is recomputed). A null entry of `dOutputs` means that output receives no
 * gradient (its contribution is zero). `dInputs` has one tensor per input, the image's included
 * (the fused conv gradient computes it anyway). `dParams` is read back synchronously (dataSync);
 * {@link partBackwardAsync} is the same for backends without synchronous readback.
 * @example const { dInputs: [g1], dParams } = partBackward(M, pM, [f1], [g2]);
 */
export function partBackward(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
): { dInputs: tf.Tensor[]; dParams: Float32Array } {
  const r = backwardTensors(part, params, inputs, dOutputs);
  return { dInputs: r.dInputs, dParams: readThenFreeSync(() => flattenTensors(r.dParams), r.dParams, r.dInputs) };
}

/**
 * {@link partBackward} with `dParams` read by `await data()` (tfjs WebGPU in Node has no
 * synchronous readback); the same kernels, so the same values bit for bit.
 * @example const { dInputs: [g1], dParams } = await partBackwardAsync(M, pM, [f1], [g2]);
 */
export async function partBackwardAsync(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
): Promise<{ dInputs: tf.Tensor[]; dParams: Float32Array }> {
  const r = backwardTensors(part, params, inputs, dOutputs);
  return { dInputs: r.dInputs, dParams: await readThenFree(() => flattenTensorsAsync(r.dParams), r.dParams, r.dInputs) };
}

/** The loss and gradients of `partLossBackward` as tensors (validation included); nothing read back. */
function lossBackwardTensors(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  labels: tf.Tensor,
  classes: number,
): GradTensors & { loss: tf.Scalar } {
  const outShapes = part.outputShapes(inputs[0]?.shape[0] ?? 0);
  const last = outShapes[0];
  if (outShapes.length !== 1 || !last || last[3] !== classes) {
    throw new RangeError(`${part.name} loss: part must output [N,H,W,${classes}] logits`);
  }
  return tf.tidy(() => {
    const p = toTensors(part, params);
    const np = p.length;
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const [logits] = part.forward(args.slice(0, np), args.slice(np));
      return diceCrossEntropy(logits as tf.Tensor4D, labels, classes);
    };
    const { value, grads } = tf.valueAndGrads(f)([...p, ...inputs]);
    return { loss: value, dInputs: grads.slice(np), dParams: grads.slice(0, np) };
  });
}

/**
 * For the part that holds the labels (BE or S): loss (`diceCrossEntropy`), gradients of its inputs
 * and params, read back synchronously ({@link partLossBackwardAsync}: with `await data()`).
 * @param labels class ids [N, H, W]
 */
export function partLossBackward(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  labels: tf.Tensor,
  classes: number,
): { loss: number; dInputs: tf.Tensor[]; dParams: Float32Array } {
  const r = lossBackwardTensors(part, params, inputs, labels, classes);
  const [loss, dParams] = readThenFreeSync(
    () => [r.loss.dataSync()[0] as number, flattenTensors(r.dParams)] as const,
    [r.loss, ...r.dParams],
    r.dInputs,
  );
  return { loss, dInputs: r.dInputs, dParams };
}

/** {@link partLossBackward} with the loss and `dParams` read by `await data()`, in one wait. */
export async function partLossBackwardAsync(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  labels: tf.Tensor,
  classes: number,
): Promise<{ loss: number; dInputs: tf.Tensor[]; dParams: Float32Array }> {
  const r = lossBackwardTensors(part, params, inputs, labels, classes);
  const [loss, dParams] = await readThenFree(
    () => Promise.all([r.loss.data(), flattenTensorsAsync(r.dParams)]),
    [r.loss, ...r.dParams],
    r.dInputs,
  );
  return { loss: loss[0] as number, dInputs: r.dInputs, dParams };
}

/**
 * Logits of the whole model for images `x` [N,H,W,inChannels], chaining the parts without
 * compression (evaluation). The caller disposes the result.
 */
export function predict(
  model: SplitModel,
  params: Partial<Record<PartName, Float32Array>>,
  x: tf.Tensor,
): tf.Tensor {
  const flat = (name: PartName): Float32Array => {
    const p = params[name];
    if (!p) throw new RangeError(`predict: params.${name} missing`);
    return p;
  };
  return tf.tidy(() => {
    const run = (name: PartName, inputs: tf.Tensor[]): tf.Tensor[] => {
      const part = getPart(model, name);
      return part.forward(toTensors(part, flat(name)), inputs);
    };
    if (model.topology === 'u-shaped') {
      const [f1, skip0] = run('FE', [x]) as [tf.Tensor, tf.Tensor];
      const [f2] = run('M', [f1]) as [tf.Tensor];
      return run('BE', [f2, skip0])[0] as tf.Tensor;
    }
    const [f1] = run('FE1', [x]) as [tf.Tensor];
    return run('S', [f1])[0] as tf.Tensor;
  });
}
