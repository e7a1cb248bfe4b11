/**
 * From the pilot's size to the deployment's: traffic is assumed linear in clients × rounds for
 * every message, and also in samples per client for the split tensors (features.*, gradients.*),
 * which are sent once per batch; weights and control are sent once per client and round.
 */
import { UsageError } from './errors.js';
import type { DeploymentPlan } from './tariff.js';

/** Sizes a run can be given in: `--scale` / `--pilot` keys. */
export interface RunSize {
  clients?: number;
  rounds?: number;
  /** Samples per client (mean local dataset size). */
  samples?: number;
  runsPerMonth?: number;
}

export interface ResolvedSize {
  clients: number;
  rounds: number;
  samples: number | null;
}

export interface Scaling {
  pilot: ResolvedSize;
  deployment: ResolvedSize & { runsPerMonth: number };
  /** Multiplier from one pilot run to one deployment run, for split tensors and for the rest. */
  perRun: { splitTensors: number; other: number };
  /** Where each number came from, for the assumptions list. */
  sources: { pilot: Record<keyof ResolvedSize, string>; deployment: Record<keyof ResolvedSize | 'runsPerMonth', string> };
}

/** Whether a message kind is a split tensor (per batch, so it scales with the dataset size too). */
export function isSplitTensor(kind: string): boolean {
  return kind.startsWith('features') || kind.startsWith('gradients');
}

/**
 * Resolves pilot and deployment sizes: the CLI overrides the tariff's `deployment` section,
 * which overrides "same as the pilot"; the pilot's clients and rounds come from the log unless given.
 */
export function resolveScaling(
  log: { clients: number; rounds: number | null; path: string },
  plan: DeploymentPlan,
  scale: RunSize,
  pilotOverride: RunSize,
): Scaling {
  const pilotClients = pilotOverride.clients ?? log.clients;
  if (pilotClients <= 0) {
    throw new UsageError(`${log.path}: no client traffic found (no message to or from a client); pass --pilot clients=N`);
  }
  const depRounds = scale.rounds ?? plan.rounds;
  const logRounds = pilotOverride.rounds ?? log.rounds;
  if (logRounds === null && depRounds !== undefined) {
    throw new UsageError(`${log.path}: the log has no round column, so rounds cannot be scaled; pass --pilot rounds=N`);
  }
  const pilotSamples = pilotOverride.samples ?? null;
  const depSamples = scale.samples ?? plan.samples;
  if (depSamples !== undefined && pilotSamples === null) {
    throw new UsageError(
      `deployment samples=${depSamples} needs the pilot's samples per client to scale from: pass --pilot samples=N`,
    );
  }
  const pilot: ResolvedSize = { clients: pilotClients, rounds: logRounds ?? 1, samples: pilotSamples };
  const deployment = {
    clients: scale.clients ?? plan.clients ?? pilot.clients,
    rounds: depRounds ?? pilot.rounds,
    samples: depSamples ?? pilotSamples,
    runsPerMonth: scale.runsPerMonth ?? plan.runsPerMonth,
  };
  const from = (cli: unknown, tariff: unknown, fallback: string): string =>
    cli !== undefined ? '--scale' : tariff !== undefined ? 'tariff deployment' : fallback;
  return {
    pilot,
    deployment,
    perRun: perRunFactors(pilot, deployment),
    sources: {
      pilot: {
        clients: pilotOverride.clients !== undefined ? '--pilot' : 'the log',
        rounds: pilotOverride.rounds !== undefined ? '--pilot' : log.rounds !== null ? 'the log' : 'assumed, no round column',
        samples: pilotSamples !== null ? '--pilot' : 'not given',
      },
      deployment: {
        clients: from(scale.clients, plan.clients, 'as in the pilot'),
        rounds: from(scale.rounds, plan.rounds, 'as in the pilot'),
        samples: from(scale.samples, plan.samples, 'as in the pilot'),
        runsPerMonth: scale.runsPerMonth !== undefined ? '--scale' : 'tariff deployment.runsPerMonth',
      },
    },
  };
}

/** Multipliers from one pilot run of size `pilot` to one deployment run. */
export function perRunFactors(pilot: ResolvedSize, deployment: ResolvedSize): Scaling['perRun'] {
  const other = (deployment.clients / pilot.clients) * (deployment.rounds / pilot.rounds);
  const samplesRatio = pilot.samples !== null && deployment.samples !== null ? deployment.samples / pilot.samples : 1;
  return { splitTensors: other * samplesRatio, other };
}

/** Per-run multiplier for one message kind. */
export function kindFactor(perRun: Scaling['perRun'], kind: string): number {
  return isSplitTensor(kind) ? perRun.splitTensors : perRun.other;
}
