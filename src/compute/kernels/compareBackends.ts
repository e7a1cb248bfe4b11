import * as tf from '@tensorflow/tfjs';

/**
 * Helpers to check a wasm result against the `cpu` backend (the reference: tfjs' own
 * scalar kernels). Used by this folder's tests and benchmarks.
 */

/** Deterministic N(0,1)-ish values (mulberry32 + Box-Muller) so both backends see the same data. */
export function seededValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/**
 * Runs `fn` on `backend` and returns copies of its outputs' data; every tensor made
 * inside is disposed, and the previously active backend is restored.
 */
export async function runOn(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`runOn: backend '${backend}' failed to initialise`);
  try {
    return tf.tidy(() => fn().map((t) => Float32Array.from(t.dataSync())));
  } finally {
    if (previous !== undefined && previous !== backend) await tf.setBackend(previous);
  }
}

/** max|a-b| / (1 + max|b|): the error measure the tests bound (b is the reference). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (1 + scale);
}

/** One conv2d configuration for gradient checks. */
export interface ConvCase {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  seed: number;
}

/** Raw draws for a {@link ConvCase}; sizes are fixed up so the filter always fits. */
export interface ConvCaseDraw {
  batch: number;
  inC: number;
  outC: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  h: number;
  w: number;
  pad: 'same' | 'valid' | number | [number, number, number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil' | undefined;
  seed: number;
}

/** Builds a valid {@link ConvCase}: grows h/w until the padded input holds one filter window. */
export function convCase(d: ConvCaseDraw): ConvCase {
  let pad: ConvCase['pad'];
  let padH = 0;
  let padW = 0;
  if (Array.isArray(d.pad)) {
    const [t, b, l, r] = d.pad;
    pad = [[0, 0], [t, b], [l, r], [0, 0]];
    padH = t + b;
    padW = l + r;
  } else {
    pad = d.pad;
    if (typeof d.pad === 'number') {
      padH = 2 * d.pad;
      padW = 2 * d.pad;
    }
  }
  // With a numeric pad tfjs sizes both axes from the filter height and stride height
  // (conv_util.getPadAndOutInfo), so such cases use a square filter and one stride.
  const square = typeof pad === 'number';
  const kw = square ? d.kh : d.kw;
  const sw = square ? d.sh : d.sw;
  const h = Math.max(d.h, d.kh - padH, 1);
  const w = Math.max(d.w, kw - padW, 1);
  const c: ConvCase = {
    xShape: [d.batch, h, w, d.inC],
    filterShape: [d.kh, kw, d.inC, d.outC],
    strides: [d.sh, sw],
    pad,
    seed: d.seed,
  };
  // tfjs accepts a rounding mode only with a numeric pad.
  if (typeof pad === 'number' && d.dimRoundingMode !== undefined) c.dimRoundingMode = d.dimRoundingMode;
  return c;
}

/** Readable one-line form of a case, for failure messages. */
export function describeCase(c: ConvCase): string {
  return JSON.stringify(c);
}
