/**
 * The protocol settings a check runs against, taken from a scenario: who takes part, the
 * variant and topology, deadline and timeouts, the network mode and links. Compute, data and
 * codecs are replaced by the checker's stand-in, whose sizes and durations are set here.
 */
import { clientLinks } from '../scenario/load.js';
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
  /** Federator ↔ split server: one-way latency inside the data centre. */
  backplaneS: 0.001,
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
  const extra = { mode: s.network.mode, mtuBytes: s.network.mtuBytes, rtoMs: s.network.rtoMs };
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
    links: Array.from({ length: clients }, (_, k) => {
      const { uplink, downlink } = clientLinks(s, k);
      return { uplink: { ...uplink, ...extra }, downlink: { ...downlink, ...extra } };
    }),
    ...STAND_IN,
  };
}

/** Virtual seconds a fault-free round takes with the stand-in compute (an estimate that scales fault sizes). */
export function nominalRoundS(settings: CheckSettings): number {
  const steps = Math.max(...settings.steps);
  const perStep = 5 * settings.clientTaskS + 4 * settings.serverTaskS + 4 * 0.05;
  const serial = settings.variant === 'sflv2' ? settings.clientsPerRound : 1;
  return steps * perStep * serial + 3 * settings.clientTaskS + 2 * settings.federatorTaskS;
}

/** Slack after the deadline within which a round must be complete: FedAvg, M's FedAvg, two backplane hops. */
export function closeSlackS(settings: CheckSettings): number {
  return 2 * settings.federatorTaskS + settings.serverTaskS + 2 * settings.backplaneS + 1e-6;
}
