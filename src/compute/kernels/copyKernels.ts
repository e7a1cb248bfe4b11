/**
 * `Concat` and `SplitV` for the tfjs wasm backend, without a typed-array view per copied run,
 * and an `Identity` that shares its input's memory instead of copying it.
 *
 * tfjs-backend-wasm 4.22 implements both in JavaScript, copying each contiguous run with
 * `out.set(x.subarray(…))`: one view object per run. Concatenating or splitting on the channel
 * axis makes a run as short as the channel count (8–64 values), so a U-Net's decoder concat and
 * the gradient of its nearest upsampling (concat, whose gradient is a split) cost hundreds of
 * thousands of view allocations per step: a quarter of a wasm training step (profiled). These
 * kernels copy short runs element by element and long ones with `set`; they move the same
 * values to the same places, so results are bit-identical.
 *
 * The shipped wasm `Identity` copies the whole tensor, and tfjs runs it for every tensor a
 * gradient tape saves (`Engine.clone`): a copy of every activation of a backward pass. Tensors
 * are immutable, so the output can share the input's memory under a reference count, as the
 * wasm `Reshape` and the cpu backend's `Identity` already do.
 */
import * as tf from '@tensorflow/tfjs';

/** Runs shorter than this are copied element by element (a `subarray` view costs more). */
const SHORT_RUN = 64;

type Values = Float32Array | Int32Array | Uint8Array;

/** What the wasm backend offers a kernel (a structural view of BackendWasm). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Values;
  incRef(dataId: tf.DataId): void;
}

/** Copies `n` values from `src[from…]` to `dst[to…]`. */
function copyRun(src: Values, from: number, dst: Values, to: number, n: number): void {
  if (n >= SHORT_RUN) {
    dst.set(src.subarray(from, from + n), to);
    return;
  }
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i] as number;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** The shipped kernel of `name` on wasm, for the cases these do not handle (strings, empties). */
function fallback(name: string, builtin: tf.KernelConfig | undefined): tf.KernelFunc {
  if (builtin === undefined) throw new Error(`copyKernels: wasm has no ${name} kernel to fall back to`);
  return builtin.kernelFunc;
}

/**
 * A `Concat` kernel config for wasm; `builtin` (the shipped kernel) handles string tensors, a
 * single non-empty input and empty outputs, as tfjs does.
 */
export function concatConfig(builtin: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Concat,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const inputs = args.inputs as unknown as tf.TensorInfo[];
      const backend = args.backend as unknown as WasmBackend;
      const first = inputs[0];
      const nonEmpty = inputs.filter((t) => sizeOf(t.shape) > 0);
      if (first === undefined || first.dtype === 'string' || nonEmpty.length < 2) return fallback(tf.Concat, builtin)(args);
      const rank = first.shape.length;
      const rawAxis = (args.attrs as unknown as tf.ConcatAttrs).axis as number;
      const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
      for (const t of inputs) {
        if (t.shape.length !== rank || t.shape.some((d, k) => k !== axis && d !== first.shape[k]) || t.dtype !== first.dtype) {
          return fallback(tf.Concat, builtin)(args);
        }
      }
      const outShape = first.shape.slice();
      outShape[axis] = inputs.reduce((a, t) => a + (t.shape[axis] as number), 0);
      const out = backend.makeOutput(outShape, first.dtype);
      const outer = sizeOf(first.shape.slice(0, axis));
      const runs = nonEmpty.map((t) => sizeOf(t.shape.slice(axis)));
      const row = runs.reduce((a, r) => a + r, 0);
      const src = nonEmpty.map((t) => backend.typedArrayFromHeap(t));
      const dst = backend.typedArrayFromHeap(out);
      for (let b = 0; b < outer; b++) {
        let to = b * row;
        for (let i = 0; i < src.length; i++) {
          const n = runs[i] as number;
          copyRun(src[i] as Values, b * n, dst, to, n);
          to += n;
        }
      }
      return out;
    },
  };
}

/** A `SplitV` kernel config for wasm; `builtin` handles string tensors. */
export function splitVConfig(builtin: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.SplitV,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = (args.inputs as unknown as { x: tf.TensorInfo }).x;
      const backend = args.backend as unknown as WasmBackend;
      if (x.dtype === 'string') return fallback(tf.SplitV, builtin)(args);
      const attrs = args.attrs as unknown as tf.SplitVAttrs;
      const rank = x.shape.length;
      const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
      const dim = x.shape[axis] as number;
      const sizes = splitSizes(attrs.numOrSizeSplits, dim);
      const inner = sizeOf(x.shape.slice(axis + 1));
      const outer = sizeOf(x.shape.slice(0, axis));
      // Every output first: allocating may grow wasm memory, which detaches earlier heap views.
      const outs = sizes.map((s) => {
        const shape = x.shape.slice();
        shape[axis] = s;
        return backend.makeOutput(shape, x.dtype);
      });
      const src = backend.typedArrayFromHeap(x);
      const row = dim * inner;
      let offset = 0;
      outs.forEach((out, k) => {
        const s = sizes[k] as number;
        const dst = backend.typedArrayFromHeap(out);
        const n = s * inner;
        for (let b = 0; b < outer; b++) copyRun(src, b * row + offset * inner, dst, b * n, n);
        offset += s;
      });
      return outs;
    },
  };
}

/** Sizes along the axis, as tfjs' `prepareSplitSize`: a count of equal splits, or sizes with at most one -1. */
function splitSizes(numOrSizeSplits: number | number[], dim: number): number[] {
  if (typeof numOrSizeSplits === 'number') {
    if (dim % numOrSizeSplits !== 0) throw new Error(`SplitV: the axis (${dim}) must divide evenly by ${numOrSizeSplits}`);
    return new Array<number>(numOrSizeSplits).fill(dim / numOrSizeSplits);
  }
  const sizes = numOrSizeSplits.slice();
  const free = sizes.indexOf(-1);
  if (free >= 0) sizes[free] = dim - sizes.reduce((a, s) => a + (s === -1 ? 0 : s), 0);
  if (sizes.reduce((a, s) => a + s, 0) !== dim) throw new Error(`SplitV: sizes [${sizes.join(',')}] must sum to the axis (${dim})`);
  return sizes;
}

/** An `Identity` kernel config for wasm sharing the input's memory; `builtin` handles strings. */
export function identityConfig(builtin: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = (args.inputs as unknown as { x: tf.TensorInfo }).x;
      if (x.dtype === 'string') return fallback(tf.Identity, builtin)(args);
      (args.backend as unknown as WasmBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
    },
  };
}
