/**
 * What the rest of splitwire knows about a codec, in one record (issue 14): its name, the
 * scenario options it reads with their schema and default, its FLOPs per element, its
 * traffic-log label, whether it trains, and what it sends. The scenario schema, the slot plan,
 * the task graph and the run summary all read descriptors; none of them names a codec.
 *
 * A classic codec (no weights, no training) is a `ClassicCodecDescriptor` beside its payload
 * codec, plus one line in `CLASSIC_CODECS` (registry.ts).
 */
import type { z } from 'zod';
import type { CodecSlot } from '../protocol/messages.js';
import type { LearnedCodecSpec } from './learned/types.js';
import type { CodecOptions, PayloadCodec } from './types.js';

/** One scenario option of a codec (a field of the scenario's `codec` block). */
export interface CodecOptionDescriptor {
  /** The option's zod schema, with its default and its description (it becomes the scenario schema's field). */
  schema: z.ZodDefault<z.ZodNumber>;
  /** The rule an invalid value breaks, for `codec.<field>: must be …, got …`. */
  must: string;
}

/**
 * A classic codec's options as its descriptor reads them: `CodecOptions` (whose type names the
 * built-in options) or, for a codec with options of its own, the same record with its fields.
 */
export type CodecOptionValues = Readonly<Record<string, unknown>>;

/** A codec without weights: a payload codec with options, coded the same on every slot. */
export interface ClassicCodecDescriptor {
  readonly name: string;
  /** The options it reads, by scenario field name; the first codec to declare a field owns its schema. */
  readonly options: Readonly<Record<string, CodecOptionDescriptor>>;
  /** FLOPs per element of encoding or decoding (rough, from the operations it does): the cost model's input. */
  readonly flopsPerElement: number;
  /** Error feedback (topk): the sender adds what it did not send to its next tensor of the same slot and shape. */
  readonly errorFeedback: boolean;
  /** Wire bytes per element where they are fixed before the run, else 0 (a lower bound for capacity warnings). */
  bytesPerElement(options: CodecOptionValues): number;
  /** Its label in the traffic log (`quant8`, `fp16`, …). */
  label(options: CodecOptionValues): string;
  /** The payload codec for resolved options (every declared option set). */
  payload(options: Readonly<Record<string, number>>): PayloadCodec;
}

/** Which codec one split-tensor slot uses, as the scenario asks (built by `codecPlan`). */
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

/** A classic codec without options that sends a fixed `bytesPerElement` per value (`none`, `fp16`). */
export function fixedWidthCodec(
  name: string,
  flopsPerElement: number,
  bytesPerElement: number,
  payload: () => PayloadCodec,
): ClassicCodecDescriptor {
  return { name, options: {}, flopsPerElement, errorFeedback: false, bytesPerElement: () => bytesPerElement, label: () => name, payload };
}
