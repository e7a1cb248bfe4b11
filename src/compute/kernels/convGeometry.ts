import * as tf from '@tensorflow/tfjs';

/** Zero padding on each side of a 2-D spatial window; negative means "crop". */
export interface SidePads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The geometry of one NHWC conv2d (dilation 1), as the gradient kernels need it. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  /** Padding of the forward conv, as tfjs resolved it from 'same' | 'valid' | number | explicit. */
  pad: SidePads;
}

export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type DimRoundingMode = 'floor' | 'round' | 'ceil';

/** The attributes tfjs passes to both conv gradient kernels (dataFormat defaults to NHWC). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dimRoundingMode?: DimRoundingMode;
  dataFormat?: 'NHWC' | 'NCHW';
}

/**
 * Resolves a forward conv2d's geometry with tfjs' own rules (computeConv2DInfo), so the
 * gradient kernels agree with the forward kernel on every padding and rounding mode.
 */
export function resolveConvGeometry(
  op: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode: DimRoundingMode | undefined,
  dataFormat: 'NHWC' | 'NCHW',
): ConvGeometry {
  if (dataFormat !== 'NHWC') {
    // The wasm Conv2D forward kernel rejects NCHW too, so no wasm graph can reach this.
    throw new Error(`${op}: dataFormat must be 'NHWC' on the wasm backend, got '${dataFormat}'`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(
      `${op}: input and filter must be rank 4, got [${xShape.join(',')}] and [${filterShape.join(',')}]`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    pad: {
      top: info.padInfo.top,
      bottom: info.padInfo.bottom,
      left: info.padInfo.left,
      right: info.padInfo.right,
    },
  };
}

/**
 * A stride-1 conv2d with per-side padding that may be negative (a negative pad crops
 * the input), so callers can state the exact window they need.
 */
export function conv2dWithPads(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  pads: SidePads,
  dilations: [number, number],
): tf.Tensor4D {
  const cropTop = Math.max(0, -pads.top);
  const cropBottom = Math.max(0, -pads.bottom);
  const cropLeft = Math.max(0, -pads.left);
  const cropRight = Math.max(0, -pads.right);
  const cropped = cropTop + cropBottom + cropLeft + cropRight > 0;
  const [n, h, w, c] = x.shape;
  const input = cropped
    ? tf.slice(x, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c])
    : x;
  const explicit: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, pads.top), Math.max(0, pads.bottom)],
    [Math.max(0, pads.left), Math.max(0, pads.right)],
    [0, 0],
  ];
  const out = tf.conv2d(input, filter, 1, explicit, 'NHWC', dilations);
  if (cropped) input.dispose();
  return out;
}

/** Zero-pads (positive) or crops (negative) the spatial sides of an NHWC tensor. */
export function padOrCrop(x: tf.Tensor4D, pads: SidePads): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ct = Math.max(0, -pads.top);
  const cb = Math.max(0, -pads.bottom);
  const cl = Math.max(0, -pads.left);
  const cr = Math.max(0, -pads.right);
  const cropped = ct + cb + cl + cr > 0 ? tf.slice(x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]) : x;
  const pt = Math.max(0, pads.top);
  const pb = Math.max(0, pads.bottom);
  const pl = Math.max(0, pads.left);
  const pr = Math.max(0, pads.right);
  if (pt + pb + pl + pr === 0) return cropped;
  return tf.pad(cropped, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
}

/** Throws unless `dyShape` is the forward conv's output shape for `g`. */
export function assertOutShape(op: string, dyShape: readonly number[], g: ConvGeometry): void {
  const want = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  if (dyShape.length !== 4 || want.some((v, i) => dyShape[i] !== v)) {
    throw new Error(`${op}: dy must have shape [${want.join(',')}], got [${dyShape.join(',')}]`);
  }
}

/**
 * Views a kernel input as a Tensor. The engine passes Tensors to kernels; a bare
 * TensorInfo gets a new handle, which the caller must dispose (`owned` is true).
 */
export function asTensor<R extends tf.Rank>(info: tf.TensorInfo): { t: tf.Tensor<R>; owned: boolean } {
  if (info instanceof tf.Tensor) return { t: info as tf.Tensor<R>, owned: false };
  return { t: tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>, owned: true };
}
