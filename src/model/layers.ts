/**
 * Building blocks of the U-Net parts: a builder that registers parameters in a fixed order and
 * counts FLOPs from shapes, and the few tensor ops the blocks are made of.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamSpec } from './types.js';

/** Collects a part's parameters (in call order) and its per-sample forward cost. */
export class PartBuilder {
  readonly params: ParamSpec[] = [];
  private macs = 0;
  private elementwise = 0;

  /**
   * Registers a k×k conv (weight then bias) whose output is hw×hw×cout; returns the index of the
   * weight in `params` (the bias follows it).
   */
  conv(name: string, k: number, cin: number, cout: number, hw: number, relu: boolean): number {
    const index = this.params.length;
    const fanIn = k * k * cin;
    this.params.push({ name: `${name}.w`, shape: [k, k, cin, cout], fanIn, kind: 'conv' });
    this.params.push({ name: `${name}.b`, shape: [cout], fanIn, kind: 'bias' });
    const outputs = hw * hw * cout;
    this.macs += fanIn * outputs;
    // Bias add and ReLU cost one op per output; pool, upsample and concat only move data.
    this.elementwise += outputs * (relu ? 2 : 1);
    return index;
  }

  /** Forward FLOPs for one sample: 2·MACs + elementwise. */
  flopsPerSample(): number {
    return 2 * this.macs + this.elementwise;
  }

  /** Number of scalars over all registered tensors. */
  paramCount(): number {
    return this.params.reduce((n, p) => n + shapeSize(p.shape), 0);
  }
}

/** Product of a shape's dimensions. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** 'same' stride-1 conv with bias (params[i], params[i+1]), optionally followed by ReLU. */
export function conv(p: tf.Tensor[], i: number, x: tf.Tensor4D, relu: boolean): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: p[i] as tf.Tensor4D,
    bias: p[i + 1],
    strides: 1,
    pad: 'same',
    activation: relu ? 'relu' : 'linear',
  });
}

/** 2×2 max-pool, stride 2. */
export function pool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

/**
 * 2× nearest-neighbour upsampling, by concatenating every pixel with itself along width, then
 * every row with itself. Not tf.image.resizeNearestNeighbor: the cpu backend's
 * ResizeNearestNeighborGrad (tfjs 4.22) offsets dy with the input's batch stride, so its
 * gradient is wrong for batch > 1; concat and reshape have correct gradients on every backend.
 */
export function up2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const cols = tf.reshape(tf.concat([x, x], 3), [n, h, 2 * w * c]);
  return tf.reshape(tf.concat([cols, cols], 2), [n, 2 * h, 2 * w, c]);
}
