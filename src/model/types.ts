/**
 * Shapes of the task model: a U-Net configuration, its parameters, and the parts it is cut
 * into. Parameters live in flat Float32Arrays (they cross threads as ArrayBuffers), so a part
 * is a pure function of (parameter tensors, input tensors) with a fixed parameter order.
 */
import type * as tf from '@tensorflow/tfjs';

/** U-Net hyper-parameters. */
export interface UNetConfig {
  /** Channels of the input image (1 grey, 3 RGB). */
  inChannels: number;
  /** Segmentation classes including background (≥ 2). */
  classes: number;
  /** Channels of level 0; level l has baseChannels·2^l. */
  baseChannels: number;
  /** Levels including the first (full-resolution) one; the deepest is the bottleneck. ≥ 3. */
  depth: number;
  /** Input height = width; divisible by 2^(depth−1). */
  size: number;
}

/** One parameter tensor of a part, in the part's flat order. */
export interface ParamSpec {
  /** Globally unique across topologies, e.g. `enc1.conv2.w`; the same weight has the same name in every cut. */
  name: string;
  /** Conv weights `[kh, kw, inC, outC]` (tfjs filter layout), biases `[outC]`. */
  shape: number[];
  /** kh·kw·inC of the conv the tensor belongs to (He init uses it for weights). */
  fanIn: number;
  kind: 'conv' | 'bias';
}

/** FE/M/BE: U-shaped cut (client, server, client). FE1/S: label-sharing cut (client, server). */
export type PartName = 'FE' | 'M' | 'BE' | 'FE1' | 'S';

/** The two ways of cutting the U-Net. */
export type Topology = 'u-shaped' | 'label-sharing';

/** A contiguous piece of the U-Net. Tensors are NHWC. */
export interface ModelPart {
  name: PartName;
  /** In flat order: the part's Float32Array is these tensors, row-major, concatenated. */
  params: ParamSpec[];
  /** Total number of scalars in `params`. */
  paramCount: number;
  /** Shapes `forward` expects, for a batch of `batch`. */
  inputShapes(batch: number): number[][];
  /** Shapes `forward` returns, for a batch of `batch`. */
  outputShapes(batch: number): number[][];
  /**
   * Runs the part. Intermediates are released (tidy); the caller owns the returned tensors
   * and keeps ownership of `params` and `inputs`. Throws if an input's shape is wrong.
   */
  forward(params: tf.Tensor[], inputs: tf.Tensor[]): tf.Tensor[];
  /** Forward FLOPs: 2·MACs of the convs plus bias and ReLU (1 each per output), from shapes. */
  forwardFlops(batch: number): number;
}

/** A U-Net cut into parts; `parts` holds FE, M, BE (u-shaped) or FE1, S (label-sharing). */
export interface SplitModel {
  topology: Topology;
  config: UNetConfig;
  parts: Partial<Record<PartName, ModelPart>>;
}
