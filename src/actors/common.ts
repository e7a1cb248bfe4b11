/** Pieces shared by the three protocol machines. */
import { SKIPPED_CODEC } from '../codecs/container.js';
import type { ActorEvent, BlobRef, Effect, TaskArgs, TaskName, WireMessage } from '../protocol/messages.js';

/**
 * Does this blob say its tensor was not sent (a header-only `skipped` container, the loss gate
 * of the `ayad` baseline)? Its receiver runs no backward pass and no optimiser step for the batch.
 */
export function isSkipped(blob: BlobRef | null | undefined): boolean {
  return blob != null && blob.codec === SKIPPED_CODEC;
}

export { clientIndex, clientName } from '../protocol/index.js';

/** Is this event the completion of `task`? */
export function isDone(event: ActorEvent, task: TaskName): event is Extract<ActorEvent, { type: 'compute.done' }> {
  return event.type === 'compute.done' && event.task === task;
}

/** Is this event a message of `kind` for `round` (and `step`, when given)? */
export function isMessage(
  event: ActorEvent,
  kind: WireMessage['kind'],
  round?: number,
  step?: number,
): event is Extract<ActorEvent, { type: 'message' }> {
  if (event.type !== 'message' || event.msg.kind !== kind) return false;
  if (round !== undefined && event.msg.round !== round) return false;
  if (step !== undefined && 'step' in event.msg && event.msg.step !== step) return false;
  return true;
}

/** The control op of a control message, or undefined. */
export function controlOp(event: ActorEvent): string | undefined {
  return event.type === 'message' && event.msg.kind === 'control' ? event.msg.control.op : undefined;
}

/** A compute effect. */
export function compute(actor: string, taskId: number, task: TaskName, args: TaskArgs): Effect {
  return { type: 'compute', actor, taskId, task, args };
}

/** A send effect. */
export function send(from: string, to: string, msg: WireMessage): Effect {
  return { type: 'send', from, to, msg };
}
