/**
 * Geometry of a (possibly dilated) NHWC conv2d for the GPU gradient kernels, resolved with
 * tfjs' own padding rules, plus the NCHW <-> NHWC views they work through.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveConvGeometry, type ConvGeometry, type ConvPad, type DimRoundingMode } from '../convGeometry.js';

export type Pair = [number, number];

/** Options shared by both GPU gradient functions; defaults in {@link GPU_GRAD_DEFAULTS}. */
export interface GpuConvGradOptions {
  /** Rounding of the output size with a numeric pad, as tf.conv2d takes it. */
  dimRoundingMode?: DimRoundingMode;
  /** Layout of x / dy / dx; the filter is [kh, kw, in, out] either way. Default 'NHWC'. */
  dataFormat?: 'NHWC' | 'NCHW';
  /**
   * Filter gradient only: the most bytes one im2col block may take before the output rows
   * are processed in bands (whose partial filter gradients are added). Default 256 MiB,
   * well under WebGPU's usual maxStorageBufferBindingSize.
   */
  maxColsBytes?: number;
  /** Filter gradient only: force the split-K factor (1 = one plain matMul); default planned. */
  splitK?: number;
}

export const GPU_GRAD_DEFAULTS = { dataFormat: 'NHWC', maxColsBytes: 256 * 2 ** 20 } as const;

/** The conv's geometry with the *effective* (dilated) filter size, and the real taps. */
export interface DilatedGeometry {
  /** tfjs' geometry for the effective filter d*(k-1)+1: pads, output size, strides. */
  g: ConvGeometry;
  /** Real filter taps and dilation rates. */
  kh: number;
  kw: number;
  dh: number;
  dw: number;
}

export function pair(v: number | readonly number[], field: string, op: string): Pair {
  const p: Pair = typeof v === 'number' ? [v, v] : [v[0] ?? Number.NaN, v[1] ?? Number.NaN];
  if (!p.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`${op}: ${field} must be positive integers, got ${JSON.stringify(v)}`);
  }
  return p;
}

/**
 * Resolves the geometry: a conv with filter k and dilation d pads and sizes its output as a
 * conv with filter d*(k-1)+1 and no dilation (tfjs computeConv2DInfo does the same).
 */
export function resolveDilatedGeometry(
  op: string,
  xShapeNHWC: readonly number[],
  filterShape: readonly number[],
  strides: number | readonly number[],
  pad: ConvPad,
  dilations: number | readonly number[],
  dimRoundingMode: DimRoundingMode | undefined,
): DilatedGeometry {
  const [dh, dw] = pair(dilations, 'dilations', op);
  const s = pair(strides, 'strides', op);
  if (filterShape.length !== 4 || xShapeNHWC.length !== 4) {
    throw new Error(`${op}: input and filter must be rank 4, got [${xShapeNHWC.join(',')}] and [${filterShape.join(',')}]`);
  }
  const [kh, kw, ci, co] = filterShape as [number, number, number, number];
  if (xShapeNHWC[3] !== ci) {
    throw new Error(`${op}: filter in-channels ${ci} must equal the input's channels ${xShapeNHWC[3]} (filter [${filterShape.join(',')}], input NHWC [${xShapeNHWC.join(',')}])`);
  }
  const effective = [dh * (kh - 1) + 1, dw * (kw - 1) + 1, ci, co];
  const g = resolveConvGeometry(op, xShapeNHWC, effective, s, pad, dimRoundingMode, 'NHWC');
  return { g, kh, kw, dh, dw };
}

/** NCHW -> NHWC (a no-op view for NHWC). */
export function toNHWC(t: tf.Tensor4D, dataFormat: 'NHWC' | 'NCHW'): tf.Tensor4D {
  return dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
}

/** NHWC -> the caller's layout. */
export function fromNHWC(t: tf.Tensor4D, dataFormat: 'NHWC' | 'NCHW'): tf.Tensor4D {
  return dataFormat === 'NCHW' ? tf.transpose(t, [0, 3, 1, 2]) : t;
}

/** An NHWC shape from a shape in `dataFormat`. */
export function shapeToNHWC(shape: readonly number[], dataFormat: 'NHWC' | 'NCHW'): [number, number, number, number] {
  const [a, b, c, d] = shape as [number, number, number, number];
  return dataFormat === 'NCHW' ? [a, c, d, b] : [a, b, c, d];
}

/** A pad given for `dataFormat` as the NHWC pad (explicit pads list the axes in layout order). */
export function padToNHWC(pad: ConvPad, dataFormat: 'NHWC' | 'NCHW'): ConvPad {
  if (dataFormat === 'NHWC' || !Array.isArray(pad)) return pad;
  const p = pad as tf.backend_util.ExplicitPadding;
  return [[0, 0], p[2], p[3], [0, 0]];
}

export function checkDataFormat(op: string, f: unknown): 'NHWC' | 'NCHW' {
  if (f === undefined) return 'NHWC';
  if (f === 'NHWC' || f === 'NCHW') return f;
  throw new Error(`${op}: dataFormat must be 'NHWC' or 'NCHW', got '${String(f)}'`);
}
