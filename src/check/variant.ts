/**
 * A protocol variant: the real machines, optionally with some named guards or actions swapped
 * through `.provide()`. The real protocol is the variant that swaps nothing; planted bugs
 * (plantedBugs.ts, tests only) swap one thing each.
 *
 * The split server's machine is one state whose every event runs the pure `serverReact` (its
 * `react` action) and emits the result. The checker can call that function directly instead of
 * going through the interpreter (`serverAs: 'function'`, the default): the same reactions at a
 * fraction of the cost; a test runs both ways and compares traffic-log hashes.
 */
import { assign, createActor, initialTransition } from 'xstate';
import { clientMachine, type ClientInput } from '../actors/client.js';
import { federatorMachine, type FederatorInput } from '../actors/federator.js';
import { serverReact, splitServerMachine, type ServerContext, type ServerInput } from '../actors/splitServer.js';
import type { ActorEvent, Effect } from '../protocol/messages.js';
import type { LinkModel } from '../sim/index.js';

type ClientImpl = Parameters<typeof clientMachine.provide>[0];
type FederatorImpl = Parameters<typeof federatorMachine.provide>[0];

/** The split server's reaction: (context, event) → context patch and effects. */
export type ServerReaction = typeof serverReact;

/** Named implementations to swap in each machine. */
export interface ProtocolVariant {
  name: string;
  /** One line: what is broken. */
  description: string;
  client?: ClientImpl;
  federator?: FederatorImpl;
  /** The split server's `react` action, as the pure function it runs. */
  serverReact?: ServerReaction;
  /** The client access links' FIFO model (src/sim/link.ts), a subclass swapping one named step. */
  link?: LinkModel;
}

/** The protocol as shipped. */
export const REAL_PROTOCOL: ProtocolVariant = { name: 'real', description: 'the machines of src/actors as they are' };

/** What the checker needs of a running actor. */
export interface CheckedActor {
  send(event: ActorEvent): void;
  stop(): void;
  /** False once the actor reached its final state or was stopped. */
  readonly active: boolean;
  /** The error the actor failed with, if any. */
  readonly error: unknown;
  /** State and round, for deadlock messages. */
  describe(): string;
  /** Ids of the buffers its state still refers to (what it can still use or free). */
  refersTo(): Set<number>;
}

/** Ids of every buffer reference (`{ id, bytes, … }`) in an actor's context, its last effects left out. */
export function blobIdsIn(context: unknown): Set<number> {
  const ids = new Set<number>();
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const v of x) walk(v);
      return;
    }
    const o = x as Record<string, unknown>;
    if (typeof o['id'] === 'number' && typeof o['bytes'] === 'number') ids.add(o['id']);
    for (const [k, v] of Object.entries(o)) if (k !== 'lastEffects') walk(v);
  };
  walk(context);
  return ids;
}

/** Starts actors of a variant, their `emit` pushing onto `outbox`. */
export interface VariantActors {
  client(input: ClientInput): CheckedActor;
  server(input: ServerInput): CheckedActor;
  federator(input: FederatorInput): CheckedActor;
}

/** How the checker runs the split server: its XState machine, or the machine's reaction function directly. */
export type ServerMode = 'machine' | 'function';

/** An XState actor, started, wrapped for the checker. */
function xstateActor(ref: ReturnType<typeof createActor>): CheckedActor {
  let error: unknown;
  ref.subscribe({ error: (err: unknown) => (error = err) });
  ref.start();
  return {
    send: (event) => ref.send(event),
    stop: () => ref.stop(),
    get active() {
      return ref.getSnapshot().status === 'active';
    },
    get error() {
      return error;
    },
    describe: () => {
      const snap = ref.getSnapshot() as { value?: unknown; context?: { round?: number } };
      return `${JSON.stringify(snap.value)} of round ${snap.context?.round ?? '?'}`;
    },
    refersTo: () => blobIdsIn((ref.getSnapshot() as { context?: unknown }).context),
  };
}

/** The split server as its reaction function: exactly what the machine's one transition does. */
function functionServer(input: ServerInput, react: ServerReaction, emit: (effects: Effect[]) => void): CheckedActor {
  let ctx = initialTransition(splitServerMachine, input)[0].context as ServerContext;
  let stopped = false;
  return {
    send: (event) => {
      if (stopped) return;
      const step = react(ctx, event);
      ctx = { ...ctx, ...step.context, lastEffects: step.effects };
      emit(step.effects);
    },
    stop: () => {
      stopped = true;
    },
    get active() {
      return !stopped;
    },
    error: undefined,
    describe: () => `"serving" of round ${ctx.round}`,
    refersTo: () => blobIdsIn(ctx),
  };
}

/** Provides the variant's swaps plus an `emit` that collects effects; returns actor starters. */
export function variantActors(variant: ProtocolVariant, outbox: Effect[], serverAs: ServerMode = 'function'): VariantActors {
  const push = (effects: Effect[]): void => {
    for (const e of effects) outbox.push(e);
  };
  const emit = (_: unknown, effects: Effect[]): void => push(effects);
  const client = clientMachine.provide({ ...variant.client, actions: { ...variant.client?.actions, emit } });
  const federator = federatorMachine.provide({ ...variant.federator, actions: { ...variant.federator?.actions, emit } });
  const react = variant.serverReact ?? serverReact;
  const server = splitServerMachine.provide({
    actions: {
      emit,
      react: assign(({ context, event }) => {
        const step = react(context, event);
        return { ...step.context, lastEffects: step.effects };
      }),
    },
  });
  return {
    client: (input) => xstateActor(createActor(client, { input })),
    federator: (input) => xstateActor(createActor(federator, { input })),
    server: (input) => (serverAs === 'machine' ? xstateActor(createActor(server, { input })) : functionServer(input, react, push)),
  };
}
