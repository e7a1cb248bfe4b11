/**
 * A functional U-Net cut into parts, as in SplitFedZip (arXiv 2412.17150, Fig. 1): parameters are
 * explicit tensors in a fixed order, so a part's weights are one flat Float32Array.
 *
 * Level l (0-based) has baseChannels·2^l channels. Encoder block = two 3×3 'same' convs with bias
 * and ReLU; down = 2×2 max-pool. Decoder level l: 2× nearest upsample of level l+1, 3×3 conv
 * (+bias, ReLU) to level-l channels, concat [skip, up] on channels, then a block. Head: 1×1 conv
 * to class logits. No batch norm (per-sample statistics would leak across the cut).
 *
 * Cuts: 'u-shaped' — FE = enc0, pool, enc1 → [f1 = enc1 output, skip0 = enc0 output];
 * M = pool, enc2…bottleneck, decoder up to level 1 (skip f1) → [f2]; BE = [f2, skip0] → decoder
 * level 0, head → [logits]. 'label-sharing' — FE1 = enc0 → [f1]; S = the rest → [logits].
 * A weight has the same name in both cuts (e.g. `dec1.conv2.w`).
 */
import * as tf from '@tensorflow/tfjs';
import { PartBuilder, conv, pool2, up2 } from './layers.js';
import type { ModelPart, PartName, SplitModel, Topology, UNetConfig } from './types.js';

export type { ModelPart, ParamSpec, PartName, SplitModel, Topology, UNetConfig } from './types.js';

type Params = tf.Tensor[];
type Map1 = (p: Params, x: tf.Tensor4D) => tf.Tensor4D;
type Map2 = (p: Params, below: tf.Tensor4D, skip: tf.Tensor4D) => tf.Tensor4D;

function requireInt(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`UNetConfig.${field}: must be an integer ≥ ${min}, got ${value}`);
  }
}

/** Throws with the field name and value if `cfg` is not a valid U-Net configuration. */
export function validateUNetConfig(cfg: UNetConfig): void {
  requireInt('inChannels', cfg.inChannels, 1);
  requireInt('classes', cfg.classes, 2);
  requireInt('baseChannels', cfg.baseChannels, 1);
  requireInt('depth', cfg.depth, 3);
  requireInt('size', cfg.size, 1);
  const step = 2 ** (cfg.depth - 1);
  if (cfg.size % step !== 0) {
    throw new RangeError(
      `UNetConfig.size: must be divisible by 2^(depth-1) = ${step}, got ${cfg.size}`,
    );
  }
}

/** Channels at level l. */
function ch(cfg: UNetConfig, l: number): number {
  return cfg.baseChannels * 2 ** l;
}

/** Height = width at level l. */
function res(cfg: UNetConfig, l: number): number {
  return cfg.size / 2 ** l;
}

/** Encoder block of level l (input: previous level pooled, or the image). */
function encoder(b: PartBuilder, cfg: UNetConfig, l: number): Map1 {
  const cin = l === 0 ? cfg.inChannels : ch(cfg, l - 1);
  const c = ch(cfg, l);
  const i = b.conv(`enc${l}.conv1`, 3, cin, c, res(cfg, l), true);
  const j = b.conv(`enc${l}.conv2`, 3, c, c, res(cfg, l), true);
  return (p, x) => conv(p, j, conv(p, i, x, true), true);
}

/** Decoder level l: upsample level l+1, conv to level-l channels, concat the skip, block. */
function decoder(b: PartBuilder, cfg: UNetConfig, l: number): Map2 {
  const c = ch(cfg, l);
  const hw = res(cfg, l);
  const u = b.conv(`up${l}`, 3, ch(cfg, l + 1), c, hw, true);
  const i = b.conv(`dec${l}.conv1`, 3, 2 * c, c, hw, true);
  const j = b.conv(`dec${l}.conv2`, 3, c, c, hw, true);
  return (p, below, skip) => {
    const up = conv(p, u, up2(below), true);
    return conv(p, j, conv(p, i, tf.concat([skip, up], 3), true), true);
  };
}

/**
 * Everything strictly below level l−1: maps the level-(l−1) encoder output to the level-(l−1)
 * decoder output (pool, encoder l, deeper levels, decoder l−1 with that input as skip).
 */
function inner(b: PartBuilder, cfg: UNetConfig, l: number): Map1 {
  const enc = encoder(b, cfg, l);
  const deeper = l < cfg.depth - 1 ? inner(b, cfg, l + 1) : null;
  const dec = decoder(b, cfg, l - 1);
  return (p, skip) => {
    const e = enc(p, pool2(skip));
    return dec(p, deeper ? deeper(p, e) : e, skip);
  };
}

/** 1×1 conv from level-0 channels to class logits (no activation). */
function head(b: PartBuilder, cfg: UNetConfig): Map1 {
  const i = b.conv('head', 1, ch(cfg, 0), cfg.classes, cfg.size, false);
  return (p, x) => conv(p, i, x, false);
}

type Shapes = (batch: number) => number[][];

/** Wraps a builder and a forward function as a ModelPart with shape checks and tidy. */
function makePart(
  name: PartName,
  b: PartBuilder,
  inputShapes: Shapes,
  outputShapes: Shapes,
  run: (p: Params, xs: tf.Tensor4D[]) => tf.Tensor4D[],
): ModelPart {
  const params = b.params;
  const paramCount = b.paramCount();
  const flops = b.flopsPerSample();
  return {
    name,
    params,
    paramCount,
    inputShapes,
    outputShapes,
    forwardFlops: (batch) => batch * flops,
    forward(p, inputs) {
      if (p.length !== params.length) {
        throw new RangeError(`${name}.forward: params must hold ${params.length} tensors, got ${p.length}`);
      }
      const batch = inputs[0]?.shape[0] ?? 0;
      const want = inputShapes(batch);
      if (inputs.length !== want.length) {
        throw new RangeError(`${name}.forward: inputs must hold ${want.length} tensors, got ${inputs.length}`);
      }
      inputs.forEach((x, k) => {
        const w = want[k] as number[];
        if (x.shape.length !== w.length || x.shape.some((d, a) => d !== w[a])) {
          throw new RangeError(
            `${name}.forward: inputs[${k}] must have shape [${w.join(',')}], got [${x.shape.join(',')}]`,
          );
        }
      });
      return tf.tidy(() => run(p, inputs as tf.Tensor4D[]));
    },
  };
}

function uShaped(cfg: UNetConfig): Partial<Record<PartName, ModelPart>> {
  const { size, classes, inChannels } = cfg;
  const s0 = (n: number): number[] => [n, size, size, ch(cfg, 0)];
  const s1 = (n: number): number[] => [n, size / 2, size / 2, ch(cfg, 1)];

  const bFE = new PartBuilder();
  const enc0 = encoder(bFE, cfg, 0);
  const enc1 = encoder(bFE, cfg, 1);
  const FE = makePart('FE', bFE, (n) => [[n, size, size, inChannels]], (n) => [s1(n), s0(n)], (p, [x]) => {
    const e0 = enc0(p, x as tf.Tensor4D);
    return [enc1(p, pool2(e0)), e0];
  });

  const bM = new PartBuilder();
  const mid = inner(bM, cfg, 2);
  const M = makePart('M', bM, (n) => [s1(n)], (n) => [s1(n)], (p, [f1]) => [mid(p, f1 as tf.Tensor4D)]);

  const bBE = new PartBuilder();
  const dec0 = decoder(bBE, cfg, 0);
  const out = head(bBE, cfg);
  const BE = makePart(
    'BE',
    bBE,
    (n) => [s1(n), s0(n)],
    (n) => [[n, size, size, classes]],
    (p, [f2, skip0]) => [out(p, dec0(p, f2 as tf.Tensor4D, skip0 as tf.Tensor4D))],
  );
  return { FE, M, BE };
}

function labelSharing(cfg: UNetConfig): Partial<Record<PartName, ModelPart>> {
  const { size, classes, inChannels } = cfg;
  const s0 = (n: number): number[] => [n, size, size, ch(cfg, 0)];

  const bFE1 = new PartBuilder();
  const enc0 = encoder(bFE1, cfg, 0);
  const FE1 = makePart('FE1', bFE1, (n) => [[n, size, size, inChannels]], (n) => [s0(n)], (p, [x]) => [
    enc0(p, x as tf.Tensor4D),
  ]);

  const bS = new PartBuilder();
  const rest = inner(bS, cfg, 1);
  const out = head(bS, cfg);
  const S = makePart('S', bS, (n) => [s0(n)], (n) => [[n, size, size, classes]], (p, [f1]) => [
    out(p, rest(p, f1 as tf.Tensor4D)),
  ]);
  return { FE1, S };
}

/**
 * Builds the U-Net described by `cfg`, cut for `topology`.
 * @example
 * const cfg = { inChannels: 3, classes: 2, baseChannels: 32, depth: 5, size: 256 };
 * const model = buildSplitUNet(cfg, 'u-shaped'); // FE → [f1 1×128×128×64, skip0], M → [f2], BE → logits
 */
export function buildSplitUNet(cfg: UNetConfig, topology: Topology): SplitModel {
  validateUNetConfig(cfg);
  const config = { ...cfg };
  if (topology === 'u-shaped') return { topology, config, parts: uShaped(config) };
  if (topology === 'label-sharing') return { topology, config, parts: labelSharing(config) };
  throw new RangeError(`topology: must be 'u-shaped' or 'label-sharing', got ${String(topology)}`);
}

/** Names of the parts of a topology, in forward order. */
export function partNames(topology: Topology): PartName[] {
  return topology === 'u-shaped' ? ['FE', 'M', 'BE'] : ['FE1', 'S'];
}

/** The part named `name`; throws if this topology has none. */
export function getPart(model: SplitModel, name: PartName): ModelPart {
  const part = model.parts[name];
  if (!part) throw new RangeError(`part: ${model.topology} model has no part ${name}`);
  return part;
}
