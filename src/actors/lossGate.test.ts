/**
 * The `skipped` gradient notice (the loss gate of the `ayad` baseline) in the machines: a
 * skipped G2 ends the client's step without waiting and closes the batch on the split server
 * (no M backward, no G1); a skipped G1 (label-sharing, where the server holds the loss) ends the
 * client's step without an FE backward. Nobody waits for what will not come.
 */
import { createActor, initialTransition } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { ActorEvent, BlobRef, Effect, TaskName } from '../protocol/messages.js';
import { clientMachine, type ClientInput } from './client.js';
import { serverReact, splitServerMachine, type ServerContext } from './splitServer.js';

const blob = (id: number, codec = 'none'): BlobRef => ({ id, bytes: codec === 'skipped' ? 38 : 4, rawBytes: 4, codec });

function client(input: Partial<ClientInput> = {}): {
  send(e: ActorEvent): Effect[];
  state(): string;
  last(): { id: number; task: TaskName };
  done(task: TaskName, outputs: BlobRef[], loss?: number): Effect[];
  tasks: TaskName[];
} {
  const out: Effect[] = [];
  const ref = createActor(clientMachine.provide({ actions: { emit: (_: unknown, e: Effect[]) => void out.push(...e) } }), {
    input: { id: 0, topology: 'u-shaped', variant: 'sflv1', steps: 2, samples: 8, stepTimeoutS: 60, ...input },
  });
  ref.start();
  const tasks: { id: number; task: TaskName }[] = [];
  const send = (e: ActorEvent): Effect[] => {
    out.length = 0;
    ref.send(e);
    for (const x of out) if (x.type === 'compute') tasks.push({ id: x.taskId, task: x.task });
    return [...out];
  };
  const last = (): { id: number; task: TaskName } => tasks[tasks.length - 1] as { id: number; task: TaskName };
  return {
    send,
    state: () => JSON.stringify(ref.getSnapshot().value),
    last,
    done: (task, outputs, loss) => send({ type: 'compute.done', taskId: last().id, task, outputs, ...(loss !== undefined ? { loss } : {}) }),
    get tasks() {
      return tasks.map((t) => t.task);
    },
  };
}

/** Round 0, step 0 of a u-shaped client up to BE's training step, whose batch loss is `loss`. */
function throughBackEnd(c: ReturnType<typeof client>, loss: number): void {
  c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 0, blob: blob(1) } });
  c.done('weights.load', []);
  c.done('fe.forward', [blob(2), blob(3)]);
  c.done('encode', [blob(4)]);
  c.send({ type: 'message', from: 'server', msg: { kind: 'features.s2', round: 0, step: 0, blob: blob(5) } });
  c.done('decode', [blob(6)]);
  c.done('be.train', [blob(7), blob(8)], loss);
}

describe('client: a skipped gradient ends the step', () => {
  it('u-shaped: a skipped G2 is sent, the skip gradient freed, and the next batch starts at once', () => {
    const c = client();
    throughBackEnd(c, 0.05);
    expect(c.last().task).toBe('encode');
    const effects = c.done('encode', [blob(9, 'skipped')]);
    expect(effects).toEqual([
      { type: 'send', from: 'client-0', to: 'server', msg: { kind: 'gradients.s2', round: 0, step: 0, blob: blob(9, 'skipped') } },
      { type: 'release', blobs: [8] },
      expect.objectContaining({ type: 'compute', task: 'fe.forward', args: expect.objectContaining({ step: 1 }) }),
    ]);
    expect(c.state()).toBe('"forward"');
    expect(c.tasks).not.toContain('fe.backward');
  });

  it('u-shaped: a G2 that is sent (not skipped) still waits for G1 and runs FE backward', () => {
    const c = client();
    throughBackEnd(c, 0.9);
    c.done('encode', [blob(9)]);
    expect(c.state()).toBe('"awaitingGradient"');
    c.send({ type: 'message', from: 'server', msg: { kind: 'gradients.s1', round: 0, step: 0, blob: blob(10) } });
    c.done('decode', [blob(11)]);
    expect(c.last().task).toBe('fe.backward');
  });

  it('label-sharing: a skipped G1 from the server ends the step without FE backward', () => {
    const c = client({ topology: 'label-sharing' });
    c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 0, blob: blob(1) } });
    c.done('weights.load', []);
    c.done('fe.forward', [blob(2), blob(3)]);
    c.done('encode', [blob(4)]);
    expect(c.state()).toBe('"awaitingReply"');
    const effects = c.send({ type: 'message', from: 'server', msg: { kind: 'gradients.s1', round: 0, step: 0, blob: blob(5, 'skipped') } });
    expect(effects[0]).toEqual({ type: 'release', blobs: [5] });
    expect(effects[1]).toMatchObject({ type: 'compute', task: 'fe.forward', args: { step: 1 } });
    expect(c.tasks).not.toContain('fe.backward');
    expect(c.tasks).not.toContain('decode');
  });
});

describe('split server: a skipped G2 closes its batch', () => {
  function serve(): { ctx: ServerContext; react(e: ActorEvent): Effect[]; pendingOf(task: TaskName): number } {
    let ctx = initialTransition(splitServerMachine, { topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 })[0].context as ServerContext;
    const tasks = new Map<number, TaskName>();
    const api = {
      get ctx() {
        return ctx;
      },
      react(e: ActorEvent): Effect[] {
        const step = serverReact(ctx, e);
        ctx = { ...ctx, ...step.context, lastEffects: step.effects };
        for (const x of step.effects) if (x.type === 'compute') tasks.set(x.taskId, x.task);
        return step.effects;
      },
      pendingOf(task: TaskName): number {
        return [...tasks].find(([id, t]) => t === task && ctx.pending[id] !== undefined)?.[0] ?? -1;
      },
    };
    return api;
  }

  it('frees the features, runs no M backward, sends no G1, and ignores a duplicate', () => {
    const s = serve();
    s.react({ type: 'message', from: 'federator', msg: { kind: 'control', round: 0, control: { op: 'round.start', participants: [0] } } });
    s.react({ type: 'message', from: 'client-0', msg: { kind: 'features.s1', round: 0, step: 0, blob: blob(1) } });
    s.react({ type: 'compute.done', taskId: s.pendingOf('decode'), task: 'decode', outputs: [blob(2)] });
    s.react({ type: 'compute.done', taskId: s.pendingOf('m.forward'), task: 'm.forward', outputs: [blob(3)] });
    s.react({ type: 'compute.done', taskId: s.pendingOf('encode'), task: 'encode', outputs: [blob(4)] });
    const notice = { type: 'message', from: 'client-0', msg: { kind: 'gradients.s2', round: 0, step: 0, blob: blob(5, 'skipped') } } as const;
    expect(s.react(notice)).toEqual([{ type: 'release', blobs: [5, 2] }]);
    expect(s.ctx.stash[0]).toEqual({ step: 0, f1hat: null, labels: null, backward: true });
    // A copy of the notice (or a late real gradient for the batch) changes nothing.
    expect(s.react({ ...notice, msg: { ...notice.msg, blob: blob(6, 'skipped') } })).toEqual([{ type: 'release', blobs: [6] }]);
    expect(s.react({ ...notice, msg: { ...notice.msg, blob: blob(7) } })).toEqual([{ type: 'release', blobs: [7] }]);
    // The next batch is served as usual.
    const next = s.react({ type: 'message', from: 'client-0', msg: { kind: 'features.s1', round: 0, step: 1, blob: blob(8) } });
    expect(next).toEqual([expect.objectContaining({ type: 'compute', task: 'decode' })]);
  });
});
