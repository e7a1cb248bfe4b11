/**
 * Fault schedules as fast-check arbitraries (issue 5, part 1): per-message delay, loss and
 * duplication (reordering follows from delays where the transport allows it), client crash and
 * rejoin, straggling, and server restarts between rounds. Sizes scale with the scenario's
 * timeouts so that faults reach every branch (a skipped batch, a missed deadline), and every
 * list is bounded, so a run of a correct protocol always terminates.
 */
import fc from 'fast-check';
import type { MessageKind } from '../protocol/messages.js';
import { nominalRoundS } from './settings.js';
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
function delayArb(settings: CheckSettings): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 2, arbitrary: seconds(0.1) },
    { weight: 2, arbitrary: seconds(1.5 * settings.stepTimeoutS) },
    { weight: 1, arbitrary: seconds(1.5 * settings.roundDeadlineS) },
  );
}

/** One message fault. Drops only hit datagrams: a reliable transport cannot lose a message. */
export function messageFaultArb(settings: CheckSettings): fc.Arbitrary<MessageFault> {
  const maxStep = Math.max(...settings.steps) - 1;
  return fc
    .record({
      type: fc.constantFrom(...messageTypes(settings)),
      client: fc.integer({ min: 0, max: settings.clients - 1 }),
      round: fc.integer({ min: 0, max: settings.rounds - 1 }),
      step: fc.integer({ min: 0, max: maxStep }),
      fault: fc.constantFrom<MessageFault['fault']>('delay', 'duplicate', 'drop'),
      delayS: delayArb(settings),
    })
    .map(({ type, client, round, step, fault, delayS }) => ({
      kind: type.kind,
      client,
      dir: type.dir,
      round,
      step: type.perStep ? step : -1,
      fault: fault === 'drop' && !isDatagram(settings, type.kind) ? 'delay' : fault,
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
export function faultScheduleArb(settings: CheckSettings, bounds: ScheduleBounds = DEFAULT_BOUNDS): fc.Arbitrary<FaultSchedule> {
  const rounds = Array.from({ length: Math.max(0, settings.rounds - 1) }, (_, r) => r);
  return fc.record({
    runSeed: fc.nat({ max: 0xffff }),
    messages: fc.array(messageFaultArb(settings), { maxLength: bounds.messages }),
    crashes: fc.array(crashArb(settings), { maxLength: bounds.crashes }),
    stragglers: fc.array(straggleArb(settings), { maxLength: bounds.stragglers }),
    serverRestarts: fc.subarray(rounds, { maxLength: Math.min(bounds.serverRestarts, rounds.length) }),
  });
}

/** A fault-free schedule. */
export function noFaults(runSeed = 0): FaultSchedule {
  return { runSeed, messages: [], crashes: [], stragglers: [], serverRestarts: [] };
}

/** The schedule as short readable lines (one fault a line), for counterexamples. */
export function formatSchedule(s: FaultSchedule): string {
  const lines = [`runSeed ${s.runSeed}`];
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
