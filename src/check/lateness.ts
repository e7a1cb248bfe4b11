/**
 * When a message is late for its receiver, judged from what the checker saw the receiver do
 * (not from the machine's own context, so a machine that mistakes a late message for a current
 * one is still caught).
 */
import type { WireMessage } from '../protocol/messages.js';

/** What the checker saw an actor do. */
export interface ActorView {
  /** `federator`, `server` or `client-<k>`. */
  name: string;
  /** Client: round of the weights it loaded; server: last round.start; federator: last round started. */
  round: number;
  /** Client: step of its last features.s1. */
  step: number;
  /** Server: last round it was told to aggregate; federator: last round whose FedAvg it started. */
  closed: number;
}

/** Why `msg` is late for the receiver (from an earlier round, a round already aggregated, a batch already given up), or null. */
export function lateness(view: ActorView, msg: WireMessage): string | null {
  if (view.name === 'federator') {
    if (msg.kind !== 'weights.up') return null;
    if (msg.round < view.round) return `weights.up of round ${msg.round} reached the federator in round ${view.round}`;
    if (msg.round <= view.closed) return `weights.up of round ${msg.round} reached the federator after its FedAvg began`;
    return null;
  }
  if (view.name === 'server') {
    const split = msg.kind === 'features.s1' || msg.kind === 'gradients.s2' || (msg.kind === 'control' && msg.control.op === 'labels');
    if (msg.round < view.round) return `${msg.kind} of round ${msg.round} reached the server in round ${view.round}`;
    if (split && msg.round <= view.closed) return `${msg.kind} of round ${msg.round} reached the server after that round was aggregated`;
    return null;
  }
  if (view.round < 0) return null;
  if (msg.round < view.round) return `${msg.kind} of round ${msg.round} reached ${view.name} in round ${view.round}`;
  if (msg.kind === 'weights.down' && msg.round === view.round) return `weights.down of round ${msg.round} reached ${view.name} again`;
  if ((msg.kind === 'features.s2' || msg.kind === 'gradients.s1') && msg.round === view.round && msg.step < view.step) {
    return `${msg.kind} for batch ${msg.step} reached ${view.name} at batch ${view.step}`;
  }
  return null;
}
