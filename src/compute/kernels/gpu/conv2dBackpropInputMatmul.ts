/**
 * The input gradient of a conv2d as one stride-1 conv2d (which GPU backends run as a tiled
 * matMul) of dy, zero-upsampled by the stride, with the filter rotated 180 degrees and its
 * in/out channels swapped. Composed only of pad, reshape, reverse, transpose and conv2d, so
 * it runs on any backend; it also serves conv2dTranspose, whose forward pass is this kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor, assertOutShape, conv2dWithPads, type ConvPad } from '../convGeometry.js';
import {
  checkDataFormat,
  fromNHWC,
  padToNHWC,
  resolveDilatedGeometry,
  shapeToNHWC,
  toNHWC,
  type GpuConvGradOptions,
} from './dilatedConvGeometry.js';

const OP = 'Conv2DBackpropInputMatmul';

/**
 * dy with s-1 zeros after every element along H and W: [N, s_h*oh, s_w*ow, C], so that
 * up[s*i] = dy[i]. Two rank-4 pads on reshaped views (no scatter, no rank-6 op).
 */
export function upsampleWithZeros(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, oh, ow, c] = dy.shape;
  let t: tf.Tensor4D = dy;
  if (sw > 1) {
    const cols = tf.pad(tf.reshape(t, [n * oh, ow, 1, c]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]);
    t = tf.reshape(cols, [n, oh, ow * sw, c]);
  }
  if (sh > 1) {
    const w = t.shape[2];
    const rows = tf.pad(tf.reshape(t, [n, oh, 1, w * c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]);
    t = tf.reshape(rows, [n, oh * sh, w, c]);
  }
  return t;
}

/**
 * Input gradient of `conv2d(x, filter, strides, pad, dataFormat, dilations)` for an input of
 * shape `xShape`. With up = dy upsampled by the stride and T the forward conv's top pad,
 *   dx[q] = sum_a up[q + T - d*a] * w[a] = (pad(up, d*(k-1) - T) (*) rot180(w)^T)[q],
 * a stride-1 correlation with dilation d (one axis shown; both work alike).
 * @example conv2dBackpropInputMatmul([8, 64, 64, 16], dy, w, 2, 'same', 1)
 */
export function conv2dBackpropInputMatmul(
  xShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | [number, number],
  pad: ConvPad,
  dilations: number | [number, number] = 1,
  options: GpuConvGradOptions = {},
): tf.Tensor4D {
  const format = checkDataFormat(OP, options.dataFormat);
  return tf.tidy(() => {
    const xN = shapeToNHWC(xShape, format);
    const dyN = toNHWC(dy, format);
    const geo = resolveDilatedGeometry(OP, xN, filter.shape, strides, padToNHWC(pad, format), dilations, options.dimRoundingMode);
    const { g, dh, dw } = geo;
    assertOutShape(OP, dyN.shape, g);
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    const pointwise = g.filterHeight === 1 && g.filterWidth === 1 && sh === 1 && sw === 1;
    if (pointwise && g.pad.top === 0 && g.pad.left === 0 && g.pad.bottom === 0 && g.pad.right === 0) {
      // 1x1, stride 1, unpadded: dx = dy . W^T over pixels, one matMul.
      const w2 = tf.reshape(filter, [g.inChannels, g.outChannels]);
      const dx = tf.matMul(tf.reshape(dyN, [-1, g.outChannels]), w2, false, true);
      return fromNHWC(tf.reshape(dx, xN), format);
    }
    const up = sh > 1 || sw > 1 ? upsampleWithZeros(dyN, sh, sw) : dyN;
    // Front pad d*(k-1) - T; back pad so the valid conv yields exactly inHeight rows
    // (negative values crop, e.g. the trailing zeros of the upsampling).
    const top = g.filterHeight - 1 - g.pad.top;
    const left = g.filterWidth - 1 - g.pad.left;
    const pads = {
      top,
      bottom: g.inHeight + g.filterHeight - 1 - top - up.shape[1],
      left,
      right: g.inWidth + g.filterWidth - 1 - left - up.shape[2],
    };
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const dx = conv2dWithPads(up, rotated, pads, [dh, dw]);
    return fromNHWC(dx, format);
  });
}

function kernelFunc(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dy = asTensor<tf.Rank.R4>(args.inputs['dy']!);
  const filter = asTensor<tf.Rank.R4>(args.inputs['filter']!);
  try {
    return conv2dBackpropInputMatmul(attrs.inputShape, dy.t, filter.t, attrs.strides, attrs.pad, 1, {
      dimRoundingMode: attrs.dimRoundingMode,
      dataFormat: attrs.dataFormat,
    });
  } finally {
    if (dy.owned) dy.t.dispose();
    if (filter.owned) filter.t.dispose();
  }
}

/** A `Conv2DBackpropInput` kernel config running {@link conv2dBackpropInputMatmul} on `backendName`. */
export function matmulInputGradKernel(backendName: string): tf.KernelConfig {
  return { kernelName: tf.Conv2DBackpropInput, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
