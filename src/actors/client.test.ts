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
    // Round 1's weights arrive while round 0's decode is still running: the client moves on.
    c.send({ type: 'message', from: 'federator', msg: { kind: 'weights.down', round: 1, blob: blob(5) } });
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
