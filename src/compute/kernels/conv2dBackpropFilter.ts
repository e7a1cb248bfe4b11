import * as tf from '@tensorflow/tfjs';
import {
  asTensor,
  assertOutShape,
  conv2dWithPads,
  padOrCrop,
  resolveConvGeometry,
  type ConvGeometry,
  type ConvGradAttrs,
} from './convGeometry.js';

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
    const pads = {
      top: g.pad.top,
      bottom: needH - g.inHeight - g.pad.top,
      left: g.pad.left,
      right: needW - g.inWidth - g.pad.left,
    };
    if (bands === 1) {
      // [c, H, W, n]: x's channels as the batch, its batch as the channels; the conv
      // pads (XNNPACK reads zeros for padding, no copy).
      const xT = tf.transpose(x, [3, 1, 2, 0]);
      const out = conv2dWithPads(xT, tf.transpose(dy, [1, 2, 0, 3]), pads, [sh, sw]);
      return tf.transpose(out, [1, 2, 0, 3]);
    }
    const xT = tf.transpose(padOrCrop(x, pads), [3, 1, 2, 0]);
    // Band t is rows [s*band*t, s*band*t + tileH): one contiguous run per channel plane.
    const planes = tf.reshape<tf.Rank.R2>(xT, [ci, needH * needW * n]);
    const parts: tf.Tensor2D[] = [];
    for (let t = 0; t < bands; t++) {
      parts.push(tf.slice(planes, [0, sh * band * t * needW * n], [ci, tileH * needW * n]));
    }
    // [band, c*tileH*W, n] -> [c*tileH*W, band, n]: bands join n on the channel axis.
    const stacked = tf.reshape(tf.concat(parts, 0), [bands, ci * tileH * needW, n]);
    const tiles = tf.reshape<tf.Rank.R4>(tf.transpose(stacked, [1, 0, 2]), [ci, tileH, needW, bands * n]);
    const dyP =
      bands * band === g.outHeight ? dy : tf.pad(dy, [[0, 0], [0, bands * band - g.outHeight], [0, 0], [0, 0]]);
    const byBand = tf.reshape(dyP, [n, bands, band * g.outWidth, g.outChannels]);
    const filter = tf.reshape<tf.Rank.R4>(tf.transpose(byBand, [2, 1, 0, 3]), [
      band,
      g.outWidth,
      bands * n,
      g.outChannels,
    ]);
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
    const xP = padOrCrop(x, {
      top: g.pad.top,
      bottom: hp - g.inHeight - g.pad.top,
      left: g.pad.left,
      right: wp - g.inWidth - g.pad.left,
    });
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

/** How dW is computed: a grouped conv (`groups` row bands) or an im2col matmul. */
export type FilterGradPlan = { method: 'conv'; groups: number } | { method: 'im2col' };

/**
 * Picks the formulation for a shape, from CPU-time measurements on wasm (SIMD, one
 * thread; U-Net levels 16-64 channels, 64x64 down to 16x16, batch 8, and 5x5 stride-2
 * codec layers): the ungrouped conv form is fastest for batch >= 2 at every shape tried
 * (1.4-2x the forward conv; im2col 2-5x; more bands 1.2-4x; a width-folded im2col
 * feeding the conv ow*N-deep channels 1.3-1.7x the conv form). With batch 1, two bands
 * gain ~10%. A 1x1 unpadded filter is one matmul (im2col with one tap).
 */
export function planFilterGrad(g: ConvGeometry): FilterGradPlan {
  const pointwise = g.filterHeight === 1 && g.filterWidth === 1 && g.pad.top === 0 && g.pad.left === 0;
  if (pointwise) return { method: 'im2col' };
  return { method: 'conv', groups: g.batch === 1 ? Math.min(2, g.outHeight) : 1 };
}

/**
 * Filter gradient of an NHWC conv2d (dilation 1), on whatever backend is active.
 * @example conv2dFilterGrad(x, dy, [3, 3, 16, 16], { strides: 1, pad: 'same' })
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
  plan?: FilterGradPlan,
): tf.Tensor4D {
  const g = resolveConvGeometry(
    'Conv2DBackpropFilter',
    x.shape,
    filterShape,
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
    attrs.dataFormat ?? 'NHWC',
  );
  assertOutShape('Conv2DBackpropFilter', dy.shape, g);
  const chosen = plan ?? planFilterGrad(g);
  return chosen.method === 'conv' ? filterGradByConv(x, dy, g, chosen.groups) : filterGradByIm2col(x, dy, g);
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
    return conv2dFilterGrad(x.t, dy.t, attrs.filterShape, attrs);
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
