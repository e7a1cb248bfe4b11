import * as tf from '@tensorflow/tfjs';
import {
  asTensor,
  assertOutShape,
  conv2dWithPads,
  resolveConvGeometry,
  type ConvGeometry,
  type ConvGradAttrs,
} from './convGeometry.js';

/**
 * One spatial axis of the phase decomposition of dx. For output phase r (p = s*u + r):
 *   dx[s*u + r] = sum_{m=mMin..mMax} dy[u - m] * w[r + pad + s*m]   (w is 0 outside [0,k)),
 * a stride-1 correlation of dy with taps j = mMax - m, so dy is padded by mMax in front.
 */
interface PhaseAxis {
  /** Taps per phase (T' = mMax - mMin + 1); ceil(k/s) or one more. */
  taps: number;
  /** Phase-grid length ceil(in/s): the conv's output length along the axis. */
  cells: number;
  /** dy padding (negative crops) before and after, for a stride-1 'valid' conv. */
  padBefore: number;
  padAfter: number;
  /** Filter index of (tap j, phase r), or -1 where the tap falls outside the filter. */
  index: (j: number, r: number) => number;
}

function phaseAxis(inSize: number, outSize: number, k: number, s: number, pad: number): PhaseAxis {
  const mMin = -Math.floor((s - 1 + pad) / s);
  const mMax = Math.floor((k - 1 - pad) / s);
  const taps = mMax - mMin + 1;
  const cells = Math.ceil(inSize / s);
  return {
    taps,
    cells,
    padBefore: mMax,
    padAfter: cells + taps - 1 - outSize - mMax,
    index: (j, r) => {
      const a = r + pad + s * (mMax - j);
      return a >= 0 && a < k ? a : -1;
    },
  };
}

/**
 * The sub-pixel filter [Th, Tw, co, sh*sw*ci]: entry [jh, jw, o, (rh, rw, c)] is
 * w[ah(jh, rh), aw(jw, rw), c, o] from {@link phaseAxis}, or 0. It is the filter rotated
 * 180° with in/out swapped, split into the s*s phases of the strided forward conv.
 * Built on the host from the filter's values: the filter is small, and wasm's GatherV2
 * measured ~50 ns per element (3.6 ms for a 5x5x32x64 filter, ~20% of the gradient).
 */
function subPixelFilter(filter: tf.Tensor4D, g: ConvGeometry, ah: PhaseAxis, aw: PhaseAxis): tf.Tensor4D {
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const kw = g.filterWidth;
  const ci = g.inChannels;
  const co = g.outChannels;
  const w = filter.dataSync();
  const out = new Float32Array(ah.taps * aw.taps * co * sh * sw * ci);
  let q = 0;
  for (let jh = 0; jh < ah.taps; jh++) {
    for (let jw = 0; jw < aw.taps; jw++) {
      for (let o = 0; o < co; o++) {
        for (let rh = 0; rh < sh; rh++) {
          const a = ah.index(jh, rh);
          for (let rw = 0; rw < sw; rw++) {
            const b = aw.index(jw, rw);
            if (a < 0 || b < 0) {
              q += ci; // taps outside the filter stay 0
              continue;
            }
            const base = (a * kw + b) * ci * co + o;
            for (let c = 0; c < ci; c++) out[q++] = w[base + c * co]!;
          }
        }
      }
    }
  }
  return tf.tensor4d(out, [ah.taps, aw.taps, co, sh * sw * ci]);
}

/**
 * dx of an NHWC conv2d by the sub-pixel (phase) decomposition: one stride-1 conv of dy
 * with {@link subPixelFilter} gives all s*s output phases as channels, and a
 * depth-to-space puts them in place. For stride 1 it is the classic conv of dy with the
 * rotated filter. Its cost is the forward conv's times (T*s/k)^2 (1.44 for 5x5 stride 2).
 */
export function inputGradBySubPixel(dy: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    const ci = g.inChannels;
    const ah = phaseAxis(g.inHeight, g.outHeight, g.filterHeight, sh, g.pad.top);
    const aw = phaseAxis(g.inWidth, g.outWidth, g.filterWidth, sw, g.pad.left);
    const phases = conv2dWithPads(
      dy,
      subPixelFilter(filter, g, ah, aw),
      { top: ah.padBefore, bottom: ah.padAfter, left: aw.padBefore, right: aw.padAfter },
      [1, 1],
    );
    if (sh === 1 && sw === 1) return phases;
    // Depth-to-space as a rank-4 transpose: wasm's DepthToSpace measured ~15x slower,
    // and its rank-6 Transpose takes a slow generic path.
    const rowsFirst = tf.reshape(phases, [g.batch * ah.cells, aw.cells, sh, sw * ci]);
    const full = tf.reshape<tf.Rank.R4>(tf.transpose(rowsFirst, [0, 2, 1, 3]), [
      g.batch,
      ah.cells * sh,
      aw.cells * sw,
      ci,
    ]);
    return cropTrailing(full, g.inHeight, g.inWidth);
  });
}

/** Drops trailing rows/columns (only when the input size is not a multiple of the stride). */
function cropTrailing(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  const [n, fullH, fullW, c] = x.shape;
  if (fullW !== w) return tf.slice(x, [0, 0, 0, 0], [n, h, w, c]);
  if (fullH === h) return x;
  // Rows only: slice [n, rows, W*c] so each copied run is a whole image row.
  return tf.reshape(tf.slice(tf.reshape(x, [n, fullH, fullW * c]), [0, 0, 0], [n, h, fullW * c]), [n, h, w, c]);
}

/**
 * Input gradient of an NHWC conv2d (dilation 1), on whatever backend is active.
 * @example conv2dInputGrad([8, 64, 64, 16], dy, w, { strides: 2, pad: 'same' })
 */
export function conv2dInputGrad(
  inputShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: ConvGradAttrs,
): tf.Tensor4D {
  const g = resolveConvGeometry(
    'Conv2DBackpropInput',
    inputShape,
    filter.shape,
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
    attrs.dataFormat ?? 'NHWC',
  );
  assertOutShape('Conv2DBackpropInput', dy.shape, g);
  return inputGradBySubPixel(dy, filter, g);
}

function conv2dBackpropInputKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dy = asTensor<tf.Rank.R4>(args.inputs['dy']!);
  const filter = asTensor<tf.Rank.R4>(args.inputs['filter']!);
  try {
    return conv2dInputGrad(attrs.inputShape, dy.t, filter.t, attrs);
  } finally {
    if (dy.owned) dy.t.dispose();
    if (filter.owned) filter.t.dispose();
  }
}

/**
 * `Conv2DBackpropInput` for wasm, replacing the built-in one: that is a scalar loop,
 * 6-13x slower than the XNNPACK conv this one runs at every shape measured (bench.ts;
 * e.g. 90 vs 7 ms for [8,64,64,16] with a 3x3x16x16 filter).
 */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputKernel as unknown as tf.KernelFunc,
};
