/**
 * The effect implementations the machines are provided with (STYLE principle 1): `emit`
 * appends to an outbox that the host hands back to the simulation after each instant.
 * Tests provide their own `emit` to drive machines without threads or tensors.
 */
import { createActor, type AnyActorRef } from 'xstate';
import type { ActorEvent, Effect } from '../protocol/messages.js';
import { clientMachine, type ClientInput } from './client.js';
import { federatorMachine, type FederatorInput } from './federator.js';
import { splitServerMachine, type ServerInput } from './splitServer.js';

/** What a host needs to create one actor. */
export type ActorSpec =
  | { id: string; kind: 'client'; input: ClientInput }
  | { id: string; kind: 'server'; input: ServerInput }
  | { id: string; kind: 'federator'; input: FederatorInput };

/** A started actor whose effects land in `outbox`. */
export interface HostedActor {
  readonly id: string;
  readonly ref: AnyActorRef;
  error: unknown;
}

/**
 * Creates and starts the actor of `spec`, its `emit` pushing onto `outbox`; with `snapshot`
 * (from `getPersistedSnapshot`, a checkpoint) it continues from that state and runs no entry action again.
 */
export function startActor(spec: ActorSpec, outbox: Effect[], snapshot?: unknown): HostedActor {
  const emit = (_: unknown, effects: Effect[]): void => {
    outbox.push(...effects);
  };
  const restored = snapshot !== undefined ? { snapshot: snapshot as never } : {};
  let ref: AnyActorRef;
  switch (spec.kind) {
    case 'client':
      ref = createActor(clientMachine.provide({ actions: { emit } }), { input: spec.input, ...restored });
      break;
    case 'server':
      ref = createActor(splitServerMachine.provide({ actions: { emit } }), { input: spec.input, ...restored });
      break;
    case 'federator':
      ref = createActor(federatorMachine.provide({ actions: { emit } }), { input: spec.input, ...restored });
      break;
  }
  const hosted: HostedActor = { id: spec.id, ref, error: undefined };
  ref.subscribe({
    error: (err: unknown) => {
      hosted.error = err;
    },
  });
  ref.start();
  return hosted;
}

/** Sends `event` to the actor; a machine that failed is a bug and rethrows here. */
export function deliver(actor: HostedActor, event: ActorEvent): void {
  actor.ref.send(event);
  if (actor.error !== undefined) {
    const e = actor.error;
    throw new Error(`actor ${actor.id} failed on ${event.type}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
}
