/**
 * Fault schedules as fast-check arbitraries (issue 5, part 1): per-message delay, loss and
 * duplication (reordering follows from delays where the transport allows it), client crash and
 * rejoin, straggling, and server restarts between rounds. Sizes scale with the scenario's
 * timeouts so that faults reach every branch (a skipped batch, a missed deadline), and every
 * list is bounded, so a run of a correct protocol always terminates.
 */
import fc from 'fast-check';
import type { MessageKind } from '../protocol/messages.js';
import { formatVariation } from './neighbourhood.js';
import { featuresToGradientS, nominalRoundS } from './settings.js';
import { isDatagram } from './transport.js';
import type { CheckSettings, CrashFault, Direction, FaultSchedule, MessageFault, StraggleFault } from './types.js';

/** Upper bounds on a schedule's lists. */
export interface ScheduleBounds {
  messages: number;
  crashes: number;
  stragglers: number;
  serverRestarts: number;
}

export const DEFAULT_BOUNDS: ScheduleBounds = { messages: 12, crashes: 3, stragglers: 3, serverRestarts: 2 };

/** Fault kinds a schedule may contain. */
export const FAULT_KINDS = ['delay', 'drop', 'duplicate', 'crash', 'straggle', 'restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * How schedules are drawn. `uniform`: every list from every kind, delays of three sizes (the
 * original generator). `swarm` (default): each schedule first enables a random subset of fault
 * kinds (swarm testing: a schedule of only duplicates crowds one window instead of diluting
 * it), and delays also aim at boundaries — just under or over the step timeout, the turn
 * timeout and the round deadline, and one compute task's length (a message racing a task).
 */
export type Generator = 'uniform' | 'swarm';

interface MessageType {
  kind: MessageKind;
  dir: Direction;
  /** Per local step (true) or once per round (false). */
  perStep: boolean;
}

/** The messages a client exchanges under these settings (the backbone has no faults). */
export function messageTypes(settings: CheckSettings): MessageType[] {
  const types: MessageType[] = [
    { kind: 'weights.down', dir: 'down', perStep: false },
    { kind: 'weights.up', dir: 'up', perStep: false },
    { kind: 'features.s1', dir: 'up', perStep: true },
    { kind: 'gradients.s1', dir: 'down', perStep: true },
  ];
  if (settings.topology === 'u-shaped') {
    types.push({ kind: 'features.s2', dir: 'down', perStep: true }, { kind: 'gradients.s2', dir: 'up', perStep: true });
  } else {
    types.push({ kind: 'control', dir: 'up', perStep: true }); // the labels
  }
  if (settings.variant === 'sflv2') {
    types.push({ kind: 'control', dir: 'down', perStep: false }, { kind: 'control', dir: 'up', perStep: false }); // turn, turn.done
  }
  if (settings.codecSync !== undefined) {
    types.push({ kind: 'codec.down', dir: 'down', perStep: false });
    if (settings.clientCodecs !== false) types.push({ kind: 'codec.up', dir: 'up', perStep: false });
  }
  return types;
}

/** Virtual seconds with millisecond resolution: readable counterexamples, shrinking towards 0. */
function seconds(maxS: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: Math.max(1, Math.round(maxS * 1000)) }).map((ms) => ms / 1000);
}

/**
 * A delay of three sizes: within a round trip (reorders near-simultaneous messages; a duplicate
 * from a retransmission lands in the window where the first copy is still being processed),
 * around the step timeout (a skipped batch), or around the round deadline (a missed round).
 */
function delayArb(settings: CheckSettings, generator: Generator = 'uniform'): fc.Arbitrary<number> {
  const sizes = [
    { weight: 2, arbitrary: seconds(0.1) },
    { weight: 2, arbitrary: seconds(1.5 * settings.stepTimeoutS) },
    { weight: 1, arbitrary: seconds(1.5 * settings.roundDeadlineS) },
  ];
  if (generator === 'uniform') return fc.oneof(...sizes);
  return fc.oneof(...sizes, { weight: 3, arbitrary: boundaryArb(settings) });
}

/**
 * A delay near a boundary where the protocol's reaction flips: ± a few ms around a timeout, a
 * deadline, a task's length, or a step's round trip (a copy of a message racing its own reply).
 */
function boundaryArb(settings: CheckSettings): fc.Arbitrary<number> {
  const round = nominalRoundS(settings);
  const edges = [
    settings.stepTimeoutS,
    settings.turnTimeoutS,
    settings.roundDeadlineS - round / 2,
    settings.roundDeadlineS,
    settings.clientTaskS,
    settings.serverTaskS,
    3 * settings.clientTaskS,
    featuresToGradientS(settings),
  ];
  return fc
    .tuple(fc.constantFrom(...edges), fc.integer({ min: -30, max: 30 }))
    .map(([edge, ms]) => Math.max(0, Math.round(edge * 1000) + ms) / 1000);
}

/** One message fault. Drops only hit datagrams: a reliable transport cannot lose a message. */
export function messageFaultArb(
  settings: CheckSettings,
  generator: Generator = 'uniform',
  faults: readonly MessageFault['fault'][] = ['delay', 'duplicate', 'drop'],
): fc.Arbitrary<MessageFault> {
  const maxStep = Math.max(...settings.steps) - 1;
  return fc
    .record({
      type: fc.constantFrom(...messageTypes(settings)),
      client: fc.integer({ min: 0, max: settings.clients - 1 }),
      round: fc.integer({ min: 0, max: settings.rounds - 1 }),
      step: fc.integer({ min: 0, max: maxStep }),
      fault: fc.constantFrom<MessageFault['fault']>(...faults),
      delayS: delayArb(settings, generator),
    })
    .map(({ type, client, round, step, fault, delayS }) => ({
      kind: type.kind,
      client,
      dir: type.dir,
      round,
      step: type.perStep ? step : -1,
      // The uniform generator keeps reliable messages from being lost (delayed instead); the
      // swarm one loses their first transmission, so the stream's retransmission runs.
      fault: fault === 'drop' && generator === 'uniform' && !isDatagram(settings, type.kind) ? 'delay' : fault,
      delayS,
    }));
}

/** Crashes of one client, some, or all at once (a site-wide outage), mid-round; rejoin after a while or never. */
export function crashArb(settings: CheckSettings): fc.Arbitrary<CrashFault> {
  const all = Array.from({ length: settings.clients }, (_, k) => k);
  const round = nominalRoundS(settings);
  return fc.record({
    clients: fc.oneof({ weight: 3, arbitrary: fc.subarray(all, { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.constant(all) }, { weight: 1, arbitrary: fc.subarray(all, { minLength: 1 }) }),
    round: fc.integer({ min: 0, max: settings.rounds - 1 }),
    atS: fc.oneof({ weight: 3, arbitrary: seconds(1.5 * round) }, { weight: 1, arbitrary: seconds(settings.roundDeadlineS) }),
    downS: fc.option(seconds(1.5 * settings.roundDeadlineS), { nil: null }),
  });
}

/** A client computing `factor` times slower for a round: a little, or enough to miss the deadline. */
export function straggleArb(settings: CheckSettings): fc.Arbitrary<StraggleFault> {
  const toMiss = Math.max(3, Math.ceil((2 * settings.roundDeadlineS) / nominalRoundS(settings)));
  return fc.record({
    client: fc.integer({ min: 0, max: settings.clients - 1 }),
    round: fc.integer({ min: 0, max: settings.rounds - 1 }),
    factor: fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 2, max: 10 }) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: toMiss }) }),
  });
}

/**
 * A whole fault schedule for the protocol of `settings`.
 * @example fc.sample(faultScheduleArb(settings), { seed: 42, numRuns: 1 })
 */
export function faultScheduleArb(settings: CheckSettings, bounds: ScheduleBounds = DEFAULT_BOUNDS, generator: Generator = 'uniform'): fc.Arbitrary<FaultSchedule> {
  const rounds = Array.from({ length: Math.max(0, settings.rounds - 1) }, (_, r) => r);
  const schedule = (on: ReadonlySet<FaultKind>): fc.Arbitrary<FaultSchedule> => {
    const msgFaults = (['delay', 'duplicate', 'drop'] as const).filter((f) => on.has(f));
    return fc.record({
      runSeed: fc.nat({ max: 0xffff }),
      messages: msgFaults.length > 0 ? fc.array(messageFaultArb(settings, generator, msgFaults), { maxLength: bounds.messages }) : fc.constant([]),
      crashes: on.has('crash') ? fc.array(crashArb(settings), { maxLength: bounds.crashes }) : fc.constant([]),
      stragglers: on.has('straggle') ? fc.array(straggleArb(settings), { maxLength: bounds.stragglers }) : fc.constant([]),
      serverRestarts: on.has('restart') ? fc.subarray(rounds, { maxLength: Math.min(bounds.serverRestarts, rounds.length) }) : fc.constant([]),
    });
  };
  if (generator === 'uniform') return schedule(new Set(FAULT_KINDS));
  return fc.subarray([...FAULT_KINDS], { minLength: 1 }).chain((kinds) => schedule(new Set(kinds)));
}

/** A fault-free schedule. */
export function noFaults(runSeed = 0): FaultSchedule {
  return { runSeed, messages: [], crashes: [], stragglers: [], serverRestarts: [] };
}

/** The schedule as short readable lines (one fault a line), for counterexamples. */
export function formatSchedule(s: FaultSchedule): string {
  const lines = [`runSeed ${s.runSeed}`];
  const varied = formatVariation(s.variation);
  if (varied !== null) lines.push(varied);
  for (const m of s.messages) {
    const at = `${m.kind} ${m.dir === 'up' ? `client-${m.client} → server side` : `server side → client-${m.client}`}, round ${m.round}${m.step >= 0 ? `, step ${m.step}` : ''}`;
    lines.push(m.fault === 'drop' ? `drop ${at}` : `${m.fault} ${at} by ${m.delayS} s`);
  }
  for (const c of s.crashes) {
    lines.push(`crash client${c.clients.length > 1 ? 's' : ''} ${c.clients.join(', ')} ${c.atS} s into round ${c.round}, ${c.downS === null ? 'never rejoin' : `rejoin ${c.downS} s later`}`);
  }
  for (const g of s.stragglers) lines.push(`client-${g.client} computes ${g.factor}× slower in round ${g.round}`);
  for (const r of s.serverRestarts) lines.push(`split server restarts after round ${r}`);
  return lines.join('\n');
}
