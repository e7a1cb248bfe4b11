/**
 * Which codec each split tensor uses, as the scenario asks: classic codecs (none, fp16,
 * quant, topk with error feedback) by options; learned codecs by spec, with their loss weights
 * and the side that trains them; the `ayad` baseline as a learned feature codec that freezes
 * after its training rounds and a loss gate on the gradient. Defaults live here, in one place.
 */
import type { LearnedCodecName, LearnedCodecSpec } from '../codecs/learned/types.js';
import type { CodecOptions } from '../codecs/types.js';
import type { SplitModel } from '../model/types.js';
import type { CodecSlot } from '../protocol/messages.js';
import type { Scenario } from '../scenario/schema.js';

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

export type SlotPlan =
  | {
      slot: CodecSlot;
      kind: 'classic';
      options: CodecOptions;
      /** Error feedback (topk): the sender adds what it did not send to its next tensor of this slot and shape. */
      errorFeedback?: boolean;
    }
  | {
      slot: CodecSlot;
      kind: 'learned';
      spec: LearnedCodecSpec;
      /** A gradient codec trains on what it encodes (rate + λ_g·MSE); a feature codec inside the task graph. */
      role: 'feature' | 'gradient';
      /** λ (features: task + λ·rate) or λ_g (gradients: rate + λ_g·MSE). */
      lambda: number;
      /** Who encodes, and so trains the codec: the client (F1, G2) or the split server (F2, G1). */
      sender: 'client' | 'server';
      /** Rounds in which the codec trains (`ayad`); from then on it is frozen. Absent: every round. */
      trainRounds?: number;
      /** Traffic-log label when it is not the spec's name (`ayad`). */
      label?: string;
    }
  | {
      slot: CodecSlot;
      kind: 'lossGate';
      /**
       * Ayad et al. 2021: the gradient travels as fp32 only when the batch's training loss (computed
       * by this slot's sender) is above `threshold`; otherwise a header-only `skipped` container.
       */
      threshold: number;
    };

export const SENDER: Record<CodecSlot, 'client' | 'server'> = { F1: 'client', G2: 'client', F2: 'server', G1: 'server' };

/** The plan of every slot the topology uses (label-sharing has only F1 and G1). */
export function codecPlan(s: Scenario, model: SplitModel): SlotPlan[] {
  const slots: CodecSlot[] = model.topology === 'u-shaped' ? ['F1', 'F2', 'G2', 'G1'] : ['F1', 'G1'];
  const front = model.parts[model.topology === 'u-shaped' ? 'FE' : 'FE1'];
  if (front === undefined) throw new Error('model has no front part');
  const f1 = front.outputShapes(1)[0] as number[];
  const channels = f1[3] as number;
  const size = f1[1] as number;
  const name = s.codec.name;
  return slots.map((slot): SlotPlan => {
    const isFeature = slot === 'F1' || slot === 'F2';
    const compressed = s.codec.scheme === 'both' || (isFeature ? s.codec.scheme === 'features' : s.codec.scheme === 'gradients');
    if (!compressed || name === 'none') return { slot, kind: 'classic', options: { name: 'none' } };
    if (name === 'fp16') return { slot, kind: 'classic', options: { name: 'fp16' } };
    if (name === 'quant') return { slot, kind: 'classic', options: { name: 'quant', bits: s.codec.bits } };
    if (name === 'topk') return { slot, kind: 'classic', options: { name: 'topk', fraction: s.codec.fraction }, errorFeedback: true };
    if (name === 'ayad' && !isFeature) {
      // The gate sits where the loss is: G2 on the U-shaped client (BE computes it), G1 on the
      // label-sharing server (S computes it). The other gradient follows the gate's decision
      // (it exists only for batches whose G2 was sent) and travels as fp32.
      const gated = model.topology === 'u-shaped' ? slot === 'G2' : slot === 'G1';
      return gated ? { slot, kind: 'lossGate', threshold: s.codec.lossThreshold } : { slot, kind: 'classic', options: { name: 'none' } };
    }
    const learned = name === 'ayad' ? 'factorized' : name;
    const d = LEARNED_CODEC_DEFAULTS[learned];
    const spec: LearnedCodecSpec = {
      name: learned,
      channels,
      latent: s.codec.latent ?? d.latent,
      inputSize: size,
      initScale: SPLIT_CODEC_INIT_SCALE,
      ...(s.codec.stages !== undefined ? { stages: s.codec.stages } : {}),
      ...(name === 'cheng2020-attn' ? { context: s.codec.context } : {}),
    };
    return {
      slot,
      kind: 'learned',
      spec,
      role: isFeature ? 'feature' : 'gradient',
      lambda: isFeature ? (s.codec.lambda ?? d.lambda) : (s.codec.lambdaG ?? d.lambdaG),
      sender: SENDER[slot],
      ...(name === 'ayad' ? { trainRounds: s.codec.freezeAfterRounds ?? AYAD_FREEZE_AFTER_ROUNDS, label: 'ayad' } : {}),
      ...(name !== 'ayad' && s.codec.freezeAfterRounds !== undefined ? { trainRounds: s.codec.freezeAfterRounds } : {}),
    };
  });
}

/** Label of a codec in the traffic log: `quant8`, `fp16`, `topk`, `factorized`, `ayad`, … (a gate: `none` when it sends). */
export function codecLabel(p: SlotPlan): string {
  if (p.kind === 'learned') return p.label ?? p.spec.name;
  if (p.kind === 'lossGate') return 'none';
  return p.options.name === 'quant' ? `quant${p.options.bits ?? 8}` : p.options.name;
}

/** Whether a learned codec still trains in `round` (an `ayad` codec freezes after its training rounds). */
export function codecTrains(p: SlotPlan, round: number): boolean {
  return p.kind === 'learned' && (p.trainRounds === undefined || round < p.trainRounds);
}
