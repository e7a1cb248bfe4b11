/**
 * The scenario's neighbourhood (issue 18): what `check` varies that the user did not pin. Two
 * bugs of the issue showed only after a user changed `network.mode` or the profile by hand, so
 * by default each schedule also draws a variation of the protocol settings — reliable or lossy
 * split tensors, packet loss on or off (the link's retransmission path), SFLV1 or SFLV2, either
 * topology, over-selection, partial participation, learned codecs synced every n rounds (with or
 * without deltas, with or without client-sent codecs), weight deltas, timeouts tight enough to
 * race the protocol's own messages — each field `null` meaning "as the scenario says", which is also
 * where shrinking goes. `--pin` (or `pinned: true`) keeps the scenario as given.
 */
import fc from 'fast-check';
import type { LinkSpec } from '../sim/index.js';
import { featuresToGradientS, nominalRoundS } from './settings.js';
import type { CheckSettings } from './types.js';

/** One schedule's departure from the scenario; null fields keep the scenario's value. */
export interface Variation {
  networkMode: CheckSettings['networkMode'] | null;
  /** Per-packet loss on every client link (0: loss off); bursty loss is replaced by it. */
  loss: number | null;
  variant: CheckSettings['variant'] | null;
  topology: CheckSettings['topology'] | null;
  /** Over-selection: aggregate once this many selected clients reported. */
  aggregateFirst: number | null;
  /**
   * Learned codecs: none, or synced every `syncEvery` rounds (and in the last), codec.down with a
   * delta form or not, clients sending codecs of their own or only the server. Absent in
   * schedules written before codecs were varied: as the scenario says.
   */
  codecs?: CodecVariation | 'none' | null;
  /** weights.down as deltas from round 1 on (protocol.weightBits < 32), or in full. */
  weightDeltas?: boolean | null;
  /** Partial participation: a seeded sample of this many clients a round. */
  clientsPerRound?: number | null;
  /**
   * Tight timeouts, as multiples of the stand-in's own durations, so the timers race the
   * protocol's messages: the step timeout of a step's round trip (featuresToGradientS), the turn
   * timeout likewise, the round deadline of a fault-free round (nominalRoundS).
   */
  timeouts?: TimeoutVariation | null;
}

/** Tight timeouts the neighbourhood may draw (multiples; see Variation.timeouts). */
export interface TimeoutVariation {
  step: number;
  turn: number;
  deadline: number;
}

/** A learned-codec set-up the neighbourhood may draw. */
export interface CodecVariation {
  syncEvery: number;
  deltas: boolean;
  clientCodecs: boolean;
}

/** The variation that changes nothing. */
export const AS_GIVEN: Variation = {
  networkMode: null,
  loss: null,
  variant: null,
  topology: null,
  aggregateFirst: null,
  codecs: null,
  weightDeltas: null,
  clientsPerRound: null,
  timeouts: null,
};

/** The rounds that sync codecs trained in every round, every `every` rounds and in the last (as codecSync.ts plans them). */
export function syncRounds(rounds: number, every: number): boolean[] {
  return Array.from({ length: rounds }, (_, r) => (r + 1) % every === 0 || r === rounds - 1);
}

/** Packet-loss rates drawn when loss is varied: off, and two rates that exercise retransmission. */
export const LOSS_RATES = [0, 0.01, 0.04] as const;

function withLoss(spec: LinkSpec, loss: number): LinkSpec {
  const { burst: _burst, ...rest } = spec;
  return { ...rest, loss };
}

/**
 * The settings of one schedule: `settings` with `v` applied.
 * @example applyVariation(settings, { ...AS_GIVEN, variant: 'sflv2' })
 */
export function applyVariation(settings: CheckSettings, v: Variation | undefined): CheckSettings {
  if (v === undefined) return settings;
  const out: CheckSettings = { ...settings };
  if (v.networkMode !== null) out.networkMode = v.networkMode;
  if (v.variant !== null) out.variant = v.variant;
  if (v.topology !== null) out.topology = v.topology;
  if (v.clientsPerRound != null) out.clientsPerRound = Math.min(v.clientsPerRound, settings.clients);
  if (v.aggregateFirst !== null) out.aggregateFirst = Math.min(v.aggregateFirst, out.clientsPerRound);
  if (v.codecs === 'none') {
    delete out.codecSync;
    delete out.clientCodecs;
    delete out.codecDeltas;
  } else if (v.codecs != null) {
    out.codecSync = syncRounds(settings.rounds, v.codecs.syncEvery);
    out.clientCodecs = v.codecs.clientCodecs;
    out.codecDeltas = v.codecs.deltas;
  }
  if (v.weightDeltas != null) out.weightDeltas = v.weightDeltas;
  if (v.timeouts != null) {
    // Multiples of the durations of the settings as varied so far (links, variant, topology).
    const ms = (x: number): number => Math.max(0.001, Math.round(x * 1000) / 1000);
    const trip = featuresToGradientS(out);
    out.stepTimeoutS = ms(v.timeouts.step * trip);
    out.turnTimeoutS = ms(v.timeouts.turn * trip);
    out.roundDeadlineS = ms(v.timeouts.deadline * nominalRoundS(out));
  }
  if (v.loss !== null) {
    const loss = v.loss;
    out.links = settings.links.map((l) => ({ uplink: withLoss(l.uplink, loss), downlink: withLoss(l.downlink, loss) }));
  }
  return out;
}

const codecArb: fc.Arbitrary<CodecVariation> = fc.record({
  syncEvery: fc.integer({ min: 1, max: 3 }),
  deltas: fc.boolean(),
  // Server-only codecs (no codec.up) are the rarer set-up.
  clientCodecs: fc.constantFrom(true, true, true, false),
});

const timeoutArb: fc.Arbitrary<TimeoutVariation> = fc.record({
  step: fc.constantFrom(1.5, 3, 10),
  turn: fc.constantFrom(2, 6),
  deadline: fc.constantFrom(1.2, 2, 4),
});

/** Variations of `settings`' neighbourhood; with `pinned`, only the scenario as given. */
export function variationArb(settings: CheckSettings, pinned = false): fc.Arbitrary<Variation> {
  if (pinned) return fc.constant(AS_GIVEN);
  const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq: 2 });
  const other = <T>(given: T, all: readonly T[]): fc.Arbitrary<T | null> => opt(fc.constantFrom(...all.filter((x) => x !== given)));
  return fc.record({
    networkMode: other(settings.networkMode, ['reliable', 'lossy'] as const),
    loss: opt(fc.constantFrom(...LOSS_RATES)),
    variant: other(settings.variant, ['sflv1', 'sflv2'] as const),
    topology: other(settings.topology, ['u-shaped', 'label-sharing'] as const),
    aggregateFirst: settings.clientsPerRound > 1 ? opt(fc.integer({ min: 1, max: settings.clientsPerRound - 1 })) : fc.constant(null),
    codecs: opt(settings.codecSync === undefined ? codecArb : fc.oneof(fc.constant('none' as const), codecArb)),
    weightDeltas: other(settings.weightDeltas === true, [false, true]),
    clientsPerRound: settings.clients > 1 ? opt(fc.integer({ min: 1, max: settings.clients - 1 })) : fc.constant(null),
    timeouts: opt(timeoutArb),
  });
}

/** The variation as a short line (only what differs from the scenario), for counterexamples. */
export function formatVariation(v: Variation | undefined): string | null {
  if (v === undefined) return null;
  const parts: string[] = [];
  if (v.networkMode !== null) parts.push(`network.mode=${v.networkMode}`);
  if (v.loss !== null) parts.push(`loss ${v.loss} on every client link`);
  if (v.variant !== null) parts.push(`protocol.variant=${v.variant}`);
  if (v.topology !== null) parts.push(`protocol.topology=${v.topology}`);
  if (v.aggregateFirst !== null) parts.push(`protocol.aggregateFirst=${v.aggregateFirst}`);
  if (v.codecs === 'none') parts.push('no learned codec');
  else if (v.codecs != null) {
    const c = v.codecs;
    parts.push(`learned codecs synced every ${c.syncEvery} round(s)${c.deltas ? ' as deltas' : ''}${c.clientCodecs ? '' : ', server-side only'}`);
  }
  if (v.weightDeltas != null) parts.push(`protocol.weightBits=${v.weightDeltas ? 8 : 32}`);
  if (v.clientsPerRound != null) parts.push(`protocol.clientsPerRound=${v.clientsPerRound}`);
  if (v.timeouts != null) parts.push(`tight timeouts (step ${v.timeouts.step}× and turn ${v.timeouts.turn}× a step's round trip, deadline ${v.timeouts.deadline}× a round)`);
  return parts.length > 0 ? `scenario varied: ${parts.join(', ')}` : null;
}
