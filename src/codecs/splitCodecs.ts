/**
 * The codecs a scenario can name for its split tensors (`codec.name`), one descriptor each:
 * how it fills a slot's plan, which settings the run summary reports, and what it requires of
 * the scenario. The classic ones follow from `CLASSIC_CODECS` (registry.ts); the learned ones
 * and the `ayad` baseline are declared here. Nothing outside src/codecs branches on a codec name.
 */
import type { CodecSlot } from '../protocol/messages.js';
import type { ClassicCodecDescriptor, SlotPlan } from './descriptor.js';
import type { LearnedCodecName, LearnedCodecSpec, ResolvedLearnedSpec } from './learned/types.js';
import { CLASSIC_CODECS } from './registry.js';

/** The scenario's `codec` block, as the descriptors read it (defaults applied by the scenario schema). */
export interface CodecBlock {
  name: string;
  scheme: 'features' | 'gradients' | 'both';
  freezeAfterRounds?: number | undefined;
  lossThreshold: number;
  lambda?: number | undefined;
  lambdaG?: number | undefined;
  distortion: number;
  latent?: number | undefined;
  stages?: number | undefined;
  context: 'serial' | 'checkerboard';
  lr: number;
  gradientLr: number;
  entropyLr: number;
  warmupRounds: number;
  syncEvery: number;
  updateBits: 8 | 16 | 32;
  /** Classic codecs' options (`bits`, `fraction`, …), by field name. */
  [option: string]: unknown;
}

/** The split tensor a codec sees: the front part's output, per sample. */
export interface SplitGeometry {
  topology: 'u-shaped' | 'label-sharing';
  /** Channels and height (= width) of the F1 tensor. */
  channels: number;
  size: number;
}

/** A summary's codec record: the settings that apply to the codec named, defaults resolved. */
export type CodecSettings = { name: string; scheme: string; [setting: string]: string | number | boolean | undefined };

/** A codec a scenario can name (`codec.name`). */
export interface SplitCodecDescriptor {
  readonly name: string;
  /** The plan of a slot that this codec compresses (`scheme` decides which do). */
  plan(slot: CodecSlot, c: CodecBlock, g: SplitGeometry): SlotPlan;
  /** The summary's settings beyond name and scheme; `spec` is a learned slot's resolved spec, if any. */
  settings(c: CodecBlock, spec: ResolvedLearnedSpec | undefined): Record<string, string | number | boolean | undefined>;
  /** What the scenario must satisfy for this codec, as `path: must be …, got …` lines. */
  problems(c: CodecBlock, splitSize: number, dataSize: number): string[];
}

/**
 * Operating points of the learned codecs when the scenario does not set them: λ weighs bits
 * per element of the split tensor against the task loss; λ_g weighs the gradient codec's MSE
 * (in units of the gradient's RMS) against its bits per element.
 */
export const LEARNED_CODEC_DEFAULTS: Record<LearnedCodecName, { lambda: number; lambdaG: number; latent: number }> = {
  factorized: { lambda: 0.5, lambdaG: 2, latent: 8 },
  hyperprior: { lambda: 0.5, lambdaG: 2, latent: 8 },
  'cheng2020-attn': { lambda: 0.5, lambdaG: 2, latent: 8 },
};

/**
 * Initial ±quantiles of the codecs' entropy bottlenecks. CompressAI starts at ±10, a density
 * broad enough for image latents trained a million steps; a split tensor's codec trains for
 * tens to hundreds of steps, and at ±10 an untrained factorized codec spends 5.4 bits per
 * latent on unit-Gaussian split tensors against 3.2 at ±2 (measured), bits the short training
 * never wins back.
 */
export const SPLIT_CODEC_INIT_SCALE = 2;

/** Rounds the `ayad` autoencoder trains before it is frozen, when the scenario does not say (Ayad et al.: after the first round). */
export const AYAD_FREEZE_AFTER_ROUNDS = 1;

/** Who encodes each slot's tensor, and so trains its learned codec. */
export const SENDER: Record<CodecSlot, 'client' | 'server'> = { F1: 'client', G2: 'client', F2: 'server', G1: 'server' };

const isFeature = (slot: CodecSlot): boolean => slot === 'F1' || slot === 'F2';

/** A classic codec as a scenario names it: its options are the scenario's fields of the same names. */
function classicSplitCodec(d: ClassicCodecDescriptor): SplitCodecDescriptor {
  const options = (c: CodecBlock): Record<string, number> =>
    Object.fromEntries(Object.keys(d.options).map((field) => [field, c[field] as number]));
  return {
    name: d.name,
    plan: (slot, c) => ({ slot, kind: 'classic', options: { name: d.name, ...options(c) }, ...(d.errorFeedback ? { errorFeedback: true } : {}) }),
    settings: (c) => ({ ...options(c), ...(d.errorFeedback ? { errorFeedback: true } : {}) }),
    problems: () => [],
  };
}

/** The learned codec `learned` on one slot (also `ayad`'s feature codec, labelled and frozen as `ayad`). */
function learnedPlan(name: string, learned: LearnedCodecName, slot: CodecSlot, c: CodecBlock, g: SplitGeometry): SlotPlan {
  const d = LEARNED_CODEC_DEFAULTS[learned];
  const spec: LearnedCodecSpec = {
    name: learned,
    channels: g.channels,
    latent: c.latent ?? d.latent,
    inputSize: g.size,
    initScale: SPLIT_CODEC_INIT_SCALE,
    ...(c.stages !== undefined ? { stages: c.stages } : {}),
    ...(learned === 'cheng2020-attn' ? { context: c.context } : {}),
  };
  const ayad = name === 'ayad';
  return {
    slot,
    kind: 'learned',
    spec,
    role: isFeature(slot) ? 'feature' : 'gradient',
    lambda: isFeature(slot) ? (c.lambda ?? d.lambda) : (c.lambdaG ?? d.lambdaG),
    sender: SENDER[slot],
    ...(ayad ? { trainRounds: c.freezeAfterRounds ?? AYAD_FREEZE_AFTER_ROUNDS, label: 'ayad' } : {}),
    ...(!ayad && c.freezeAfterRounds !== undefined ? { trainRounds: c.freezeAfterRounds } : {}),
  };
}

/** The split tensors must be divisible by the codec's total downsampling. */
function stageProblems(what: string, c: CodecBlock, hyperStages: number, splitSize: number, dataSize: number): string[] {
  const stages = c.stages ?? (splitSize <= 32 ? 2 : 3);
  const factor = 2 ** (stages + hyperStages);
  if (splitSize % factor === 0) return [];
  return [
    `codec.stages: ${what} with ${stages} stages${hyperStages ? ' (+2 hyper stages)' : ''} needs split tensors of a multiple of ${factor} px, got ${splitSize} px (data.size ${dataSize}); use fewer stages or a larger data.size`,
  ];
}

/** Hyperprior stages (stride 2) each learned codec adds to the analysis. */
const HYPER_STAGES: Record<LearnedCodecName, number> = { factorized: 0, hyperprior: 2, 'cheng2020-attn': 2 };

function learnedSplitCodec(name: LearnedCodecName): SplitCodecDescriptor {
  return {
    name,
    plan: (slot, c, g) => learnedPlan(name, name, slot, c, g),
    settings: (c, spec) => {
      const d = LEARNED_CODEC_DEFAULTS[name];
      return {
        ...(spec !== undefined ? { latent: spec.latent, stages: spec.stages } : {}),
        lambda: c.lambda ?? d.lambda,
        lambdaG: c.lambdaG ?? d.lambdaG,
        distortion: c.distortion,
        lr: c.lr,
        gradientLr: c.gradientLr,
        entropyLr: c.entropyLr,
        warmupRounds: c.warmupRounds,
        syncEvery: c.syncEvery,
        updateBits: c.updateBits,
        ...(c.freezeAfterRounds !== undefined ? { freezeAfterRounds: c.freezeAfterRounds } : {}),
        ...(name === 'cheng2020-attn' ? { context: c.context } : {}),
      };
    },
    problems: (c, splitSize, dataSize) => {
      const out = stageProblems(name, c, HYPER_STAGES[name], splitSize, dataSize);
      if (name === 'cheng2020-attn' && (c.latent ?? LEARNED_CODEC_DEFAULTS[name].latent) % 2 !== 0) {
        out.push(`codec.latent: must be even for cheng2020-attn, got ${c.latent}`);
      }
      return out;
    },
  };
}

/**
 * `ayad` (Ayad et al. 2021): a factorized autoencoder on the features, frozen after
 * `freezeAfterRounds`; the gradient is sent as fp32 only when the batch's loss is above
 * `lossThreshold`. The gate sits where the loss is: G2 on the U-shaped client (BE computes it),
 * G1 on the label-sharing server (S computes it); the other gradient follows the gate's
 * decision (it exists only for batches whose G2 was sent) and travels as fp32.
 */
const ayadCodec: SplitCodecDescriptor = {
  name: 'ayad',
  plan: (slot, c, g) => {
    if (isFeature(slot)) return learnedPlan('ayad', 'factorized', slot, c, g);
    const gated = g.topology === 'u-shaped' ? slot === 'G2' : slot === 'G1';
    return gated ? { slot, kind: 'lossGate', threshold: c.lossThreshold } : { slot, kind: 'classic', options: { name: 'none' } };
  },
  settings: (c, spec) => ({
    ...(spec !== undefined ? { latent: spec.latent, stages: spec.stages } : {}),
    freezeAfterRounds: c.freezeAfterRounds ?? AYAD_FREEZE_AFTER_ROUNDS,
    lossThreshold: c.lossThreshold,
    syncEvery: c.syncEvery,
    updateBits: c.updateBits,
  }),
  problems: (c, splitSize, dataSize) => [
    ...(c.scheme !== 'gradients' ? stageProblems('ayad (a factorized autoencoder)', c, 0, splitSize, dataSize) : []),
    // Its gradients are sent as fp32 or skipped, never through a learned gradient codec.
    ...(c.warmupRounds !== 0
      ? [`codec.warmupRounds: must be 0 for ayad (its gradients are not coded by a learned codec), got ${c.warmupRounds}`]
      : []),
    ...(c.lambdaG !== undefined ? [`codec.lambdaG: must be unset for ayad (its gradients are sent as fp32 or skipped), got ${c.lambdaG}`] : []),
  ],
};

/** Every codec a scenario can name, in the scenario schema's order. */
export const SPLIT_CODECS: readonly SplitCodecDescriptor[] = [
  ...CLASSIC_CODECS.map(classicSplitCodec),
  // From the defaults' keys, not LEARNED_CODEC_NAMES: this module must not load tfjs.
  ...(Object.keys(LEARNED_CODEC_DEFAULTS) as LearnedCodecName[]).map(learnedSplitCodec),
  ayadCodec,
];

/** The names `codec.name` accepts. */
export const SPLIT_CODEC_NAMES: readonly string[] = SPLIT_CODECS.map((d) => d.name);

/** The descriptor of `codec.name` (validated by the scenario schema, so always found). */
export function splitCodec(name: string): SplitCodecDescriptor {
  const d = SPLIT_CODECS.find((x) => x.name === name);
  if (d === undefined) throw new Error(`codec.name: must be one of ${SPLIT_CODEC_NAMES.join(', ')}, got ${name}`);
  return d;
}

/** What the scenario must satisfy for its codec, as `path: must be …, got …` lines. */
export function codecProblems(c: CodecBlock, splitSize: number, dataSize: number): string[] {
  return splitCodec(c.name).problems(c, splitSize, dataSize);
}
