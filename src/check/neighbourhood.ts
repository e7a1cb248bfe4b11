/**
 * The scenario's neighbourhood (issue 18): what `check` varies that the user did not pin. Two
 * bugs of the issue showed only after a user changed `network.mode` or the profile by hand, so
 * by default each schedule also draws a variation of the protocol settings — reliable or lossy
 * split tensors, packet loss on or off (the link's retransmission path), SFLV1 or SFLV2, either
 * topology, over-selection — each field `null` meaning "as the scenario says", which is also
 * where shrinking goes. `--pin` (or `pinned: true`) keeps the scenario as given.
 */
import fc from 'fast-check';
import type { LinkSpec } from '../sim/index.js';
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
}

/** The variation that changes nothing. */
export const AS_GIVEN: Variation = { networkMode: null, loss: null, variant: null, topology: null, aggregateFirst: null };

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
  if (v.aggregateFirst !== null) out.aggregateFirst = Math.min(v.aggregateFirst, settings.clientsPerRound);
  if (v.loss !== null) {
    const loss = v.loss;
    out.links = settings.links.map((l) => ({ uplink: withLoss(l.uplink, loss), downlink: withLoss(l.downlink, loss) }));
  }
  return out;
}

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
  return parts.length > 0 ? `scenario varied: ${parts.join(', ')}` : null;
}
