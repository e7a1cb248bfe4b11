import * as tf from '@tensorflow/tfjs';
import {
  asTensor,
  resolveConvGeometry,
  type ConvGeometry,
  type ConvPad,
  type DimRoundingMode,
} from './convGeometry.js';

/** How the filter gradient is computed; see the two functions below. */
export type FilterGradMethod = 'conv' | 'im2col';

/**
 * dW as one conv2d (formulation b): channels of x become the batch, the batch of x
 * becomes the input channels, and dy is the filter, dilated by the forward stride:
 *   dW[a,b,c,o] = sum_{n,i,j} xpad[n, s*i+a, s*j+b, c] * dy[n,i,j,o]
 *              = conv(xT[c,:,:,n], dyT[i,j,n,o], dilation s)[c,a,b,o].
 * With only N input channels XNNPACK's GEMM runs a short inner loop, so the output rows
 * are also split into `groups` bands of R rows, stacked on the channel axis next to n
 * (each band's x tile keeps its kh-1 halo rows): same FLOPs, groups*N input channels.
 */
export function filterGradByConv(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, groups = 1): tf.Tensor4D {
  return tf.tidy(() => {
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    const n = g.batch;
    const ci = g.inChannels;
    const band = Math.ceil(g.outHeight / groups);
    const bands = Math.ceil(g.outHeight / band);
    const tileH = sh * (band - 1) + g.filterHeight;
    const needH = sh * (bands * band - 1) + g.filterHeight;
    const needW = sw * (g.outWidth - 1) + g.filterWidth;
    const xP = padOrCrop(x, g.pad.top, needH - g.inHeight - g.pad.top, g.pad.left, needW - g.inWidth - g.pad.left);
    let tiles: tf.Tensor4D;
    let filter: tf.Tensor4D;
    if (bands === 1) {
      tiles = tf.transpose(xP, [3, 1, 2, 0]);
      filter = tf.transpose(dy, [1, 2, 0, 3]);
    } else {
      // [n*c, H*W] planes; each band is one contiguous run per plane (cheap wasm Slice).
      const planes = tf.reshape<tf.Rank.R2>(tf.transpose(xP, [0, 3, 1, 2]), [n * ci, needH * needW]);
      const parts: tf.Tensor2D[] = [];
      for (let t = 0; t < bands; t++) {
        parts.push(tf.slice(planes, [0, sh * band * t * needW], [n * ci, tileH * needW]));
      }
      // [(band, n), c, tileH*W] -> [c, tileH*W, (band, n)]
      const stacked = tf.reshape(tf.concat(parts, 0), [bands * n, ci, tileH * needW]);
      tiles = tf.reshape(tf.transpose(stacked, [1, 2, 0]), [ci, tileH, needW, bands * n]);
      const dyP =
        bands * band === g.outHeight ? dy : tf.pad(dy, [[0, 0], [0, bands * band - g.outHeight], [0, 0], [0, 0]]);
      const byBand = tf.reshape(dyP, [n, bands, band * g.outWidth, g.outChannels]);
      filter = tf.reshape(tf.transpose(byBand, [2, 1, 0, 3]), [band, g.outWidth, bands * n, g.outChannels]);
    }
    const out = tf.conv2d(tiles, filter, 1, 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * dW as one matmul over an im2col matrix (formulation a):
 *   dW[(a,b,c), o] = sum_{(n,i,j)} xpad[n, s*i+a, s*j+b, c] * dy[(n,i,j), o].
 * x is padded, split into its s*s stride phases and laid out channel-major, so that each
 * tap's window is one contiguous run of every (c, n) plane: the window for tap (a,b) is
 * the flat range starting at (a/s)*Wq + b/s of phase (a%s, b%s), oh*Wq long. The run
 * includes Wq-ow columns past the window's right edge; dy is zero-padded to Wq columns
 * so they add nothing. Contiguous runs matter because wasm's Slice copies row by row in
 * JS; both matmul operands keep the long axis inner because a transposed-A matMul on
 * wasm is ~10x slower.
 */
export function filterGradByIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    const ci = g.inChannels;
    const n = g.batch;
    const hq = Math.ceil((sh * (g.outHeight - 1) + g.filterHeight) / sh);
    const wq = Math.ceil((sw * (g.outWidth - 1) + g.filterWidth) / sw);
    // One spare phase row: the last tap's run reaches up to (kw-1)/s elements past hq rows.
    const hp = sh * (hq + 1);
    const wp = sw * wq;
    const xP = padOrCrop(x, g.pad.top, hp - g.inHeight - g.pad.top, g.pad.left, wp - g.inWidth - g.pad.left);
    // Channel-major, then the stride phases to the front. Both transposes are rank 4:
    // wasm's Transpose falls to a slow generic path above rank 4 (~100x on [8,35,2,34,2,16]).
    const channelMajor = tf.transpose(xP, [3, 0, 1, 2]);
    const phases =
      sh === 1 && sw === 1
        ? channelMajor
        : tf.transpose(tf.reshape(channelMajor, [ci * n * (hq + 1), sh, wq, sw]), [1, 3, 0, 2]);
    const flat = tf.reshape(phases, [sh * sw * ci, n, (hq + 1) * wq]);
    const run = g.outHeight * wq;
    const m = n * run;
    const rows: tf.Tensor2D[] = [];
    for (let a = 0; a < g.filterHeight; a++) {
      for (let b = 0; b < g.filterWidth; b++) {
        const phase = (a % sh) * sw + (b % sw);
        const start = Math.floor(a / sh) * wq + Math.floor(b / sw);
        rows.push(tf.reshape(tf.slice(flat, [phase * ci, 0, start], [ci, n, run]), [ci, m]));
      }
    }
    const cols = rows.length === 1 ? rows[0]! : tf.concat(rows, 0);
    const dyP = wq === g.outWidth ? dy : tf.pad(dy, [[0, 0], [0, 0], [0, wq - g.outWidth], [0, 0]]);
    const dw = tf.matMul(cols, tf.reshape(dyP, [m, g.outChannels]));
    return tf.reshape(dw, [g.filterHeight, g.filterWidth, ci, g.outChannels]);
  });
}

/** Zero-pads (positive) or crops (negative) the spatial sides of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ct = Math.max(0, -top);
  const cb = Math.max(0, -bottom);
  const cl = Math.max(0, -left);
  const cr = Math.max(0, -right);
  const cropped = ct + cb + cl + cr > 0 ? tf.slice(x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]) : x;
  return tf.pad(cropped, [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ]);
}

/**
 * Picks the faster formulation for a shape. Measured on wasm (SIMD, one thread): the
 * conv form wins while the batch is a usable channel count for XNNPACK; with batch 1
 * its GEMM depth is 1 and the im2col matmul wins.
 */
export function chooseFilterGradMethod(g: ConvGeometry): FilterGradMethod {
  return g.batch >= 4 ? 'conv' : 'im2col';
}

/** Filter gradient of an NHWC conv2d on any backend, by the chosen formulation. */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode?: DimRoundingMode,
  method?: FilterGradMethod,
): tf.Tensor4D {
  const g = resolveConvGeometry('Conv2DBackpropFilter', x.shape, filterShape, strides, pad, dimRoundingMode, 'NHWC');
  if (dy.shape[0] !== g.batch || dy.shape[1] !== g.outHeight || dy.shape[2] !== g.outWidth || dy.shape[3] !== g.outChannels) {
    throw new Error(
      `Conv2DBackpropFilter: dy must have shape [${g.batch},${g.outHeight},${g.outWidth},${g.outChannels}], got [${dy.shape.join(',')}]`,
    );
  }
  const chosen = method ?? chooseFilterGradMethod(g);
  return chosen === 'conv' ? filterGradByConv(x, dy, g) : filterGradByIm2col(x, dy, g);
}

function conv2dBackpropFilterKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x = asTensor<tf.Rank.R4>(args.inputs['x']!);
  const dy = asTensor<tf.Rank.R4>(args.inputs['dy']!);
  try {
    resolveConvGeometry('Conv2DBackpropFilter', x.t.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
    return conv2dFilterGrad(x.t, dy.t, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  } finally {
    if (x.owned) x.t.dispose();
    if (dy.owned) dy.t.dispose();
  }
}

/** `Conv2DBackpropFilter` for the wasm backend, which ships none (tfjs 4.22). */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterKernel as unknown as tf.KernelFunc,
};
