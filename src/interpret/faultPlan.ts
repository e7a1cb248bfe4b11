/**
 * Faults a world applies on top of its own models, in one place for every world: the checker
 * generates and shrinks them (src/check/faults.ts), the simulator takes them as a run option,
 * and the effect interpreter (interpreter.ts) and a world's transport ask this plan what to do.
 * Each fault is named by what it hits (a message's identity, a client and round), so a schedule
 * stays meaningful when other faults shrink away.
 */
import type { MessageKind } from '../protocol/index.js';

/** Which way a message crosses a client's access link. */
export type Direction = 'up' | 'down';

/** A fault on one message, named by what the message is (stable when other faults shrink away). */
export interface MessageFault {
  kind: MessageKind;
  /** The client at the message's end of the link. */
  client: number;
  dir: Direction;
  round: number;
  /** Local step, or -1 for round-level messages (weights, turn control). */
  step: number;
  /**
   * drop: a datagram is lost; a reliable message loses its first transmission and is resent after
   * the link's RTO (its bytes cross the link twice); delay: arrives `delayS` late; duplicate: a second copy `delayS` after the first. */
  fault: 'drop' | 'delay' | 'duplicate';
  delayS: number;
}

/** These clients crash `atS` seconds after round `round` starts; fresh ones rejoin `downS` later (null: never). */
export interface CrashFault {
  /** One client, several, or all of them at once (a site-wide outage). */
  clients: number[];
  round: number;
  atS: number;
  downS: number | null;
}

/** Client `client` computes `factor` times slower in round `round`. */
export interface StraggleFault {
  client: number;
  round: number;
  factor: number;
}

/** The faults of one run. */
export interface Faults {
  messages: MessageFault[];
  crashes: CrashFault[];
  stragglers: StraggleFault[];
  /** The split server restarts (loses all state) right after these rounds complete. */
  serverRestarts: number[];
}

/** A run without faults. */
export const NO_FAULTS: Faults = Object.freeze({ messages: [], crashes: [], stragglers: [], serverRestarts: [] });

function messageKey(kind: string, client: number, dir: Direction, round: number, step: number): string {
  return `${kind}|${client}|${dir}|${round}|${step}`;
}

/** A run's faults, looked up by what they hit. Message faults are consumed: each hits the first message of its identity. */
export class FaultPlan {
  private readonly messageFaults = new Map<string, MessageFault[]>();
  /** Compute slowdown of client k in round r, keyed `k/r` (factors of one client and round multiply). */
  private readonly slowdowns = new Map<string, number>();

  constructor(readonly faults: Faults = NO_FAULTS) {
    for (const f of faults.messages) {
      const key = messageKey(f.kind, f.client, f.dir, f.round, f.step);
      const list = this.messageFaults.get(key);
      if (list) list.push(f);
      else this.messageFaults.set(key, [f]);
    }
    for (const g of faults.stragglers) this.slowdowns.set(`${g.client}/${g.round}`, (this.slowdowns.get(`${g.client}/${g.round}`) ?? 1) * g.factor);
  }

  /** The fault on this message, if any (consumed: a later message of the same identity goes free). */
  takeMessageFault(kind: MessageKind, client: number, dir: Direction, round: number, step: number): MessageFault | undefined {
    return this.messageFaults.get(messageKey(kind, client, dir, round, step))?.shift();
  }

  /** How many times slower client k computes in `round` (1: not a straggler). */
  slowdown(client: number, round: number): number {
    return this.slowdowns.get(`${client}/${round}`) ?? 1;
  }

  /** The crashes that start counting when `round` starts. */
  crashesIn(round: number): CrashFault[] {
    return this.faults.crashes.filter((c) => c.round === round);
  }

  /** Whether the split server restarts right after `round` completes. */
  restartsAfter(round: number): boolean {
    return this.faults.serverRestarts.includes(round);
  }
}
