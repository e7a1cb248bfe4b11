/**
 * Forward and backward of one part with its parameters as explicit tensors: what the compute-pool
 * tasks run. Each call converts the flat parameters, recomputes the forward under a gradient
 * tape, and frees every intermediate; the caller owns the returned tensors and its inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { diceCrossEntropy } from './loss.js';
import { flattenTensors, toTensors } from './params.js';
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

/**
 * Vector–Jacobian product: given upstream gradients of the outputs, the gradients of the inputs
 * and params (forward is recomputed). A null entry of `dOutputs` means that output receives no
 * gradient (its contribution is zero). `dInputs` has one tensor per input, the image's included
 * (the fused conv gradient computes it anyway). `dParams` is read back synchronously (dataSync).
 * @example const { dInputs: [g1], dParams } = partBackward(M, pM, [f1], [g2]);
 */
export function partBackward(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  dOutputs: (tf.Tensor | null)[],
): { dInputs: tf.Tensor[]; dParams: Float32Array } {
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
    // d/dθ Σ_k <out_k, dOut_k> is the VJP; an output without gradient still enters as 0·Σout so
    // that inputs feeding only it stay connected (tf.grads rejects disconnected arguments).
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const outs = part.forward(args.slice(0, np), args.slice(np));
      const terms = outs.map((o, k) => {
        const d = dOutputs[k];
        return d ? tf.sum(tf.mul(o, d)) : tf.mul(tf.sum(o), 0);
      });
      return tf.addN(terms) as tf.Scalar;
    };
    const g = tf.grads(f)([...p, ...inputs]);
    return { dInputs: g.slice(np), dParams: flattenTensors(g.slice(0, np)) };
  });
}

/**
 * For the part that holds the labels (BE or S): loss (`diceCrossEntropy`), gradients of its inputs
 * and params.
 * @param labels class ids [N, H, W]
 */
export function partLossBackward(
  part: ModelPart,
  params: Float32Array,
  inputs: tf.Tensor[],
  labels: tf.Tensor,
  classes: number,
): { loss: number; dInputs: tf.Tensor[]; dParams: Float32Array } {
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
    const loss = (value.dataSync() as Float32Array)[0] as number;
    return { loss, dInputs: grads.slice(np), dParams: flattenTensors(grads.slice(0, np)) };
  });
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
