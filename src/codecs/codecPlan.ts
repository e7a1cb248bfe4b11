/**
 * Which codec each split tensor uses, as the scenario asks, and what that costs: the plan of
 * every slot (from the named codec's descriptor, splitCodecs.ts), its traffic-log label,
 * whether it trains in a round, its FLOPs, and the summary's codec settings.
 */
import type { CodecSlot } from '../protocol/messages.js';
import type { SlotPlan } from './descriptor.js';
import { resolveLearnedSpec } from './learned/createLearnedCodec.js';
import { classicCodec } from './registry.js';
import { type CodecBlock, type CodecSettings, type SplitGeometry, splitCodec } from './splitCodecs.js';

/** Error feedback per element: add the residual, decode what was sent, subtract. */
const ERROR_FEEDBACK_FLOPS_PER_ELEMENT = 4;

/** The plan of every slot the topology uses (label-sharing has only F1 and G1). */
export function codecPlan(c: CodecBlock, g: SplitGeometry): SlotPlan[] {
  const slots: CodecSlot[] = g.topology === 'u-shaped' ? ['F1', 'F2', 'G2', 'G1'] : ['F1', 'G1'];
  const codec = splitCodec(c.name);
  return slots.map((slot): SlotPlan => {
    const feature = slot === 'F1' || slot === 'F2';
    const compressed = c.scheme === 'both' || (feature ? c.scheme === 'features' : c.scheme === 'gradients');
    return compressed ? codec.plan(slot, c, g) : { slot, kind: 'classic', options: { name: 'none' } };
  });
}

/** The descriptor of a classic plan's codec (its options were validated with the scenario). */
function classicOf(p: Extract<SlotPlan, { kind: 'classic' }>): NonNullable<ReturnType<typeof classicCodec>> {
  const d = classicCodec(p.options.name);
  if (d === undefined) throw new Error(`codec plan ${p.slot}: no classic codec '${p.options.name}'`);
  return d;
}

/** Label of a codec in the traffic log: `quant8`, `fp16`, `topk`, `factorized`, `ayad`, … (a gate: `none` when it sends). */
export function codecLabel(p: SlotPlan): string {
  if (p.kind === 'learned') return p.label ?? p.spec.name;
  if (p.kind === 'lossGate') return 'none';
  return classicOf(p).label(p.options);
}

/** Whether a learned codec still trains in `round` (an `ayad` codec freezes after its training rounds). */
export function codecTrains(p: SlotPlan, round: number): boolean {
  return p.kind === 'learned' && (p.trainRounds === undefined || round < p.trainRounds);
}

/**
 * FLOPs of coding `elements` values of a slot: the classic codec's per-element count (plus error
 * feedback), a loss gate's fp32 copy, or for a learned codec (with `paramCount` weights) a coarse
 * upper bound: every weight applied at a quarter of the input positions, plus 20 per element.
 */
export function codecFlops(p: SlotPlan, elements: number, channels: number, paramCount: number): number {
  if (p.kind === 'lossGate') return elements * classicOf({ slot: p.slot, kind: 'classic', options: { name: 'none' } }).flopsPerElement;
  if (p.kind === 'classic') {
    const ef = p.errorFeedback === true ? ERROR_FEEDBACK_FLOPS_PER_ELEMENT : 0;
    return elements * (classicOf(p).flopsPerElement + ef);
  }
  return 2 * paramCount * (elements / channels / 4) + 20 * elements;
}

/** Bytes per element a slot's codec sends, where that is fixed before the run (else 0: a lower bound). */
export function codecBytesPerElement(p: SlotPlan): number {
  return p.kind === 'classic' ? classicOf(p).bytesPerElement(p.options) : 0;
}

/**
 * The codec's operating point as it ran: only the settings that apply to the codec named, with
 * defaults resolved (learned codecs' latent size and stages from their slot plans), so a
 * summary says which point of a rate–accuracy curve it is.
 */
export function codecSettings(c: CodecBlock, plans: readonly SlotPlan[]): CodecSettings {
  const learned = plans.find((p): p is Extract<SlotPlan, { kind: 'learned' }> => p.kind === 'learned');
  const spec = learned !== undefined ? resolveLearnedSpec(learned.spec) : undefined;
  return { name: c.name, scheme: c.scheme, ...splitCodec(c.name).settings(c, spec) };
}
