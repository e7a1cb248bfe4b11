/** The run summary (docs/formats.md): what a run cost and what it reached. */
import { codecSettings as settingsOf } from '../codecs/index.js';
import type { SlotPlan } from './codecPlan.js';
import { clientLinks, linkReport, networkModel, type LinkReport } from '../scenario/resolveNetwork.js';
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
  /** The run's id, also on every line of its logs (src/run/outputDir.ts). */
  runId: string;
  /** 'interrupted': stopped by a signal after `roundsCompleted` rounds. */
  status: 'complete' | 'interrupted';
  roundsCompleted: number;
  /** protocol.rounds: what the scenario asked for. */
  roundsPlanned: number;
  scenario: string;
  backend: string;
  seed: number;
  topology: string;
  variant: string;
  /** protocol.weightBits: how the model's weights travelled (32 full fp32; 16 / 8 deltas, src/run/weightSync.ts). */
  weightBits: number;
  /** The codec and the settings that apply to it, defaults resolved (see `codecSettings`). */
  codec: { name: string; scheme: string; [setting: string]: string | number | boolean | undefined };
  network: string;
  /** Each client's links as simulated, in client order: profile, overrides and defaults merged. */
  links: Array<{ uplink: LinkReport; downlink: LinkReport }>;
  /** The network model that ran (`flow` whenever network.server is set, unless network.model says otherwise). */
  networkModel: 'fifo' | 'flow';
  clients: number;
  /** Training samples held by each client. */
  clientSamples: number[];
  /** What the labels are: classes as read (folder masks: `maskMode` as resolved), the test set's size. */
  data: SummaryData;
  rounds: RoundRecord[];
  /**
   * The last evaluation. `iou`/`dice` have one entry per class, background included (null where a
   * class is absent from truth and prediction); `meanIoU` is their mean over classes 1..C−1.
   * `tailMeanIoU`: mean meanIoU of the last `evaluation.tailRounds` evaluations (what sweeps rank on).
   * `trivialMeanIoU`: meanIoU of the best constant prediction on the same test set.
   */
  final: {
    meanIoU: number | null;
    meanDice: number | null;
    iou: number[];
    dice: number[];
    tailMeanIoU: number | null;
    trivialMeanIoU: number | null;
  };
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
  /** `trivial`: the target is at or below `final.trivialMeanIoU` (a constant prediction reaches it). */
  timeToAccuracy: Array<{ meanIoU: number; simulatedSeconds: number | null; trivial: boolean }>;
  simulatedSeconds: number;
  wallSeconds: number;
  /**
   * Compute-pool worker threads the run's tasks ran on; 0: they ran in the run's own thread
   * (a sweep point sharing the machine's cores with as many others). Results do not depend on it.
   */
  computeThreads: number;
  /** Share of wall time when no compute task was running (start-up, orchestration). */
  orchestrationOverhead: number;
  /** What the run did not do as configured (see src/run/warnings.ts); empty when all went as set. */
  warnings: string[];
}

/** summary.json `data`. */
export interface SummaryData {
  kind: string;
  classes: number;
  classNames: string[];
  /** Folder sets: how masks were read ('auto' resolved); synthetic sets: 'index'. */
  maskMode: 'index' | 'binary';
  testSamples: number;
}

export const VERSION = '0.1.0';

/** Mean meanIoU of the last `tail` evaluated rounds; null when none was evaluated. */
export function tailMeanIoU(rounds: readonly RoundRecord[], tail: number): number | null {
  const scores = rounds.flatMap((r) => (r.meanIoU === null || Number.isNaN(r.meanIoU) ? [] : [r.meanIoU])).slice(-tail);
  return scores.length > 0 ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
}

/** The summary's codec record: the codec's settings as it ran, defaults resolved (codecs/codecPlan.ts). */
export function codecSettings(s: Scenario, plans: readonly SlotPlan[]): RunSummary['codec'] {
  return settingsOf(s.codec, plans);
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
  /** See {@link RunSummary.computeThreads}. */
  computeThreads: number;
  clients: number;
  clientSamples: number[];
  /** Warnings of the run (src/run/warnings.ts). */
  warnings?: string[];
  /** The labels as read; absent: taken from the scenario (classes unknown = 0). */
  data?: SummaryData;
  /** meanIoU of the best constant prediction on the test set (see `trivialMeanIoU`). */
  trivialMeanIoU?: number | null;
  runId: string;
  status: RunSummary['status'];
  roundsCompleted: number;
}): RunSummary {
  const s = input.scenario;
  const t = input.totals;
  const evaluated = input.rounds.filter((r) => r.meanIoU !== null);
  const last = evaluated[evaluated.length - 1];
  const trivial = input.trivialMeanIoU != null && !Number.isNaN(input.trivialMeanIoU) ? input.trivialMeanIoU : null;
  const byKind: RunSummary['totals']['bytesByKind'] = {};
  for (const k of Object.keys(t.byKind).sort()) byKind[k] = { ...(t.byKind[k] as { raw: number; wire: number; messages: number }) };
  return {
    splitwire: VERSION,
    runId: input.runId,
    status: input.status,
    roundsCompleted: input.roundsCompleted,
    roundsPlanned: s.protocol.rounds,
    scenario: s.name,
    backend: input.backend,
    seed: s.seed,
    topology: s.protocol.topology,
    variant: s.protocol.variant,
    weightBits: s.protocol.weightBits,
    codec: codecSettings(s, input.codecs ?? []),
    network: s.network.profile,
    links: Array.from({ length: input.clients }, (_, k) => {
      const l = clientLinks(s, k);
      return { uplink: linkReport(l.uplink), downlink: linkReport(l.downlink) };
    }),
    networkModel: networkModel(s),
    clients: input.clients,
    clientSamples: input.clientSamples,
    data: input.data ?? {
      kind: s.data.kind,
      classes: s.data.classes ?? 0,
      classNames: [],
      maskMode: s.data.maskMode === 'binary' ? 'binary' : 'index',
      testSamples: s.data.testSamples,
    },
    rounds: input.rounds,
    final: {
      meanIoU: last?.meanIoU ?? null,
      meanDice: last?.meanDice ?? null,
      iou: last?.iou ?? [],
      dice: last?.dice ?? [],
      tailMeanIoU: tailMeanIoU(input.rounds, s.evaluation.tailRounds),
      trivialMeanIoU: trivial,
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
      trivial: trivial !== null && target <= trivial,
    })),
    simulatedSeconds: input.simulatedSeconds,
    wallSeconds: input.wallSeconds,
    computeThreads: input.computeThreads,
    orchestrationOverhead: input.wallSeconds > 0 ? Math.max(0, 1 - input.poolBusySeconds / input.wallSeconds) : 0,
    warnings: input.warnings ?? [],
  };
}
