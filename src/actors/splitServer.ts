/**
 * The split server machine (DESIGN §1). It serves each client's batches through its model part
 * (M, or S for label-sharing): decode → forward → encode → reply, then decode gradient →
 * backward (with its own optimiser step) → encode → reply. SFLV1 keeps one copy of M per
 * client and serves clients concurrently; SFLV2 keeps one M and gives clients turns, one
 * after another, passing the turn on when a client finishes or stays silent `turnTimeoutS`.
 * A round's split traffic is served only between its `round.start` and its `aggregate`, and a
 * batch is trained at most once, so late and duplicated messages change nothing. A gradient that
 * arrives as a `skipped` notice (the client's loss gate, `ayad` baseline) closes its batch: M takes
 * no step on it and no G1 goes back. A client's `abandon` notice (its step timed out) does the same
 * for the batch: tasks already running finish, but nothing more starts and no reply is sent.
 */
import type { SflVariant } from '../protocol/index.js';
import { assign, setup } from 'xstate';
import type { ActorEvent, BlobRef, Effect, TaskName, WireMessage } from '../protocol/messages.js';
import { clientIndex, clientName, compute, isSkipped, send } from './common.js';

export interface ServerInput {
  topology: 'u-shaped' | 'label-sharing';
  variant: SflVariant;
  turnTimeoutS: number;
}

interface Stash {
  step: number;
  f1hat: BlobRef | null;
  labels: BlobRef | null;
  /** The batch's backward pass has started: further copies of its messages are duplicates. */
  backward: boolean;
  /** The batch's features were taken (decoding or decoded): a further copy is a duplicate. */
  features?: boolean;
  /** The client gave up on the batch (`abandon`): no task on it starts, no reply goes back. */
  abandoned?: boolean;
}

interface Pending {
  client: number;
  step: number;
  phase: 'fwd' | 'bwd';
}

export interface ServerContext extends ServerInput {
  round: number;
  nextTaskId: number;
  stash: Record<number, Stash>;
  pending: Record<number, Pending>;
  turnQueue: number[];
  turnHolder: number;
  turnEpoch: number;
  /** Between `round.start` and `aggregate` of `round`: the only time its split traffic is served. */
  open: boolean;
  /** Effects of the last reaction, handed to `emit` right after the context update. */
  lastEffects: Effect[];
}

type MessageEvent = Extract<ActorEvent, { type: 'message' }>;
type DoneEvent = Extract<ActorEvent, { type: 'compute.done' }>;

interface Step {
  context: Partial<ServerContext>;
  effects: Effect[];
}

/** All of the server's reactions, as a pure function of (context, event). */
export function serverReact(ctx: ServerContext, event: ActorEvent): Step {
  const effects: Effect[] = [];
  const patch: Partial<ServerContext> = {};
  let taskId = ctx.nextTaskId;
  const stash = { ...ctx.stash };
  const pending = { ...ctx.pending };
  const run = (task: TaskName, client: number, step: number, phase: Pending['phase'], extra: object): void => {
    taskId += 1;
    pending[taskId] = { client, step, phase };
    effects.push(compute('server', taskId, task, { client, round: ctx.round, step, ...extra }));
  };
  const releaseAll = (...blobs: (BlobRef | null | undefined)[]): void => {
    const ids = blobs.filter((b): b is BlobRef => b != null).map((b) => b.id);
    if (ids.length > 0) effects.push({ type: 'release', blobs: ids });
  };

  if (event.type === 'message') {
    const { msg, from } = event as MessageEvent;
    const k = clientIndex(from);
    const split = msg.kind === 'features.s1' || msg.kind === 'gradients.s2' || (msg.kind === 'control' && msg.control.op === 'labels');
    if (msg.round < ctx.round || (split && !(ctx.open && msg.round === ctx.round))) {
      // A late message from an earlier round (or one already aggregated, or one this server,
      // restarted, was never told about): ignored, its bytes freed. Training on it now would
      // leak a straggler's batch into the next round's M.
      releaseAll(blobOf(msg));
      return { context: {}, effects };
    }
    if (msg.round > ctx.round) patch.round = msg.round;
    const round = patch.round ?? ctx.round;
    if (split && !holds(ctx, k)) {
      // SFLV2: only the turn's holder trains M; a batch of a client whose turn ended is dropped.
      releaseAll(blobOf(msg));
      return { context: patch, effects };
    }
    switch (msg.kind) {
      case 'features.s1': {
        const old = stash[k];
        if (old !== undefined && msg.step < old.step) {
          // Features of an earlier batch of this round, late: the client has gone on (it abandoned
          // that batch); taking them would throw away the batch in progress.
          releaseAll(msg.blob);
          break;
        }
        if (old !== undefined && old.step === msg.step && (old.backward || old.features === true)) {
          // A copy of features already taken: decoding it again would free the decoded tensor the
          // batch's gradient needs, and a gradient arriving meanwhile would find none.
          releaseAll(msg.blob);
          break;
        }
        if (old !== undefined) releaseAll(old.f1hat, old.step === msg.step ? null : old.labels);
        stash[k] = { step: msg.step, f1hat: null, labels: old?.step === msg.step ? old.labels : null, backward: false, features: true };
        run('decode', k, msg.step, 'fwd', { slot: 'F1', inputs: [msg.blob] });
        if (ctx.variant === 'sflv2') armTurnTimer(ctx, effects, round, (patch.turnEpoch = ctx.turnEpoch + 1));
        break;
      }
      case 'gradients.s2': {
        const s = stash[k];
        if (s === undefined || s.step !== msg.step || s.f1hat === null || s.backward) {
          releaseAll(msg.blob);
          break;
        }
        if (isSkipped(msg.blob)) {
          // No gradient for this batch: free its features now; the client expects no reply.
          releaseAll(msg.blob, s.f1hat);
          stash[k] = { step: msg.step, f1hat: null, labels: null, backward: true };
          break;
        }
        stash[k] = { ...s, backward: true };
        run('decode', k, msg.step, 'bwd', { slot: 'G2', inputs: [msg.blob] });
        break;
      }
      case 'control': {
        const c = msg.control;
        if (c.op === 'labels') {
          const s = stash[k];
          if (s !== undefined && (c.step < s.step || (s.step === c.step && s.backward))) {
            releaseAll(c.blob); // labels of an earlier batch (late), or a copy of labels whose batch is already trained
          } else if (s !== undefined && s.step === c.step) {
            if (s.labels !== null && s.labels.id !== c.blob.id) releaseAll(s.labels); // a copy replaces the labels it repeats
            stash[k] = { ...s, labels: c.blob, backward: s.f1hat !== null };
            if (s.f1hat !== null) run('s.train', k, c.step, 'bwd', { inputs: [s.f1hat, c.blob] });
          } else {
            if (s !== undefined) releaseAll(s.f1hat, s.labels);
            stash[k] = { step: c.step, f1hat: null, labels: c.blob, backward: false };
          }
        } else if (c.op === 'abandon') {
          const s = stash[k];
          if (s === undefined || s.step <= c.step) {
            if (s !== undefined) releaseAll(s.f1hat, s.labels);
            stash[k] = { step: c.step, f1hat: null, labels: null, backward: true, abandoned: true };
          }
        } else if (c.op === 'round.start') {
          patch.round = msg.round;
          patch.open = true;
          if (ctx.variant === 'sflv2') {
            patch.turnQueue = c.participants.slice(1);
            patch.turnHolder = c.participants[0] ?? -1;
            patch.turnEpoch = ctx.turnEpoch + 1;
            if (patch.turnHolder >= 0) {
              effects.push(send('server', clientName(patch.turnHolder), { kind: 'control', round: msg.round, control: { op: 'turn' } }));
              armTurnTimer(ctx, effects, msg.round, patch.turnEpoch);
            }
          }
        } else if (c.op === 'turn.done' && ctx.variant === 'sflv2' && k === ctx.turnHolder) {
          Object.assign(patch, passTurn(ctx, effects, round));
        } else if (c.op === 'aggregate') {
          patch.open = false;
          for (const s of Object.values(stash)) releaseAll(s.f1hat, s.labels);
          for (const key of Object.keys(stash)) delete stash[Number(key)];
          taskId += 1;
          effects.push(
            compute('server', taskId, 'm.aggregate', {
              round: msg.round,
              step: -1,
              participants: c.participants,
              samples: c.samples,
            }),
          );
          pending[taskId] = { client: -1, step: -1, phase: 'fwd' };
        }
        break;
      }
      default:
        releaseAll(blobOf(msg));
    }
  } else if (event.type === 'compute.done') {
    const done = event as DoneEvent;
    const p = pending[done.taskId];
    if (p !== undefined) {
      delete pending[done.taskId];
      const s = stash[p.client];
      const out = done.outputs[0];
      if (done.task === 'm.aggregate') {
        effects.push(send('server', 'federator', { kind: 'control', round: ctx.round, control: { op: 'aggregated' } }));
        return { context: { ...patch, stash, pending, nextTaskId: taskId }, effects };
      }
      if (s === undefined || s.step !== p.step || s.abandoned === true) {
        // Work on a batch the server no longer holds (abandoned, its client gone on to the next
        // batch, or its round aggregated) had already started: its result is dropped here.
        releaseAll(...done.outputs);
        return { context: { ...patch, stash, pending, nextTaskId: taskId }, effects };
      }
      switch (done.task) {
        case 'decode':
          if (!holds(ctx, p.client)) {
            releaseAll(out); // its turn ended while the batch was decoded
          } else if (p.phase === 'fwd') {
            if (s.backward) {
              releaseAll(out);
              break;
            }
            releaseAll(s.f1hat); // defensive: one decode of a batch's features runs at a time
            const train = ctx.topology !== 'u-shaped' && s.labels !== null;
            stash[p.client] = { ...s, f1hat: out ?? null, backward: train };
            if (ctx.topology === 'u-shaped') run('m.forward', p.client, p.step, 'fwd', { inputs: [out] });
            else if (train) run('s.train', p.client, p.step, 'bwd', { inputs: [out, s.labels] });
          } else if (s.f1hat !== null) {
            run('m.backward', p.client, p.step, 'bwd', { inputs: [s.f1hat, out] });
          } else {
            releaseAll(out);
          }
          break;
        case 'm.forward':
          run('encode', p.client, p.step, 'fwd', { slot: 'F2', inputs: [out] });
          break;
        case 'm.backward':
        case 's.train':
          // The task consumed f1hat (and the labels); forget them.
          stash[p.client] = { step: p.step, f1hat: null, labels: null, backward: true };
          run('encode', p.client, p.step, 'bwd', { slot: 'G1', inputs: [out] });
          break;
        case 'encode': {
          const kind = p.phase === 'fwd' ? 'features.s2' : 'gradients.s1';
          effects.push(send('server', clientName(p.client), { kind, round: ctx.round, step: p.step, blob: out as BlobRef }));
          break;
        }
        default:
          break;
      }
    }
  } else if (event.type === 'timer' && event.name === 'turn') {
    if (ctx.variant === 'sflv2' && event.round === ctx.round && event.step === ctx.turnEpoch) {
      Object.assign(patch, passTurn(ctx, effects, ctx.round));
    }
  }
  return { context: { ...patch, stash, pending, nextTaskId: taskId }, effects };
}

/** SFLV2: does client k hold the turn (the only client M serves)? SFLV1 serves everyone. */
function holds(ctx: ServerContext, k: number): boolean {
  return ctx.variant !== 'sflv2' || k === ctx.turnHolder;
}

function blobOf(msg: WireMessage): BlobRef | null {
  if ('blob' in msg) return msg.blob;
  if (msg.kind === 'control' && msg.control.op === 'labels') return msg.control.blob;
  return null;
}

function armTurnTimer(ctx: ServerContext, effects: Effect[], round: number, epoch: number): void {
  effects.push({ type: 'timer', actor: 'server', delay: ctx.turnTimeoutS, name: 'turn', round, step: epoch });
}

function passTurn(ctx: ServerContext, effects: Effect[], round: number): Partial<ServerContext> {
  const [nextHolder, ...rest] = ctx.turnQueue;
  const turnEpoch = ctx.turnEpoch + 1;
  if (nextHolder === undefined) return { turnQueue: [], turnHolder: -1, turnEpoch };
  effects.push(send('server', clientName(nextHolder), { kind: 'control', round, control: { op: 'turn' } }));
  armTurnTimer(ctx, effects, round, turnEpoch);
  return { turnQueue: rest, turnHolder: nextHolder, turnEpoch };
}

export const splitServerMachine = setup({
  types: {
    context: {} as ServerContext,
    events: {} as ActorEvent,
    input: {} as ServerInput,
  },
  actions: {
    emit: (_: unknown, _effects: Effect[]) => {},
    /** Computes the reaction once (serverReact), keeping its effects for `emit` right after. */
    react: assign(({ context, event }) => {
      const step = serverReact(context, event);
      return { ...step.context, lastEffects: step.effects };
    }),
  },
}).createMachine({
  id: 'splitServer',
  context: ({ input }) => ({
    ...input,
    round: 0,
    nextTaskId: 0,
    stash: {},
    pending: {},
    turnQueue: [],
    turnHolder: -1,
    turnEpoch: 0,
    open: false,
    lastEffects: [],
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        '*': {
          actions: [
            'react',
            {
              type: 'emit',
              params: ({ context }) => context.lastEffects,
            },
          ],
        },
      },
    },
  },
});
