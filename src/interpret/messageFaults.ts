/**
 * What a fault plan's message faults do to a message on the network, the same in every world:
 * a duplicate is a second copy `delayS` after the first; a delay adds `delayS` to the arrival; a
 * drop loses a datagram, or costs a reliable message one retransmission timeout (the stream
 * resends it); and a reliable stream still delivers in order on its link (head-of-line
 * blocking), so a delayed message holds back the ones behind it.
 */
import type { MessageKind } from '../protocol/index.js';
import type { Delivery } from '../sim/index.js';
import type { Direction, FaultPlan, MessageFault } from './faultPlan.js';

/** A message as the plan shapes it: its fault, if any, and the extra delay of each copy (one, or two for a duplicate). */
export interface FaultedMessage {
  fault: MessageFault | undefined;
  copies: number[];
}

/** A copy's fate: when it arrives (null: it does not), and why it was lost. */
export interface CopyFate {
  arrival: number | null;
  dropReason: 'loss' | 'fault' | null;
}

export class MessageFaults {
  /** Arrival of the last reliable copy per link: reliable messages stay in order (a TCP stream). */
  private readonly lastReliable = new Map<string, number>();

  constructor(private readonly plan: FaultPlan) {}

  /** The fault on a message between the server side and client `client` (-1: the backbone, which has none). */
  take(kind: MessageKind, client: number, dir: Direction, round: number, step: number): FaultedMessage {
    // Each fault applies to the first message of its identity.
    const fault = client < 0 ? undefined : this.plan.takeMessageFault(kind, client, dir, round, step);
    return { fault, copies: fault?.fault === 'duplicate' ? [0, fault.delayS] : [0] };
  }

  /**
   * The fate of copy `copy` of `m`, which the network delivered as `d` on `link`. `datagram`:
   * the message may be lost or overtaken; `rtoS` gives the link's retransmission timeout.
   */
  fate(m: FaultedMessage, copy: number, d: Delivery, datagram: boolean, link: string, rtoS: () => number): CopyFate {
    const fault = m.fault;
    let arrival = d.arrivalTime;
    let dropReason: CopyFate['dropReason'] = null;
    let resent = 0;
    if (d.dropped) dropReason = 'loss';
    else if (copy === 0 && fault?.fault === 'drop' && datagram) dropReason = 'fault';
    else if (copy === 0 && fault?.fault === 'drop') resent = rtoS();
    if (arrival !== null) {
      arrival += (m.copies[copy] ?? 0) + resent + (copy === 0 && fault?.fault === 'delay' ? fault.delayS : 0);
      // A datagram may be overtaken; a reliable stream delivers in order (head-of-line blocking).
      if (!datagram) {
        arrival = Math.max(arrival, this.lastReliable.get(link) ?? -Infinity);
        this.lastReliable.set(link, arrival);
      }
    }
    return { arrival: dropReason !== null ? null : arrival, dropReason };
  }
}
