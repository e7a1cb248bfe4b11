/** The run summary (docs/formats.md): what a run cost and what it reached. */
import { resolveLearnedSpec } from '../codecs/learned/index.js';
import { AYAD_FREEZE_AFTER_ROUNDS, LEARNED_CODEC_DEFAULTS, type SlotPlan } from './codecPlan.js';
import type { Scenario } from '../scenario/schema.js';
import type { TrafficTotals } from './trafficLog.js';

export interface RoundRecord {
  round: number;
  /** Held-out mean IoU over foreground classes; null for rounds not evaluated. */
  meanIoU: number | null;
  meanDice: number | null;
  /** Mean training loss of the round's batches; null when no batch finished. */
  loss: number | null;
  /** Virtual time at the end of the round. */
  simulatedSeconds: number;
  participants: number;
  /** Clients left out of the round's average (offline or late). */
  dropped: number[];
  iou: number[];
  dice: number[];
}

export interface RunSummary {
  splitwire: string;
  scenario: string;
  backend: string;
  seed: number;
  topology: string;
  variant: string;
  /** The codec and the settings that apply to it, defaults resolved (see `codecSettings`). */
  codec: { name: string; scheme: string; [setting: string]: string | number | boolean | undefined };
  network: string;
  clients: number;
  /** Training samples held by each client. */
  clientSamples: number[];
  rounds: RoundRecord[];
  final: { meanIoU: number | null; meanDice: number | null; iou: number[]; dice: number[] };
  totals: {
    /** Split tensors only (features.*, gradients.*): raw fp32 bytes, wire bytes, and their ratio (the paper's). */
    rawBytes: number;
    wireBytes: number;
    compressionRatio: number | null;
    /**
     * All-in: raw bytes of every kind but the codecs' own ÷ wire bytes of every kind (codec
     * weights included), i.e. what an uncompressed run sends ÷ what this run sends.
     */
    trafficRatio: number | null;
    bytesByKind: Record<string, { raw: number; wire: number; messages: number }>;
    /** up: from a client; down: to a client; internal: federator ↔ split server. Sums to allWireBytes. */
    bytesByDirection: { up: number; down: number; internal: number };
    allWireBytes: number;
    /** Wire bytes of batches a client abandoned (step timeout), per kind, and their total. */
    wastedBytes: Record<string, number> & { total: number };
    droppedMessages: number;
  };
  timeToAccuracy: Array<{ meanIoU: number; simulatedSeconds: number | null }>;
  simulatedSeconds: number;
  wallSeconds: number;
  /** Share of wall time when no compute task was running (start-up, orchestration). */
  orchestrationOverhead: number;
}

export const VERSION = '0.1.0';

/**
 * The codec's operating point as it ran: only the settings that apply to the codec named, with
 * defaults resolved (learned codecs' latent size and stages from their slot plans), so a
 * summary says which point of a rate–accuracy curve it is.
 */
export function codecSettings(s: Scenario, plans: readonly SlotPlan[]): RunSummary['codec'] {
  const c = s.codec;
  const base = { name: c.name, scheme: c.scheme };
  if (c.name === 'quant') return { ...base, bits: c.bits };
  if (c.name === 'topk') return { ...base, fraction: c.fraction, errorFeedback: true };
  const learned = plans.find((p): p is Extract<SlotPlan, { kind: 'learned' }> => p.kind === 'learned');
  const spec = learned !== undefined ? resolveLearnedSpec(learned.spec) : undefined;
  const shape = spec !== undefined ? { latent: spec.latent, stages: spec.stages } : {};
  if (c.name === 'ayad') {
    return {
      ...base,
      ...shape,
      freezeAfterRounds: c.freezeAfterRounds ?? AYAD_FREEZE_AFTER_ROUNDS,
      lossThreshold: c.lossThreshold,
      syncEvery: c.syncEvery,
      updateBits: c.updateBits,
    };
  }
  if (c.name === 'factorized' || c.name === 'hyperprior' || c.name === 'cheng2020-attn') {
    const d = LEARNED_CODEC_DEFAULTS[c.name];
    return {
      ...base,
      ...shape,
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
      ...(c.name === 'cheng2020-attn' ? { context: c.context } : {}),
    };
  }
  return base;
}

export function buildSummary(input: {
  /** The run's codec slot plans (for the learned codecs' resolved settings). */
  codecs?: readonly SlotPlan[];
  scenario: Scenario;
  backend: string;
  rounds: RoundRecord[];
  totals: TrafficTotals;
  simulatedSeconds: number;
  wallSeconds: number;
  poolBusySeconds: number;
  clients: number;
  clientSamples: number[];
}): RunSummary {
  const s = input.scenario;
  const t = input.totals;
  const evaluated = input.rounds.filter((r) => r.meanIoU !== null);
  const last = evaluated[evaluated.length - 1];
  const byKind: RunSummary['totals']['bytesByKind'] = {};
  for (const k of Object.keys(t.byKind).sort()) byKind[k] = { ...(t.byKind[k] as { raw: number; wire: number; messages: number }) };
  return {
    splitwire: VERSION,
    scenario: s.name,
    backend: input.backend,
    seed: s.seed,
    topology: s.protocol.topology,
    variant: s.protocol.variant,
    codec: codecSettings(s, input.codecs ?? []),
    network: s.network.profile,
    clients: input.clients,
    clientSamples: input.clientSamples,
    rounds: input.rounds,
    final: {
      meanIoU: last?.meanIoU ?? null,
      meanDice: last?.meanDice ?? null,
      iou: last?.iou ?? [],
      dice: last?.dice ?? [],
    },
    totals: {
      rawBytes: t.splitRaw,
      wireBytes: t.splitWire,
      compressionRatio: t.splitWire > 0 ? t.splitRaw / t.splitWire : null,
      trafficRatio: t.all > 0 ? t.nonCodecRaw / t.all : null,
      bytesByKind: byKind,
      bytesByDirection: { up: t.up, down: t.down, internal: t.internal },
      allWireBytes: t.all,
      wastedBytes: t.wasted(),
      droppedMessages: t.dropped,
    },
    timeToAccuracy: s.evaluation.targets.map((target) => ({
      meanIoU: target,
      simulatedSeconds: evaluated.find((r) => (r.meanIoU as number) >= target)?.simulatedSeconds ?? null,
    })),
    simulatedSeconds: input.simulatedSeconds,
    wallSeconds: input.wallSeconds,
    orchestrationOverhead: input.wallSeconds > 0 ? Math.max(0, 1 - input.poolBusySeconds / input.wallSeconds) : 0,
  };
}
