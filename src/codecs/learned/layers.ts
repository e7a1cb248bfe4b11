/**
 * Transform layers of the learned codecs. Each factory registers its parameters with a
 * ParamBuilder (fixing their place in the flat order) and returns a pure function of
 * (parameter tensors, input). Architecture after CompressAI (`layers/gdn.py`, `layers/layers.py`).
 *
 * Upsampling: `convTranspose` (5×5, stride 2, as CompressAI's `deconv`) for factorized and
 * hyperprior; sub-pixel convolution (`subpelConv`, conv + pixel shuffle) for cheng2020-attn, as
 * CompressAI. Both train on the wasm backend once splitwire's conv gradient kernels are
 * registered (a transposed conv's filter gradient is a Conv2DBackpropFilter). The pixel shuffle
 * is reshape/transpose, not tf.depthToSpace, which has no gradient in tfjs 4.22.
 */
import * as tf from '@tensorflow/tfjs';
import { lowerBound } from './ops.js';
import type { ParamBuilder } from './params.js';

/** A layer: pure function of the codec's parameter tensors and an NHWC input. */
export type Layer = (p: tf.Tensor[], x: tf.Tensor4D) => tf.Tensor4D;

/** Layers applied in order. */
export function sequential(...layers: Layer[]): Layer {
  return (p, x) => layers.reduce((h, l) => l(p, h), x);
}

/** Elementwise activations as layers (LeakyReLU slope 0.01, PyTorch's default). */
export const relu: Layer = (_p, x) => tf.relu(x);
export const leakyRelu: Layer = (_p, x) => tf.leakyRelu(x, 0.01);

function convInit(b: ParamBuilder, name: string, shape: number[], fanIn: number, cout: number): number {
  const bound = 1 / Math.sqrt(fanIn);
  const w = b.add(`${name}.w`, shape, { kind: 'uniform', bound });
  b.add(`${name}.b`, [cout], { kind: 'uniform', bound });
  return w;
}

/** k×k conv, 'same' padding, stride 1 or 2 (output H/stride). Weight [k,k,cin,cout], then bias. */
export function conv(b: ParamBuilder, name: string, cin: number, cout: number, k: number, stride = 1): Layer {
  if (k === 1 && stride === 1) return conv1x1(b, name, cin, cout);
  const w = convInit(b, name, [k, k, cin, cout], k * k * cin, cout);
  return (p, x) =>
    tf.fused.conv2d({ x, filter: p[w] as tf.Tensor4D, bias: p[w + 1], strides: stride, pad: 'same' });
}

/**
 * 1×1 conv as a matmul over pixels: weight [cin, cout], then bias. A matmul trains on every
 * backend without conv filter-gradient kernels.
 */
export function conv1x1(b: ParamBuilder, name: string, cin: number, cout: number): Layer {
  const w = convInit(b, name, [cin, cout], cin, cout);
  return (p, x) => {
    const [n, h, wd, c] = x.shape;
    const y = tf.matMul(tf.reshape(x, [n * h * wd, c]), p[w] as tf.Tensor2D);
    return tf.reshape(tf.add(y, p[w + 1] as tf.Tensor), [n, h, wd, -1]);
  };
}

/** k×k transposed conv, stride 2 ('same': output 2H×2W). Weight [k,k,cout,cin] (tfjs layout), then bias. */
export function convTranspose(b: ParamBuilder, name: string, cin: number, cout: number, k = 5): Layer {
  const bound = 1 / Math.sqrt(k * k * cin);
  const w = b.add(`${name}.w`, [k, k, cout, cin], { kind: 'uniform', bound });
  b.add(`${name}.b`, [cout], { kind: 'uniform', bound });
  return (p, x) => {
    const [n, h, wd] = x.shape;
    const y = tf.conv2dTranspose(x, p[w] as tf.Tensor4D, [n, 2 * h, 2 * wd, cout], 2, 'same');
    return tf.add(y, p[w + 1] as tf.Tensor) as tf.Tensor4D;
  };
}

/**
 * Pixel shuffle (PyTorch `PixelShuffle`, tf.depthToSpace in NHWC): [n,h,w,r·r·c] →
 * [n,h·r,w·r,c] with out[h·r+i, w·r+j, c] = in[h, w, (i·r+j)·c + c']. Reshape and a rank-4
 * transpose only, so it has gradients on every backend.
 */
export function pixelShuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [n, h, w, d] = x.shape;
  const c = d / (r * r);
  const a = tf.reshape(x, [n * h, w, r, r * c]);
  const t = tf.transpose(a, [0, 2, 1, 3]);
  return tf.reshape(t, [n, h * r, w * r, c]);
}

/** Sub-pixel conv: 3×3 conv to cout·r² channels, then pixel shuffle (CompressAI `subpel_conv3x3`). */
export function subpelConv(b: ParamBuilder, name: string, cin: number, cout: number, r = 2): Layer {
  const c = conv(b, name, cin, cout * r * r, 3);
  return (p, x) => pixelShuffle(c(p, x), r);
}

/** Ballé's reparametrisation offset: parameters are stored as √(value + pedestal), pedestal = 2^-36. */
export const GDN_PEDESTAL = 2 ** -36;
/** Floor of GDN's β (CompressAI `beta_min`). */
export const GDN_BETA_MIN = 1e-6;
/** Initial γ = 0.1·I (CompressAI `gamma_init`). */
export const GDN_GAMMA_INIT = 0.1;

/** The non-negative value a stored GDN parameter p stands for: max(p, √(min + pedestal))² − pedestal. */
export function nonNegative(p: tf.Tensor, minimum: number): tf.Tensor {
  return tf.sub(tf.square(lowerBound(p, Math.sqrt(minimum + GDN_PEDESTAL))), GDN_PEDESTAL);
}

/**
 * GDN (Ballé et al. 2016), y_i = x_i / √(β_i + Σ_j γ_ij x_j²); `inverse` gives IGDN,
 * y_i = x_i · √(β_i + Σ_j γ_ij x_j²). Parameters: β [c] then γ stored transposed, [c_j, c_i],
 * so x² @ γ is the norm; both through `nonNegative`, initialised to β = 1, γ = 0.1·I.
 */
export function gdn(b: ParamBuilder, name: string, c: number, inverse = false): Layer {
  const beta = b.add(`${name}.beta`, [c], { kind: 'const', value: Math.sqrt(1 + GDN_PEDESTAL) });
  const eye = Array.from({ length: c * c }, (_, i) =>
    Math.sqrt((i % (c + 1) === 0 ? GDN_GAMMA_INIT : 0) + GDN_PEDESTAL),
  );
  b.add(`${name}.gamma`, [c, c], { kind: 'values', values: eye });
  return (p, x) => {
    const [n, h, w] = x.shape;
    const betaV = nonNegative(p[beta] as tf.Tensor, GDN_BETA_MIN);
    const gammaV = nonNegative(p[beta + 1] as tf.Tensor, 0) as tf.Tensor2D;
    const sq = tf.reshape(tf.square(x), [n * h * w, c]);
    const norm = tf.reshape(tf.add(tf.matMul(sq as tf.Tensor2D, gammaV), betaV), [n, h, w, c]);
    return tf.mul(x, inverse ? tf.sqrt(norm) : tf.rsqrt(norm)) as tf.Tensor4D;
  };
}

/** Adds the layer's input to its output (skip connection). */
function residual(body: Layer, skip: Layer | null): Layer {
  return (p, x) => tf.add(body(p, x), skip ? skip(p, x) : x) as tf.Tensor4D;
}

/** conv3×3, LeakyReLU, conv3×3, LeakyReLU, plus the input (1×1 conv when channels change). */
export function residualBlock(b: ParamBuilder, name: string, cin: number, cout: number): Layer {
  const body = sequential(conv(b, `${name}.conv1`, cin, cout, 3), leakyRelu, conv(b, `${name}.conv2`, cout, cout, 3), leakyRelu);
  return residual(body, cin === cout ? null : conv1x1(b, `${name}.skip`, cin, cout));
}

/** conv3×3 stride 2, LeakyReLU, conv3×3, GDN, plus a strided 1×1 conv of the input. */
export function residualBlockWithStride(b: ParamBuilder, name: string, cin: number, cout: number): Layer {
  const body = sequential(
    conv(b, `${name}.conv1`, cin, cout, 3, 2),
    leakyRelu,
    conv(b, `${name}.conv2`, cout, cout, 3),
    gdn(b, `${name}.gdn`, cout),
  );
  const w = convInit(b, `${name}.skip`, [1, 1, cin, cout], cin, cout);
  const skip: Layer = (p, x) => tf.fused.conv2d({ x, filter: p[w] as tf.Tensor4D, bias: p[w + 1], strides: 2, pad: 'same' });
  return residual(body, skip);
}

/** Sub-pixel conv ×2, LeakyReLU, conv3×3, IGDN, plus a sub-pixel conv of the input. */
export function residualBlockUpsample(b: ParamBuilder, name: string, cin: number, cout: number): Layer {
  const body = sequential(
    subpelConv(b, `${name}.subpel`, cin, cout),
    leakyRelu,
    conv(b, `${name}.conv`, cout, cout, 3),
    gdn(b, `${name}.igdn`, cout, true),
  );
  return residual(body, subpelConv(b, `${name}.upsample`, cin, cout));
}

/** Bottleneck residual unit of the attention block: 1×1 → c/2, 3×3, 1×1 → c, plus input, ReLU. */
function residualUnit(b: ParamBuilder, name: string, c: number): Layer {
  const half = Math.max(1, c >> 1);
  const body = sequential(
    conv1x1(b, `${name}.conv1`, c, half),
    relu,
    conv(b, `${name}.conv2`, half, half, 3),
    relu,
    conv1x1(b, `${name}.conv3`, half, c),
  );
  return (p, x) => tf.relu(tf.add(body(p, x), x)) as tf.Tensor4D;
}

/**
 * Cheng et al. 2020's simplified attention module (no non-local block): a trunk of `units`
 * residual units times the sigmoid of a mask branch (`units` residual units and a 1×1 conv),
 * plus the input. CompressAI's `AttentionBlock` uses 3 units per branch.
 */
export function attentionBlock(b: ParamBuilder, name: string, c: number, units = 3): Layer {
  const trunk = sequential(...Array.from({ length: units }, (_, i) => residualUnit(b, `${name}.a${i}`, c)));
  const mask = sequential(
    ...Array.from({ length: units }, (_, i) => residualUnit(b, `${name}.b${i}`, c)),
    conv1x1(b, `${name}.b_out`, c, c),
  );
  return (p, x) => tf.add(tf.mul(trunk(p, x), tf.sigmoid(mask(p, x))), x) as tf.Tensor4D;
}

/** Which taps of a 5×5 context kernel are live (row-major, 25 entries). */
export type KernelMask = readonly (0 | 1)[];

/** Type A raster mask (PixelCNN, van den Oord et al. 2016): rows above, and left of the centre. */
export const MASK_A_5x5: KernelMask = Array.from({ length: 25 }, (_, i) => (i < 12 ? 1 : 0));

/** Checkerboard mask (He et al. 2021): the taps at odd Manhattan distance from the centre. */
export const MASK_CHECKERBOARD_5x5: KernelMask = Array.from({ length: 25 }, (_, i) =>
  ((Math.floor(i / 5) + (i % 5)) & 1) === 1 ? 1 : 0,
);

/**
 * Masked 5×5 conv (stride 1, 'same'): weight [5,5,cin,cout] times `mask` on its taps, then bias.
 * With MASK_A_5x5 this is the context model of Minnen et al. 2018 / Cheng et al. 2020.
 */
export function maskedConv5x5(b: ParamBuilder, name: string, cin: number, cout: number, mask: KernelMask): Layer {
  const live = mask.reduce<number>((n, m) => n + m, 0);
  const w = convInit(b, name, [5, 5, cin, cout], live * cin, cout);
  return (p, x) => {
    const m = tf.reshape(tf.tensor1d(mask as number[], 'float32'), [5, 5, 1, 1]);
    const filter = tf.mul(p[w] as tf.Tensor4D, m) as tf.Tensor4D;
    return tf.fused.conv2d({ x, filter, bias: p[w + 1], strides: 1, pad: 'same' });
  };
}
