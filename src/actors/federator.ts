/**
 * The federator machine (DESIGN §1, "Rounds"): select clients, send them the global
 * client-side weights, wait for updates until the deadline, aggregate whoever reported
 * (sample-weighted FedAvg), have the split server aggregate its copies of M the same way,
 * and repeat. Clients that are offline or miss the deadline are simply left out.
 */
import { assign, setup } from 'xstate';
import { Rng } from '../sim/rng.js';
import type { ActorEvent, BlobRef, Effect } from '../protocol/messages.js';
import { clientIndex, clientName, compute, controlOp, isDone, isMessage, send } from './common.js';

export interface FederatorInput {
  clients: number;
  clientsPerRound: number;
  rounds: number;
  roundDeadlineS: number;
  seed: number;
  /** Over-selection: aggregate once this many selected clients reported (default: all selected). */
  aggregateFirst?: number;
}

interface Update {
  client: number;
  samples: number;
  blob: BlobRef;
}

export interface FederatorContext extends FederatorInput {
  round: number;
  selected: number[];
  received: Update[];
  nextTaskId: number;
}

/** The clients selected in `round`: all of them, or a seeded sample of `perRound`, in ascending order. */
export function selectClients(seed: number, round: number, clients: number, perRound: number): number[] {
  const all = Array.from({ length: clients }, (_, k) => k);
  if (perRound >= clients) return all;
  return new Rng(seed, `select/round-${round}`).shuffle(all).slice(0, perRound).sort((a, b) => a - b);
}

type DoneEvent = Extract<ActorEvent, { type: 'compute.done' }>;
type MessageEvent = Extract<ActorEvent, { type: 'message' }>;

export const federatorMachine = setup({
  types: {
    context: {} as FederatorContext,
    events: {} as ActorEvent,
    input: {} as FederatorInput,
  },
  guards: {
    moreRounds: ({ context }) => context.round + 1 < context.rounds,
    allReported: ({ context }) =>
      context.received.length >= Math.min(context.selected.length, context.aggregateFirst ?? context.selected.length),
    /** A first update of this round from a selected client. */
    acceptsUpdate: ({ context, event }) => {
      if (!isMessage(event, 'weights.up', context.round)) return false;
      const k = clientIndex((event as MessageEvent).from);
      return context.selected.includes(k) && !context.received.some((u) => u.client === k);
    },
    deadlineReached: ({ context, event }) => event.type === 'timer' && event.name === 'deadline' && event.round === context.round,
  },
  actions: {
    emit: (_: unknown, _effects: Effect[]) => {},
    /** Keeps an accepted update (who, how many samples, which buffer) for the round's FedAvg. */
    recordUpdate: assign(({ context, event }) => {
      const e = event as MessageEvent;
      const msg = e.msg as Extract<typeof e.msg, { kind: 'weights.up' }>;
      return { received: [...context.received, { client: clientIndex(e.from), samples: msg.samples, blob: msg.blob }] };
    }),
  },
}).createMachine({
  id: 'federator',
  context: ({ input }) => ({ ...input, round: -1, selected: [], received: [], nextTaskId: 0 }),
  initial: 'idle',
  on: {
    // An update nobody waits for (late, duplicate, or after over-selection closed the round): free its bytes.
    message: {
      guard: ({ event }) => isMessage(event, 'weights.up'),
      actions: {
        type: 'emit',
        params: ({ event }) => {
          const msg = (event as MessageEvent).msg as Extract<MessageEvent['msg'], { kind: 'weights.up' }>;
          return [{ type: 'release', blobs: [msg.blob.id] }];
        },
      },
    },
  },
  states: {
    idle: {
      on: { start: 'packing' },
    },
    packing: {
      entry: [
        assign(({ context }) => {
          const round = context.round + 1;
          return {
            round,
            selected: selectClients(context.seed, round, context.clients, context.clientsPerRound),
            received: [],
            nextTaskId: context.nextTaskId + 1,
          };
        }),
        {
          type: 'emit',
          params: ({ context }) => [
            compute('federator', context.nextTaskId, 'global.pack', { round: context.round, step: -1 }),
          ],
        },
      ],
      on: {
        'compute.done': {
          guard: ({ event }) => isDone(event, 'global.pack'),
          target: 'collecting',
          actions: {
            type: 'emit',
            params: ({ context, event }) => {
              const blob = (event as DoneEvent).outputs[0] as BlobRef;
              const effects: Effect[] = context.selected.map((k) =>
                send('federator', clientName(k), { kind: 'weights.down', round: context.round, blob }),
              );
              effects.push(
                send('federator', 'server', {
                  kind: 'control',
                  round: context.round,
                  control: { op: 'round.start', participants: context.selected },
                }),
              );
              effects.push({
                type: 'timer',
                actor: 'federator',
                delay: context.roundDeadlineS,
                name: 'deadline',
                round: context.round,
                step: -1,
              });
              return effects;
            },
          },
        },
      },
    },
    collecting: {
      always: { guard: 'allReported', target: 'aggregating' },
      on: {
        message: { guard: 'acceptsUpdate', actions: 'recordUpdate' },
        timer: { guard: 'deadlineReached', target: 'aggregating' },
      },
    },
    aggregating: {
      entry: [
        assign(({ context }) => ({
          nextTaskId: context.nextTaskId + 1,
          // Reference order: ascending client index, whatever order updates arrived in.
          received: [...context.received].sort((a, b) => a.client - b.client),
        })),
        {
          type: 'emit',
          params: ({ context }) => [
            compute('federator', context.nextTaskId, 'aggregate', {
              round: context.round,
              step: -1,
              inputs: context.received.map((u) => u.blob),
              participants: context.received.map((u) => u.client),
              samples: context.received.map((u) => u.samples),
            }),
          ],
        },
      ],
      on: {
        'compute.done': {
          guard: ({ event }) => isDone(event, 'aggregate'),
          target: 'waitingServer',
          actions: {
            type: 'emit',
            params: ({ context }) => [
              send('federator', 'server', {
                kind: 'control',
                round: context.round,
                control: {
                  op: 'aggregate',
                  participants: context.received.map((u) => u.client),
                  samples: context.received.map((u) => u.samples),
                },
              }),
            ],
          },
        },
      },
    },
    waitingServer: {
      on: {
        message: [
          {
            guard: ({ context, event }) =>
              controlOp(event) === 'aggregated' && isMessage(event, 'control', context.round) && context.round + 1 < context.rounds,
            target: 'packing',
            actions: { type: 'emit', params: ({ context }) => [roundComplete(context)] },
          },
          {
            guard: ({ context, event }) => controlOp(event) === 'aggregated' && isMessage(event, 'control', context.round),
            target: 'done',
            actions: { type: 'emit', params: ({ context }) => [roundComplete(context), { type: 'finished' }] },
          },
        ],
      },
    },
    done: { type: 'final' },
  },
});

function roundComplete(context: FederatorContext): Effect {
  return {
    type: 'round.complete',
    round: context.round,
    participants: context.received.map((u) => u.client),
    samples: context.received.map((u) => u.samples),
  };
}
