/**
 * The filter gradient of a conv2d as im2col + one matMul, composed only of tfjs ops that GPU
 * backends run well (pad, strided slice, concat, batched matMul, sum). tfjs-webgpu's own
 * Conv2DBackpropFilter runs one thread per filter element, each looping over every output
 * pixel of the batch: a few thousand threads for a U-Net layer, hence its 20-77x gap to
 * PyTorch CUDA in GPU.md. A matMul spreads the same sum over the whole GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor, assertOutShape, padOrCrop, type ConvPad } from '../convGeometry.js';
import {
  GPU_GRAD_DEFAULTS,
  checkDataFormat,
  padToNHWC,
  resolveDilatedGeometry,
  toNHWC,
  type DilatedGeometry,
  type GpuConvGradOptions,
} from './dilatedConvGeometry.js';

const OP = 'Conv2DBackpropFilterIm2col';

/** How the sum over output pixels is split: `bands` row bands, each a `splitK`-batched matMul. */
export interface Im2colPlan {
  /** Output rows per band (all rows when one band). */
  bandRows: number;
  bands: number;
  /** Batched-matMul factor inside a band (1: one plain matMul). */
  splitK: number;
}

/** 32x32 output tiles tfjs-webgpu's packed matMul runs per batch entry. */
function tiles(k: number, co: number): number {
  return Math.ceil(k / 32) * Math.ceil(co / 32);
}

/** Largest divisor of n that is at most `limit` (at least 1). */
function divisorAtMost(n: number, limit: number): number {
  for (let d = Math.max(1, Math.min(n, Math.floor(limit))); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/**
 * Chooses bands and split-K. The matMul's output is only K x Co (K = kh*kw*Ci), so a plain
 * matMul gives a GPU a handful of 32x32 tiles each summing over N*oh*ow pixels; tfjs-webgpu
 * falls back to split-K only for batch 1 and few tiles (BatchMatMul_impl.ts). Splitting the
 * pixel rows into `splitK` batch entries (then summing) targets ~256 tiles of >= 256 pixels.
 * Bands keep one im2col block under `maxColsBytes`.
 */
export function planIm2col(geo: DilatedGeometry, maxColsBytes: number = GPU_GRAD_DEFAULTS.maxColsBytes, splitK?: number): Im2colPlan {
  const { g } = geo;
  const k = geo.kh * geo.kw * g.inChannels;
  const rowBytes = g.batch * g.outWidth * k * 4;
  const bandRows = Math.max(1, Math.min(g.outHeight, Math.floor(maxColsBytes / rowBytes)));
  const bands = Math.ceil(g.outHeight / bandRows);
  const rows = g.batch * bandRows;
  const pixels = rows * g.outWidth;
  const want = Math.min(Math.ceil(256 / tiles(k, g.outChannels)), Math.floor(pixels / 256));
  return { bandRows, bands, splitK: splitK ?? divisorAtMost(rows, want) };
}

/**
 * im2col of padded x for output rows [i0, i0+rows): [N*rows*ow, kh*kw*Ci], column order
 * (a, b, c) as the filter's [kh, kw, Ci] so the matMul result reshapes straight into it.
 */
function im2colBand(xP: tf.Tensor4D, geo: DilatedGeometry, i0: number, rows: number): tf.Tensor4D {
  const { g, kh, kw, dh, dw } = geo;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const n = g.batch;
  const ow = g.outWidth;
  const ci = g.inChannels;
  const taps: tf.Tensor4D[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const top = sh * i0 + dh * a;
      const left = dw * b;
      if (sh === 1 && sw === 1) {
        taps.push(tf.slice(xP, [0, top, left, 0], [n, rows, ow, ci]));
      } else {
        const end = [n, top + sh * (rows - 1) + 1, left + sw * (ow - 1) + 1, ci];
        taps.push(tf.stridedSlice(xP, [0, top, left, 0], end, [1, sh, sw, 1]) as tf.Tensor4D);
      }
    }
  }
  return taps.length === 1 ? taps[0]! : tf.concat(taps, 3);
}

/** dW of one band: sum over its pixels of cols^T dy, as `splitK` batched matMuls then a sum. */
function bandGrad(cols: tf.Tensor4D, dyBand: tf.Tensor4D, splitK: number): tf.Tensor2D {
  const k = cols.shape[3];
  const co = dyBand.shape[3];
  const pixels = cols.size / k;
  if (splitK <= 1) {
    return tf.matMul(tf.reshape(cols, [pixels, k]), tf.reshape(dyBand, [pixels, co]), true, false);
  }
  const per = pixels / splitK;
  const partial = tf.matMul(tf.reshape(cols, [splitK, per, k]), tf.reshape(dyBand, [splitK, per, co]), true, false);
  return tf.sum(partial, 0);
}

/**
 * Filter gradient of `conv2d(x, w, strides, pad, dataFormat, dilations)`:
 *   dW[a,b,c,o] = sum_{n,i,j} xpad[n, s_h*i + d_h*a, s_w*j + d_w*b, c] * dy[n,i,j,o],
 * with the patches of xpad gathered by strided slices and concatenated (im2col), then one
 * (split-K) matMul. Backend-agnostic; `filterShape` is [kh, kw, inChannels, outChannels].
 * @example conv2dBackpropFilterIm2col(x, dy, [3, 3, 16, 32], 2, 'same', 1)
 */
export function conv2dBackpropFilterIm2col(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number] = 1,
  options: GpuConvGradOptions = {},
): tf.Tensor4D {
  const format = checkDataFormat(OP, options.dataFormat);
  return tf.tidy(() => {
    const xN = toNHWC(x, format);
    const dyN = toNHWC(dy, format);
    const geo = resolveDilatedGeometry(OP, xN.shape, filterShape, strides, padToNHWC(pad, format), dilations, options.dimRoundingMode);
    const { g } = geo;
    assertOutShape(OP, dyN.shape, g);
    const plan = planIm2col(geo, options.maxColsBytes ?? GPU_GRAD_DEFAULTS.maxColsBytes, options.splitK);
    // Pad (or crop) x to exactly the rows and columns the windows read.
    const needH = g.strideHeight * (g.outHeight - 1) + g.filterHeight;
    const needW = g.strideWidth * (g.outWidth - 1) + g.filterWidth;
    const xP = padOrCrop(xN, {
      top: g.pad.top,
      bottom: needH - g.inHeight - g.pad.top,
      left: g.pad.left,
      right: needW - g.inWidth - g.pad.left,
    });
    const parts: tf.Tensor2D[] = [];
    for (let band = 0; band < plan.bands; band++) {
      const i0 = band * plan.bandRows;
      const rows = Math.min(plan.bandRows, g.outHeight - i0);
      const dyBand = plan.bands === 1 ? dyN : tf.slice(dyN, [0, i0, 0, 0], [g.batch, rows, g.outWidth, g.outChannels]);
      // A short last band may not divide by splitK: it runs as one matMul.
      const split = (g.batch * rows) % plan.splitK === 0 ? plan.splitK : 1;
      parts.push(bandGrad(im2colBand(xP, geo, i0, rows), dyBand, split));
    }
    const dw = parts.length === 1 ? parts[0]! : tf.addN(parts);
    return tf.reshape(dw, filterShape);
  });
}

function kernelFunc(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x = asTensor<tf.Rank.R4>(args.inputs['x']!);
  const dy = asTensor<tf.Rank.R4>(args.inputs['dy']!);
  try {
    return conv2dBackpropFilterIm2col(x.t, dy.t, attrs.filterShape, attrs.strides, attrs.pad, 1, {
      dimRoundingMode: attrs.dimRoundingMode,
      dataFormat: attrs.dataFormat,
    });
  } finally {
    if (x.owned) x.t.dispose();
    if (dy.owned) dy.t.dispose();
  }
}

/** A `Conv2DBackpropFilter` kernel config running {@link conv2dBackpropFilterIm2col} on `backendName`. */
export function im2colFilterGradKernel(backendName: string): tf.KernelConfig {
  return { kernelName: tf.Conv2DBackpropFilter, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
