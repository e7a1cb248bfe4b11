/**
 * A part's parameters as one flat Float32Array (what crosses threads and what FedAvg averages),
 * and conversions to and from the tensors `ModelPart.forward` takes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../sim/rng.js';
import { shapeSize } from './layers.js';
import { getPart, partNames } from './unet.js';
import type { ModelPart, PartName, SplitModel } from './types.js';

/**
 * Fresh parameters: conv weights He-normal (std √(2/fanIn), He et al. 2015, for ReLU nets),
 * biases zero. Draws in the part's parameter order, so a seed gives the same weights everywhere.
 * @example const fe = initParams(model.parts.FE!, new Rng(seed, 'model/FE'));
 */
export function initParams(part: ModelPart, rng: Rng): Float32Array {
  const out = new Float32Array(part.paramCount);
  let offset = 0;
  for (const spec of part.params) {
    const n = shapeSize(spec.shape);
    if (spec.kind === 'conv') {
      const std = Math.sqrt(2 / spec.fanIn);
      for (let i = 0; i < n; i++) out[offset + i] = rng.normal(0, std);
    }
    offset += n;
  }
  return out;
}

/** Fresh parameters for every part, part P drawing from `rng.child(P)`. */
export function initModelParams(model: SplitModel, rng: Rng): Partial<Record<PartName, Float32Array>> {
  const out: Partial<Record<PartName, Float32Array>> = {};
  for (const name of partNames(model.topology)) out[name] = initParams(getPart(model, name), rng.child(name));
  return out;
}

function checkLength(part: ModelPart, flat: Float32Array): void {
  if (flat.length !== part.paramCount) {
    throw new RangeError(
      `${part.name} params: must have length ${part.paramCount}, got ${flat.length}`,
    );
  }
}

/**
 * The part's parameter tensors, in order. Values are copied, so later in-place updates of
 * `flat` (Adam) never alter live tensors. The caller disposes them (or calls this inside tidy).
 */
export function toTensors(part: ModelPart, flat: Float32Array): tf.Tensor[] {
  checkLength(part, flat);
  let offset = 0;
  return part.params.map((spec) => {
    const n = shapeSize(spec.shape);
    const t = tf.tensor(flat.slice(offset, offset + n), spec.shape, 'float32');
    offset += n;
    return t;
  });
}

/** Concatenates the tensors' values (row-major, in order) into one Float32Array. */
export function flattenTensors(ts: tf.Tensor[]): Float32Array {
  const total = ts.reduce((n, t) => n + t.size, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const t of ts) {
    out.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  return out;
}

/**
 * `flattenTensors` read with `await data()`: for backends without synchronous readback (tfjs
 * WebGPU in Node). All reads are issued at once, so a GPU backend waits for the device once.
 * The caller still owns (and disposes) `ts`.
 */
export async function flattenTensorsAsync(ts: tf.Tensor[]): Promise<Float32Array> {
  const values = await Promise.all(ts.map((t) => t.data()));
  const total = ts.reduce((n, t) => n + t.size, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const v of values) {
    out.set(v as Float32Array, offset);
    offset += v.length;
  }
  return out;
}

/** Views of `flat` per parameter name (no copy); handy for moving weights between cuts. */
export function namedParams(part: ModelPart, flat: Float32Array): Map<string, Float32Array> {
  checkLength(part, flat);
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of part.params) {
    const n = shapeSize(spec.shape);
    out.set(spec.name, flat.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

/**
 * The part's flat parameters gathered by name from `named` (e.g. another topology's weights).
 * Throws naming the first missing or mis-sized tensor.
 */
export function paramsFromNamed(part: ModelPart, named: ReadonlyMap<string, Float32Array>): Float32Array {
  const out = new Float32Array(part.paramCount);
  let offset = 0;
  for (const spec of part.params) {
    const n = shapeSize(spec.shape);
    const v = named.get(spec.name);
    if (!v) throw new RangeError(`${part.name} params.${spec.name}: missing`);
    if (v.length !== n) {
      throw new RangeError(`${part.name} params.${spec.name}: must have length ${n}, got ${v.length}`);
    }
    out.set(v, offset);
    offset += n;
  }
  return out;
}
