/**
 * Parameter bookkeeping of the learned codecs: a builder that registers tensors in call order
 * (the flat order), seeded initialisation, and conversions between the flat Float32Array and
 * tensors or per-tensor views (for the plain-JS context model and the table builders).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.js';
import type { LearnedParamSpec, ParamInit } from './types.js';

/** Product of a shape's dimensions. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Collects a codec's parameters in order; `add` returns the tensor's index. */
export class ParamBuilder {
  readonly specs: LearnedParamSpec[] = [];

  /** Registers one tensor; names must be unique. */
  add(name: string, shape: number[], init: ParamInit): number {
    if (this.specs.some((s) => s.name === name)) throw new Error(`learned params: duplicate name '${name}'`);
    this.specs.push({ name, shape, init });
    return this.specs.length - 1;
  }

  /** Number of scalars registered so far. */
  paramCount(): number {
    return this.specs.reduce((n, s) => n + shapeSize(s.shape), 0);
  }
}

/** Start of each tensor in the flat array, plus the total at the end. */
export function paramOffsets(specs: readonly LearnedParamSpec[]): number[] {
  const out = [0];
  for (const s of specs) out.push((out[out.length - 1] as number) + shapeSize(s.shape));
  return out;
}

/**
 * Fresh parameters, drawn in parameter order from `rng` (so a seed gives the same codec on
 * every thread). Conv weights use PyTorch's default U(±1/√fanIn) (CompressAI trains with it).
 */
export function initLearnedParams(specs: readonly LearnedParamSpec[], rng: Rng): Float32Array {
  const offsets = paramOffsets(specs);
  const out = new Float32Array(offsets[specs.length] as number);
  specs.forEach((s, k) => {
    const start = offsets[k] as number;
    const n = shapeSize(s.shape);
    const init = s.init;
    for (let i = 0; i < n; i++) {
      if (init.kind === 'uniform') out[start + i] = rng.range(-init.bound, init.bound);
      else if (init.kind === 'const') out[start + i] = init.value;
      else out[start + i] = init.values[i % init.values.length] as number;
    }
  });
  return out;
}

function checkLength(specs: readonly LearnedParamSpec[], flat: Float32Array, who: string): number[] {
  const offsets = paramOffsets(specs);
  const want = offsets[specs.length] as number;
  if (!(flat instanceof Float32Array) || flat.length !== want) {
    throw new RangeError(`${who} params: must be a Float32Array of length ${want}, got ${flat?.length}`);
  }
  return offsets;
}

/**
 * The parameter tensors, in order. Values are copied so later in-place updates of `flat`
 * (Adam) never alter live tensors; the caller disposes them (or calls this inside tidy).
 */
export function learnedToTensors(specs: readonly LearnedParamSpec[], flat: Float32Array, who: string): tf.Tensor[] {
  const offsets = checkLength(specs, flat, who);
  return specs.map((s, k) => tf.tensor(flat.slice(offsets[k], offsets[k + 1]), s.shape, 'float32'));
}

/** Views into `flat` (no copy), one per parameter tensor, in order. */
export function paramViews(specs: readonly LearnedParamSpec[], flat: Float32Array, who: string): Float32Array[] {
  const offsets = checkLength(specs, flat, who);
  return specs.map((_, k) => flat.subarray(offsets[k], offsets[k + 1]));
}

/**
 * Two 32-bit FNV-1a-style hashes (different seeds and multipliers) over the bit patterns of
 * `values`, with the length: a cheap key for "same parameters as last time" whose chance of a
 * false match is about 2^-64.
 */
export function hashFloats(values: Float32Array): string {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h1 = 0x811c9dc5;
  let h2 = 0x6a09e667;
  for (let i = 0; i < bits.length; i++) {
    const v = bits[i] as number;
    h1 = Math.imul(h1 ^ v, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ v, 0x5bd1e995) >>> 0;
    h2 ^= h2 >>> 15;
  }
  return `${values.length}:${h1.toString(16)}:${h2.toString(16)}`;
}
