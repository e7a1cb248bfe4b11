/**
 * Shapes shared by the data layer: samples, datasets, training batches and the per-site
 * appearance shift ("style") used to make synthetic clients non-IID.
 */

/** One image with its segmentation mask. */
export interface Sample {
  /** H*W*C values in NHWC order (row-major, channels last), roughly in [0, 1]. */
  image: Float32Array;
  /** H*W class ids, row-major. */
  mask: Uint8Array;
  /** A latent per-sample category (0..3 for synthetic sets) used for non-IID partitioning. */
  category: number;
}

/** A set of same-sized samples. */
export interface Dataset {
  name: string;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** One name per class id; index 0 is the background. */
  classNames: string[];
  samples: Sample[];
}

/** Samples copied into contiguous NHWC buffers, ready to become tensors. */
export interface Batch {
  /** N*H*W*C image values. */
  x: Float32Array;
  /** N*H*W class ids. */
  y: Uint8Array;
  /** [N, H, W, C]. */
  shape: [number, number, number, number];
  classes: number;
}

/** The synthetic dataset families. */
export type SyntheticKind = 'lesion' | 'blastocyst';

/**
 * A per-site appearance shift, applied to images only (never to masks), in this order:
 * blur, contrast and brightness, gamma, colour tint, additive noise, clamp to [0, 1].
 * The identity is `{ brightness: 0, contrast: 1, gamma: 1, tint: [1, 1, 1], noiseStd: 0, blur: 0 }`.
 */
export interface StyleShift {
  /** Added after contrast, in image units. */
  brightness: number;
  /** Multiplies the deviation from 0.5. */
  contrast: number;
  /** Exponent applied to the clamped value: v ** gamma. */
  gamma: number;
  /** Per-channel RGB gains; a one-channel image uses their luminance-weighted mean. */
  tint: [number, number, number];
  /** Standard deviation of additive pixel noise. */
  noiseStd: number;
  /** Gaussian blur sigma in pixels (0 = none). */
  blur: number;
}
