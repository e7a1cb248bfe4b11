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
  /**
   * Learned codecs: per round, whether their weights are synced at its end (codecSync.ts). Their
   * weights then travel as `codec.up` / `codec.down`, apart from the model's. Absent: no codecs.
   */
  codecSync?: boolean[];
  /** Whether clients train codecs of their own, and so send codec.up in a sync round (default true). */
  clientCodecs?: boolean;
  /**
   * Weight deltas (protocol.weightBits < 32): from the second round on, `global.pack` offers the
   * round's weights in full and as a delta against the previous round's; a client whose update
   * of the previous round was aggregated holds that one, and gets the delta.
   */
  weightDeltas?: boolean;
}

interface Update {
  client: number;
  samples: number;
  blob: BlobRef;
  /** The client's codec.up, when the round syncs codecs (the update counts once it is here). */
  codec?: BlobRef;
}

export interface FederatorContext extends FederatorInput {
  round: number;
  selected: number[];
  received: Update[];
  nextTaskId: number;
  /** Codec versions: the global one (syncs done), and the one each client holds (0: the seeded initial codecs). */
  codecVersion: number;
  clientCodec: number[];
  /** The clients whose updates the previous round aggregated (they hold its global). */
  reported: number[];
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
    allReported: ({ context }) =>
      complete(context).length >= Math.min(context.selected.length, context.aggregateFirst ?? context.selected.length),
    /** A first update (weights.up, or in a codec sync round codec.up) of this round from a selected client. */
    acceptsUpdate: ({ context, event }) => {
      const codec = isMessage(event, 'codec.up', context.round) && expectsCodecUp(context);
      if (!isMessage(event, 'weights.up', context.round) && !codec) return false;
      const k = clientIndex((event as MessageEvent).from);
      const u = context.received.find((x) => x.client === k);
      return context.selected.includes(k) && (u === undefined || (codec ? u.codec === undefined : u.blob.id < 0));
    },
    deadlineReached: ({ context, event }) => event.type === 'timer' && event.name === 'deadline' && event.round === context.round,
  },
  actions: {
    emit: (_: unknown, _effects: Effect[]) => {},
    /**
     * Keeps an accepted update (who, how many samples, which buffers) for the round's FedAvg. A
     * codec.up that comes first waits under a placeholder weights buffer (id -1). Either shows the
     * client loaded this round's weights, and so holds the round's codec version: only then does
     * the federator count on it (a client that crashed or was cut off before its codec.down came
     * does not hold it, and a delta against it would spoil its codecs).
     */
    recordUpdate: assign(({ context, event }) => withUpdate(context, event as MessageEvent)),
  },
}).createMachine({
  id: 'federator',
  context: ({ input }) => ({
    ...input,
    round: -1,
    selected: [],
    received: [],
    nextTaskId: 0,
    codecVersion: 0,
    // Version 0, the codecs' initial weights, comes from the scenario seed at both ends: it never travels.
    clientCodec: Array.from({ length: input.clients }, () => 0),
    reported: [],
  }),
  initial: 'idle',
  on: {
    // An update nobody waits for (late, duplicate, or after over-selection closed the round): free its bytes.
    message: {
      guard: ({ event }) => isMessage(event, 'weights.up') || isMessage(event, 'codec.up'),
      actions: {
        type: 'emit',
        params: ({ event }) => {
          const msg = (event as MessageEvent).msg as Extract<MessageEvent['msg'], { kind: 'weights.up' | 'codec.up' }>;
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
            reported: context.received.map((u) => u.client),
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
          actions: [
            {
            type: 'emit',
            params: ({ context, event }) => {
              const outputs = (event as DoneEvent).outputs;
              const deltas = context.weightDeltas === true && context.round > 0;
              const [blob, weightDelta] = outputs as [BlobRef, BlobRef?];
              const [full, delta] = outputs.slice(deltas ? 2 : 1) as [BlobRef?, BlobRef?];
              const effects: Effect[] = [];
              for (const k of context.selected) {
                const weights = deltas && weightDelta !== undefined && context.reported.includes(k) ? weightDelta : blob;
                // A client's codecs: none if it holds the current version, a delta if it holds the one before, else in full.
                const held = context.clientCodec[k] ?? -1;
                const codec = full === undefined || held === context.codecVersion ? undefined : held === context.codecVersion - 1 && delta ? delta : full;
                if (codec !== undefined) effects.push(send('federator', clientName(k), { kind: 'codec.down', round: context.round, blob: codec }));
                effects.push(send('federator', clientName(k), { kind: 'weights.down', round: context.round, blob: weights, ...(codec ? { codec: true } : {}) }));
              }
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
          ],
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
        {
          // Half an update (weights without their codecs, or the reverse) when the round closes: freed, not averaged.
          type: 'emit',
          params: ({ context }) => {
            const done = new Set(complete(context));
            const ids = context.received.filter((u) => !done.has(u)).flatMap((u) => [u.blob.id, u.codec?.id ?? -1].filter((id) => id >= 0));
            return ids.length > 0 ? [{ type: 'release', blobs: ids }] : [];
          },
        },
        assign(({ context }) => ({
          nextTaskId: context.nextTaskId + 1,
          // Reference order: ascending client index, whatever order updates arrived in.
          received: complete(context).sort((a, b) => a.client - b.client),
          codecVersion: context.codecVersion + (context.codecSync?.[context.round] === true ? 1 : 0),
        })),
        {
          type: 'emit',
          params: ({ context }) => [
            compute('federator', context.nextTaskId, 'aggregate', {
              round: context.round,
              step: -1,
              inputs: [...context.received.map((u) => u.blob), ...context.received.flatMap((u) => (u.codec ? [u.codec] : []))],
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

/** The context once an accepted update (weights.up or codec.up) is recorded: recordUpdate's work. */
export function withUpdate(context: FederatorContext, e: MessageEvent): Pick<FederatorContext, 'received' | 'clientCodec'> {
  const k = clientIndex(e.from);
  const old = context.received.find((u) => u.client === k);
  const rest = context.received.filter((u) => u.client !== k);
  const clientCodec = context.clientCodec.map((v, i) => (i === k ? context.codecVersion : v));
  if (e.msg.kind === 'codec.up') {
    const u: Update = old ?? { client: k, samples: 0, blob: { id: -1, bytes: 0, rawBytes: 0, codec: 'none' } };
    return { received: [...rest, { ...u, codec: e.msg.blob }], clientCodec };
  }
  const msg = e.msg as Extract<typeof e.msg, { kind: 'weights.up' }>;
  return { received: [...rest, { client: k, samples: msg.samples, blob: msg.blob, ...(old?.codec ? { codec: old.codec } : {}) }], clientCodec };
}

/** Whether this round's updates come with a codec.up. */
function expectsCodecUp(context: FederatorContext): boolean {
  return context.codecSync?.[context.round] === true && context.clientCodecs !== false;
}

/** The updates that are whole: weights, and codecs too when the round syncs them. */
function complete(context: FederatorContext): Update[] {
  const codecs = expectsCodecUp(context);
  return context.received.filter((u) => u.blob.id >= 0 && (!codecs || u.codec !== undefined));
}

function roundComplete(context: FederatorContext): Effect {
  return {
    type: 'round.complete',
    round: context.round,
    participants: context.received.map((u) => u.client),
    samples: context.received.map((u) => u.samples),
  };
}
