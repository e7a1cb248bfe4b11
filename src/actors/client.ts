/**
 * The client machine (DESIGN §1). Pure: it names effects (`emit`) and the simulation performs
 * them. Per step, U-shaped: FE forward → encode F1 → send features.s1 → (features.s2) decode →
 * BE forward/backward with the labels → encode G2 → send gradients.s2 → (gradients.s1) decode →
 * FE backward. Label-sharing: FE1 forward → encode → send features + labels → (gradients.s1)
 * decode → FE1 backward. A step whose reply never comes (lossy network) is skipped after
 * `stepTimeoutS`; a newer round's weights abort whatever the client was doing. A gradient whose
 * encode or message is a `skipped` notice (the loss gate of the `ayad` baseline) ends the step
 * there: the notice goes out, nothing is awaited, FE takes no step on the batch.
 */
import type { SflVariant } from '../protocol/index.js';
import { and, assign, setup } from 'xstate';
import type { ActorEvent, BlobRef, Effect, TaskName } from '../protocol/messages.js';
import { clientName, compute, controlOp, isDone, isMessage, isSkipped, send } from './common.js';

export interface ClientInput {
  id: number;
  topology: 'u-shaped' | 'label-sharing';
  variant: SflVariant;
  /** Local steps per round (epochs × batches). */
  steps: number;
  samples: number;
  stepTimeoutS: number;
}

/** What has come of the next round's weights: `weights.down`, and its `codec.down` when it has one. */
interface Inbox {
  round: number;
  weights: BlobRef | null;
  codec: BlobRef | null;
  needsCodec: boolean;
}

export interface ClientContext extends ClientInput {
  name: string;
  round: number;
  step: number;
  nextTaskId: number;
  /** Raw FE output (u-shaped: f1) awaiting encode, then the skip tensor and its gradient. */
  skip: BlobRef | null;
  gskip: BlobRef | null;
  labels: BlobRef | null;
  lastLoss: number | null;
  /** SFLV2: the server's turn arrived (possibly before the weights finished loading). */
  hasTurn: boolean;
  inbox: Inbox | null;
}

type DoneEvent = Extract<ActorEvent, { type: 'compute.done' }>;

function next(ctx: ClientContext): number {
  return ctx.nextTaskId;
}

export const clientMachine = setup({
  types: {
    context: {} as ClientContext,
    events: {} as ActorEvent,
    input: {} as ClientInput,
  },
  actions: {
    /** Hand effects to the simulation; implemented by effects.ts. */
    emit: (_: unknown, _effects: Effect[]) => {},
  },
  guards: {
    /** A newer round's weights, with their codecs when they have any, are all here. */
    newRound: ({ context, event }) => {
      const box = inboxWith(context, event);
      return box !== null && box.weights !== null && (!box.needsCodec || box.codec !== null);
    },
    /** Half of a newer round's weights (weights.down or codec.down): kept until the other half comes. */
    newRoundPart: ({ context, event }) => inboxWith(context, event) !== null,
    /** Vanilla split learning: FE's second output is the labels, and they travel with the features. */
    sharesLabels: ({ context }) => context.topology === 'label-sharing',
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => ({
    ...input,
    name: clientName(input.id),
    round: -1,
    step: 0,
    nextTaskId: 0,
    skip: null,
    gskip: null,
    labels: null,
    lastLoss: null,
    hasTurn: false,
    inbox: null,
  }),
  initial: 'idle',
  on: {
    // A newer round always wins: a straggler drops what it was doing and rejoins.
    message: [
      {
      guard: 'newRound',
      target: '.loading',
      actions: [
        // What the dropped batch held is freed first: the assign below forgets it.
        { type: 'emit', params: ({ context }) => releaseHeld(context) },
        assign(({ context, event }) => ({
          round: (event as Extract<ActorEvent, { type: 'message' }>).msg.round,
          step: 0,
          nextTaskId: context.nextTaskId + 1,
          skip: null,
          gskip: null,
          labels: null,
          hasTurn: false,
        })),
        {
          type: 'emit',
          params: ({ context, event }) => {
            const msg = (event as Extract<ActorEvent, { type: 'message' }>).msg;
            const box = inboxWith({ ...context, round: msg.round - 1, inbox: context.inbox }, event) as Inbox;
            const blobs = [box.weights, box.codec].filter((b): b is BlobRef => b !== null);
            return [
              compute(context.name, context.nextTaskId, 'weights.load', {
                client: context.id,
                round: msg.round,
                step: -1,
                inputs: blobs,
              }),
            ];
          },
        },
        assign({ inbox: null }),
      ],
      },
      { guard: 'newRoundPart', actions: assign(({ context, event }) => ({ inbox: inboxWith(context, event) })) },
      {
        // SFLV2: a turn that arrives while the weights are still loading is kept for later.
        guard: ({ context, event }) => controlOp(event) === 'turn' && isMessage(event, 'control', context.round),
        actions: assign({ hasTurn: true }),
      },
      {
        // Nobody waits for this message (a split reply to a batch already abandoned, a duplicate):
        // free its bytes, never apply it. The round's weights and codecs are shared buffers, which
        // the simulation frees.
        guard: ({ event }) =>
          event.type === 'message' && event.msg.kind !== 'weights.down' && event.msg.kind !== 'codec.down' && 'blob' in event.msg,
        actions: {
          type: 'emit',
          params: ({ event }) => [{ type: 'release', blobs: [((event as Extract<ActorEvent, { type: 'message' }>).msg as { blob: BlobRef }).blob.id] }],
        },
      },
    ],
    'compute.done': {
      // A task of an abandoned step (a newer round came) finished: its outputs are nobody's now.
      guard: ({ context, event }) => event.type === 'compute.done' && event.taskId !== context.nextTaskId && event.outputs.length > 0,
      actions: { type: 'emit', params: ({ event }) => [{ type: 'release', blobs: (event as DoneEvent).outputs.map((b) => b.id) }] },
    },
  },
  states: {
    idle: {},
    loading: {
      on: {
        'compute.done': [
          {
            guard: ({ context, event }) => isCurrent(context, event, 'weights.load') && context.variant === 'sflv2' && !context.hasTurn,
            target: 'waitingTurn',
          },
          { guard: ({ context, event }) => isCurrent(context, event, 'weights.load'), target: 'forward' },
        ],
      },
    },
    waitingTurn: {
      on: {
        message: {
          guard: ({ context, event }) => controlOp(event) === 'turn' && isMessage(event, 'control', context.round),
          target: 'forward',
        },
      },
    },
    forward: {
      entry: [
        assign(({ context }) => ({ nextTaskId: context.nextTaskId + 1 })),
        {
          type: 'emit',
          params: ({ context }) => [
            compute(context.name, next(context), 'fe.forward', { client: context.id, round: context.round, step: context.step }),
          ],
        },
      ],
      on: {
        'compute.done': [
          {
            // label-sharing: outputs are [f1, labels]
            guard: and([({ context, event }) => isCurrent(context, event, 'fe.forward'), 'sharesLabels']),
            target: 'encodingF1',
            actions: [
              assign(({ context, event }) => ({ labels: (event as DoneEvent).outputs[1] ?? null, nextTaskId: context.nextTaskId + 1 })),
              { type: 'emit', params: ({ context, event }) => [encodeF1(context, event)] },
            ],
          },
          {
            // u-shaped: outputs are [f1, skip]
            guard: ({ context, event }) => isCurrent(context, event, 'fe.forward'),
            target: 'encodingF1',
            actions: [
              assign(({ context, event }) => ({ skip: (event as DoneEvent).outputs[1] ?? null, nextTaskId: context.nextTaskId + 1 })),
              { type: 'emit', params: ({ context, event }) => [encodeF1(context, event)] },
            ],
          },
        ],
      },
    },
    encodingF1: {
      on: {
        'compute.done': [
          {
            guard: and([({ context, event }) => isCurrent(context, event, 'encode'), 'sharesLabels']),
            target: 'awaitingReply',
            // The labels are the server's once sent: a skipped step must not free them under it.
            actions: [{ type: 'emit', params: ({ context, event }) => sendF1(context, event, true) }, assign({ labels: null })],
          },
          {
            guard: ({ context, event }) => isCurrent(context, event, 'encode'),
            target: 'awaitingReply',
            actions: { type: 'emit', params: ({ context, event }) => sendF1(context, event, false) },
          },
        ],
      },
    },
    awaitingReply: {
      on: {
        message: [
          {
            guard: ({ context, event }) =>
              context.topology === 'u-shaped' && isMessage(event, 'features.s2', context.round, context.step),
            target: 'decodingF2',
            actions: [
              assign(({ context }) => ({ nextTaskId: context.nextTaskId + 1 })),
              {
                type: 'emit',
                params: ({ context, event }) => [
                  compute(context.name, next(context), 'decode', {
                    client: context.id,
                    round: context.round,
                    step: context.step,
                    slot: 'F2',
                    inputs: [(event as Extract<ActorEvent, { type: 'message' }>).msg as unknown as { blob: BlobRef }].map(
                      (m) => m.blob,
                    ),
                  }),
                ],
              },
            ],
          },
          {
            // The server's loss gate kept G1 (label-sharing: it computes the loss): no FE step on this batch.
            guard: ({ context, event }) => isSkippedG1(context, event),
            target: 'stepDone',
            actions: [
              { type: 'emit', params: ({ context, event }) => releaseSkippedG1(context, event) },
              assign({ gskip: null, labels: null }),
            ],
          },
          {
            guard: ({ context, event }) =>
              context.topology === 'label-sharing' && isMessage(event, 'gradients.s1', context.round, context.step),
            target: 'decodingG1',
            actions: [
              assign(({ context }) => ({ nextTaskId: context.nextTaskId + 1 })),
              {
                type: 'emit',
                params: ({ context, event }) => [decodeG1(context, event)],
              },
            ],
          },
        ],
        timer: { guard: ({ context, event }) => stepTimedOut(context, event), target: 'skipStep' },
      },
    },
    decodingF2: {
      on: {
        'compute.done': {
          guard: ({ context, event }) => isCurrent(context, event, 'decode'),
          target: 'training',
          actions: [
            assign(({ context }) => ({ nextTaskId: context.nextTaskId + 1 })),
            {
              type: 'emit',
              params: ({ context, event }) => [
                compute(context.name, next(context), 'be.train', {
                  client: context.id,
                  round: context.round,
                  step: context.step,
                  inputs: [(event as DoneEvent).outputs[0] as BlobRef, context.skip as BlobRef],
                }),
              ],
            },
          ],
        },
      },
    },
    training: {
      on: {
        'compute.done': {
          guard: ({ context, event }) => isCurrent(context, event, 'be.train'),
          target: 'encodingG2',
          actions: [
            assign(({ context, event }) => ({
              gskip: (event as DoneEvent).outputs[1] ?? null,
              skip: null,
              lastLoss: (event as DoneEvent).loss ?? null,
              nextTaskId: context.nextTaskId + 1,
            })),
            {
              type: 'emit',
              params: ({ context, event }) => [
                compute(context.name, next(context), 'encode', {
                  client: context.id,
                  round: context.round,
                  step: context.step,
                  slot: 'G2',
                  inputs: [(event as DoneEvent).outputs[0] as BlobRef],
                }),
              ],
            },
          ],
        },
      },
    },
    encodingG2: {
      on: {
        'compute.done': [
          {
            // The loss gate kept the gradient: tell the server (so it frees the batch), expect no G1.
            guard: ({ context, event }) => isCurrent(context, event, 'encode') && isSkipped((event as DoneEvent).outputs[0]),
            target: 'stepDone',
            actions: [
              {
                type: 'emit',
                params: ({ context, event }) => [
                  sendG2(context, event),
                  ...releaseHeld(context),
                ],
              },
              assign({ skip: null, gskip: null, labels: null }),
            ],
          },
          {
            guard: ({ context, event }) => isCurrent(context, event, 'encode'),
            target: 'awaitingGradient',
            actions: {
              type: 'emit',
              // A fresh step timer: the first may have fired while the client was computing
              // (a straggler), and a G1 that never comes must not stall the client for good.
              params: ({ context, event }) => [sendG2(context, event), stepTimer(context)],
            },
          },
        ],
      },
    },
    awaitingGradient: {
      on: {
        message: [
          {
            // A server-side gate kept G1 (ayad gates G2 on U-shaped clients instead; honoured all the same): no FE step.
            guard: ({ context, event }) => isSkippedG1(context, event),
            target: 'stepDone',
            actions: [
              { type: 'emit', params: ({ context, event }) => releaseSkippedG1(context, event) },
              assign({ gskip: null, labels: null }),
            ],
          },
          {
            guard: ({ context, event }) => isMessage(event, 'gradients.s1', context.round, context.step),
            target: 'decodingG1',
            actions: [
              assign(({ context }) => ({ nextTaskId: context.nextTaskId + 1 })),
              { type: 'emit', params: ({ context, event }) => [decodeG1(context, event)] },
            ],
          },
        ],
        timer: { guard: ({ context, event }) => stepTimedOut(context, event), target: 'skipStep' },
      },
    },
    decodingG1: {
      on: {
        'compute.done': {
          guard: ({ context, event }) => isCurrent(context, event, 'decode'),
          target: 'backward',
          actions: [
            assign(({ context }) => ({ nextTaskId: context.nextTaskId + 1 })),
            {
              type: 'emit',
              params: ({ context, event }) => {
                const g1 = (event as DoneEvent).outputs[0] as BlobRef;
                const inputs = context.gskip !== null ? [g1, context.gskip] : [g1];
                return [
                  compute(context.name, next(context), 'fe.backward', {
                    client: context.id,
                    round: context.round,
                    step: context.step,
                    inputs,
                  }),
                ];
              },
            },
          ],
        },
      },
    },
    backward: {
      on: {
        'compute.done': {
          guard: ({ context, event }) => isCurrent(context, event, 'fe.backward'),
          target: 'stepDone',
          actions: assign({ gskip: null, labels: null }),
        },
      },
    },
    skipStep: {
      // The reply was lost or is late: drop this batch's state, tell the server (it drops work on
      // the batch not yet started and sends no reply), and carry on with the next one.
      entry: [
        {
          type: 'emit',
          params: ({ context }) => [
            ...releaseHeld(context),
            send(context.name, 'server', { kind: 'control', round: context.round, control: { op: 'abandon', step: context.step } }),
          ],
        },
        assign({ skip: null, gskip: null, labels: null }),
      ],
      always: 'stepDone',
    },
    stepDone: {
      entry: assign(({ context }) => ({ step: context.step + 1 })),
      always: [
        { guard: ({ context }) => context.step < context.steps, target: 'forward' },
        { target: 'packing' },
      ],
    },
    packing: {
      entry: [
        assign(({ context }) => ({ nextTaskId: context.nextTaskId + 1 })),
        {
          type: 'emit',
          params: ({ context }) => [
            compute(context.name, next(context), 'weights.pack', { client: context.id, round: context.round, step: -1 }),
          ],
        },
      ],
      on: {
        'compute.done': {
          guard: ({ context, event }) => isCurrent(context, event, 'weights.pack'),
          target: 'idle',
          actions: {
            type: 'emit',
            params: ({ context, event }) => {
              const codec = (event as DoneEvent).outputs[1];
              const effects: Effect[] = codec ? [send(context.name, 'federator', { kind: 'codec.up', round: context.round, blob: codec })] : [];
              effects.push(
                send(context.name, 'federator', {
                  kind: 'weights.up',
                  round: context.round,
                  blob: (event as DoneEvent).outputs[0] as BlobRef,
                  samples: context.samples,
                  ...(codec ? { codec: true } : {}),
                }),
              );
              if (context.variant === 'sflv2') {
                effects.push(send(context.name, 'server', { kind: 'control', round: context.round, control: { op: 'turn.done' } }));
              }
              return effects;
            },
          },
        },
      },
    },
  },
});

/**
 * The inbox once this event is counted: for a weights.down or codec.down of a round newer than
 * the client's, the halves received of that round (a newer round replaces an older inbox); else null.
 */
function inboxWith(context: ClientContext, event: ActorEvent): Inbox | null {
  if (event.type !== 'message' || event.msg.round <= context.round) return null;
  const msg = event.msg;
  if (msg.kind !== 'weights.down' && msg.kind !== 'codec.down') return null;
  const old = context.inbox !== null && context.inbox.round === msg.round ? context.inbox : null;
  const box: Inbox = old ?? { round: msg.round, weights: null, codec: null, needsCodec: false };
  if (msg.kind === 'codec.down') return { ...box, codec: msg.blob };
  return { ...box, weights: msg.blob, needsCodec: msg.codec === true };
}

/** A skipped G1 ends the step: its notice and the skip tensor's gradient are freed (the labels, if any, went to the server). */
function releaseSkippedG1(context: ClientContext, event: ActorEvent): Effect[] {
  const notice = ((event as Extract<ActorEvent, { type: 'message' }>).msg as { blob: BlobRef }).blob;
  const ids = [notice, context.gskip].filter((b): b is BlobRef => b !== null).map((b) => b.id);
  return [{ type: 'release', blobs: ids }];
}

/** The encoded G2 (or the loss gate's skip notice) of the current step, to the split server. */
function sendG2(context: ClientContext, event: ActorEvent): Effect {
  return send(context.name, 'server', {
    kind: 'gradients.s2',
    round: context.round,
    step: context.step,
    blob: (event as DoneEvent).outputs[0] as BlobRef,
  });
}

/** Frees what the client holds for the current batch (skip tensor, its gradient, labels not yet sent). */
function releaseHeld(context: ClientContext): Effect[] {
  const held = [context.skip, context.gskip, context.labels].filter((b): b is BlobRef => b !== null);
  return held.length > 0 ? [{ type: 'release', blobs: held.map((b) => b.id) }] : [];
}

function encodeF1(context: ClientContext, event: ActorEvent): Effect {
  return compute(context.name, context.nextTaskId, 'encode', {
    client: context.id,
    round: context.round,
    step: context.step,
    slot: 'F1',
    inputs: [(event as DoneEvent).outputs[0] as BlobRef],
  });
}

/** Sends f1 (and, when the labels travel, the labels), then arms the step timer. */
function sendF1(context: ClientContext, event: ActorEvent, withLabels: boolean): Effect[] {
  const wire = (event as DoneEvent).outputs[0] as BlobRef;
  const effects: Effect[] = [
    send(context.name, 'server', { kind: 'features.s1', round: context.round, step: context.step, blob: wire }),
  ];
  if (withLabels && context.labels !== null) {
    // Vanilla split learning: the labels travel to the server with the features.
    effects.push(
      send(context.name, 'server', {
        kind: 'control',
        round: context.round,
        control: { op: 'labels', step: context.step, blob: context.labels },
      }),
    );
  }
  effects.push(stepTimer(context));
  return effects;
}

/** The timer after which the client gives up waiting for the current step's reply. */
function stepTimer(context: ClientContext): Effect {
  return { type: 'timer', actor: context.name, delay: context.stepTimeoutS, name: 'step', round: context.round, step: context.step };
}

/**
 * Is this the completion of the task the client waits for (always its latest, `nextTaskId`)? A
 * task of a step the client abandoned (a newer round's weights came) still finishes, later; its
 * result must not be taken for the current step's.
 */
function isCurrent(context: ClientContext, event: ActorEvent, task: TaskName): boolean {
  return isDone(event, task) && event.taskId === context.nextTaskId;
}

function decodeG1(context: ClientContext, event: ActorEvent): Effect {
  const msg = (event as Extract<ActorEvent, { type: 'message' }>).msg as { blob: BlobRef };
  return compute(context.name, context.nextTaskId, 'decode', {
    client: context.id,
    round: context.round,
    step: context.step,
    slot: 'G1',
    inputs: [msg.blob],
  });
}

/** Is this the current step's gradients.s1, sent as a `skipped` notice? */
function isSkippedG1(context: ClientContext, event: ActorEvent): boolean {
  return isMessage(event, 'gradients.s1', context.round, context.step) && event.msg.kind === 'gradients.s1' && isSkipped(event.msg.blob);
}

function stepTimedOut(context: ClientContext, event: ActorEvent): boolean {
  return event.type === 'timer' && event.name === 'step' && event.round === context.round && event.step === context.step;
}
