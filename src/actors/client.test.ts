/**
 * Regression found by `splitwire check` (src/check): a client that abandoned a step for a newer
 * round took the old step's late task completion (matched by task name only) for the new
 * step's, and trained round r+k on round r's batch.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { ActorEvent, BlobRef, Effect, TaskName } from '../protocol/messages.js';
import { clientMachine } from './client.js';

function client(): { send(e: ActorEvent): Effect[]; state(): string; lastTask(): { id: number; task: TaskName } } {
  const out: Effect[] = [];
  const ref = createActor(clientMachine.provide({ actions: { emit: (_: unknown, e: Effect[]) => void out.push(...e) } }), {
    input: { id: 0, topology: 'u-shaped', variant: 'sflv1', steps: 4, samples: 8, stepTimeoutS: 60 },
  });
  ref.start();
  const tasks: { id: number; task: TaskName }[] = [];
  return {
    send: (e) => {
      out.length = 0;
      ref.send(e);
      for (const x of out) if (x.type === 'compute') tasks.push({ id: x.taskId, task: x.task });
      return [...out];
    },
    state: () => JSON.stringify(ref.getSnapshot().value),
    lastTask: () => tasks[tasks.length - 1] as { id: number; task: TaskName },
  };
}

const blob = (id: number): BlobRef => ({ id, bytes: 4, rawBytes: 4, codec: 'none' });

describe('client: completions of an abandoned step', () => {
  it('are not taken for the current step, and their outputs are released', () => {
    const c = client();
    const done = (id: number, task: TaskName, outputs: BlobRef[] = [blob(90 + id)]): ActorEvent => ({ type: 'compute.done', taskId: id, task, outputs });
    c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 0, blob: blob(1) } });
    c.send(done(c.lastTask().id, 'weights.load', []));
    c.send(done(c.lastTask().id, 'fe.forward', [blob(2), blob(3)]));
    c.send(done(c.lastTask().id, 'encode'));
    c.send({ type: 'message', from: 'server', msg: { kind: 'features.s2', round: 0, step: 0, blob: blob(4) } });
    const staleDecode = c.lastTask();
    expect(staleDecode.task).toBe('decode');
    // Round 1's weights arrive while round 0's decode is still running: the client moves on,
    // freeing what the dropped batch held (its skip tensor), which its state then forgets.
    const moveOn = c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 1, blob: blob(5) } });
    expect(moveOn[0]).toEqual({ type: 'release', blobs: [3] });
    const load = c.lastTask();
    c.send(done(load.id, 'weights.load', []));
    c.send(done(c.lastTask().id, 'fe.forward', [blob(6), blob(7)]));
    c.send(done(c.lastTask().id, 'encode'));
    c.send({ type: 'message', from: 'server', msg: { kind: 'features.s2', round: 1, step: 0, blob: blob(8) } });
    expect(c.state()).toBe('"decodingF2"');
    // Round 0's decode finishes now: it must not stand in for round 1's.
    const effects = c.send(done(staleDecode.id, 'decode', [blob(99)]));
    expect(c.state()).toBe('"decodingF2"');
    expect(effects).toEqual([{ type: 'release', blobs: [99] }]);
    c.send(done(c.lastTask().id, 'decode'));
    expect(c.state()).toBe('"training"');
  });
});

describe('client: codec weights and abandoned steps', () => {
  const done = (id: number, task: TaskName, outputs: BlobRef[] = []): ActorEvent => ({ type: 'compute.done', taskId: id, task, outputs });

  it('starts a round only once weights.down and its codec.down are both here, in either order, and loads both', () => {
    const c = client();
    c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 0, blob: blob(1), codec: true } });
    expect(c.state()).toBe('"idle"');
    const effects = c.send({ type: 'message', from: 'federator', msg: { kind: 'codec.down', round: 0, blob: blob(2) } });
    expect(c.state()).toBe('"loading"');
    expect(effects).toContainEqual(expect.objectContaining({ type: 'compute', task: 'weights.load', args: expect.objectContaining({ inputs: [blob(1), blob(2)] }) }));
    // Codec first, then weights, next round.
    c.send({ type: 'message', from: 'federator', msg: { kind: 'codec.down', round: 1, blob: blob(3) } });
    expect(c.state()).toBe('"loading"');
    c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 1, blob: blob(4), codec: true } });
    expect(c.lastTask().task).toBe('weights.load');
    expect(c.state()).toBe('"loading"');
  });

  it('on a step timeout sends an abandon notice; the late reply is freed, never decoded', () => {
    const c = client();
    c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 0, blob: blob(1) } });
    c.send(done(c.lastTask().id, 'weights.load'));
    c.send(done(c.lastTask().id, 'fe.forward', [blob(2), blob(3)]));
    c.send(done(c.lastTask().id, 'encode', [blob(4)]));
    const timeout = c.send({ type: 'timer', name: 'step', round: 0, step: 0 });
    expect(timeout).toContainEqual({ type: 'send', from: 'client-0', to: 'server', msg: { kind: 'control', round: 0, control: { op: 'abandon', step: 0 } } });
    expect(c.state()).toBe('"forward"');
    const tasksBefore = c.lastTask();
    const late = c.send({ type: 'message', from: 'server', msg: { kind: 'features.s2', round: 0, step: 0, blob: blob(5) } });
    expect(late).toEqual([{ type: 'release', blobs: [5] }]);
    expect(c.lastTask()).toEqual(tasksBefore);
  });
});
