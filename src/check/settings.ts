/**
 * The protocol settings a check runs against, taken from a scenario: who takes part, the
 * variant and topology, deadline and timeouts, the network mode and links. Compute, data and
 * codecs are replaced by the checker's stand-in, whose sizes and durations are set here.
 */
import { SENDER, codecPlan } from '../codecs/index.js';
import { codecSyncRounds } from '../run/codecSync.js';
import { clientLinks, resolvedNetworkConfig } from '../scenario/resolveNetwork.js';
import { TraceFiles, networkSpecFromConfig } from '../sim/index.js';
import type { Scenario } from '../scenario/schema.js';
import type { CheckSettings } from './types.js';

/** Stand-in compute and payloads: small, fixed, and documented in docs/check.md. */
export const STAND_IN = {
  /** Virtual seconds of one client task (forward, encode, train, backward, load, pack). */
  clientTaskS: 0.02,
  /** Virtual seconds of one split-server task. */
  serverTaskS: 0.005,
  /** Virtual seconds of one federator task (pack, FedAvg). */
  federatorTaskS: 0.01,
  /** Bytes of one split tensor on the wire. */
  tensorBytes: 16_384,
  /** Bytes of the packed client-side weights. */
  weightsBytes: 65_536,
} as const;

/**
 * Check settings from a validated scenario. Sample counts are the scenario's per client plus k,
 * so that clients weigh differently in FedAvg even in an IID split (a forgotten weight shows).
 * @example const settings = checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml'));
 */
export function checkSettingsFromScenario(s: Scenario): CheckSettings {
  const p = s.protocol;
  const clients = p.clients;
  // An IID split of clients × samplesPerClient samples gives every client samplesPerClient (world.ts).
  const stepsPerRound = p.localEpochs * Math.ceil(s.data.samplesPerClient / p.batchSize);
  // The client links as the simulation builds them (traces, bursty loss); the checker keeps them
  // first-in first-out and leaves out the flow model of a shared server access link (docs/check.md).
  const links = networkSpecFromConfig(resolvedNetworkConfig(s), clients, (k) => clientLinks(s, k), new TraceFiles()).clients;
  return {
    name: s.name,
    seed: s.seed,
    topology: p.topology,
    variant: p.variant,
    clients,
    clientsPerRound: p.clientsPerRound ?? clients,
    rounds: p.rounds,
    steps: Array.from({ length: clients }, () => stepsPerRound),
    samples: Array.from({ length: clients }, (_, k) => s.data.samplesPerClient + k),
    roundDeadlineS: p.roundDeadlineS,
    turnTimeoutS: p.turnTimeoutS,
    stepTimeoutS: p.stepTimeoutS,
    networkMode: s.network.mode,
    links,
    // As src/run/world.ts builds it: one fast link inside the data centre.
    backbone: { bandwidthMbps: 10_000, latencyMs: 0.1, jitterMs: 0, loss: 0, mode: 'reliable' },
    ...STAND_IN,
    ...codecSettings(s),
    ...(s.protocol.weightBits !== 32 ? { weightDeltas: true } : {}),
  };
}

/**
 * The scenario's learned codecs as the federator sees them (as src/run/world.ts builds its
 * input): the rounds that sync them, whether clients send any, whether codec.down has a delta
 * form. The split geometry only sizes a learned codec, which the stand-in does not run.
 */
function codecSettings(s: Scenario): Pick<CheckSettings, 'codecSync' | 'clientCodecs' | 'codecDeltas'> {
  const plans = codecPlan(s.codec, { topology: s.protocol.topology, channels: s.model.baseChannels, size: s.data.size });
  const learned = plans.filter((p) => p.kind === 'learned');
  if (learned.length === 0) return {};
  return {
    codecSync: codecSyncRounds(plans, s.protocol.rounds, s.codec.syncEvery),
    clientCodecs: learned.some((p) => SENDER[p.slot] === 'client'),
    ...(s.codec.updateBits !== 32 ? { codecDeltas: true } : {}),
  };
}

/** Virtual seconds one stand-in tensor takes over a link: latency plus serialisation. */
function tensorTripS(settings: CheckSettings, l: { latencyMs: number; bandwidthMbps: number }): number {
  return l.latencyMs / 1000 + (settings.tensorBytes * 8) / (l.bandwidthMbps * 1e6);
}

/** Virtual seconds a fault-free round takes with the stand-in compute (an estimate that scales fault sizes). */
export function nominalRoundS(settings: CheckSettings): number {
  const steps = Math.max(...settings.steps);
  // Two trips up and two down per step: latency plus serialisation of one tensor, slowest client.
  const network = Math.max(...settings.links.map((l) => 2 * tensorTripS(settings, l.uplink) + 2 * tensorTripS(settings, l.downlink)));
  const perStep = 5 * settings.clientTaskS + 4 * settings.serverTaskS + network;
  const serial = settings.variant === 'sflv2' ? settings.clientsPerRound : 1;
  return steps * perStep * serial + 3 * settings.clientTaskS + 2 * settings.federatorTaskS;
}

/**
 * Virtual seconds from a batch's features reaching the split server to its gradient coming back
 * (u-shaped: decode, M forward, encode; down; the client's decode, BE step and encode; up), fastest
 * client: the window in which a copy of the features races the batch's own gradient.
 */
export function featuresToGradientS(settings: CheckSettings): number {
  const network = Math.min(...settings.links.map((l) => tensorTripS(settings, l.uplink) + tensorTripS(settings, l.downlink)));
  return 3 * settings.serverTaskS + 3 * settings.clientTaskS + network;
}

/** Slack after the deadline within which a round must be complete: FedAvg, M's FedAvg, two backbone hops (1 ms each at most). */
export function closeSlackS(settings: CheckSettings): number {
  return settings.federatorTaskS + settings.serverTaskS + 2 * (settings.backbone.latencyMs / 1000 + 0.001);
}
