import { describe, expect, it } from 'vitest';
import type { Effect } from '../protocol/messages.js';
import { deliver, startActor, type ActorSpec } from './effects.js';

const federator: ActorSpec = { id: 'federator', kind: 'federator', input: { clients: 2, clientsPerRound: 2, rounds: 2, roundDeadlineS: 100, seed: 1 } };
const blob = (id: number) => ({ id, bytes: 8, rawBytes: 8, codec: 'none' });

describe('startActor and deliver (the effect plumbing every host uses)', () => {
  it('an actor started from a snapshot continues from that state and runs no entry action again', () => {
    const outbox: Effect[] = [];
    const first = startActor(federator, outbox);
    deliver(first, { type: 'start' });
    expect(outbox.map((e) => (e.type === 'compute' ? e.task : e.type))).toEqual(['global.pack']);
    const snapshot = first.ref.getPersistedSnapshot();

    const resumed: Effect[] = [];
    const second = startActor(federator, resumed, snapshot);
    expect(resumed).toEqual([]); // packing's entry (global.pack) is not run again
    deliver(second, { type: 'compute.done', taskId: 1, task: 'global.pack', outputs: [blob(7)] });
    const sends = resumed.flatMap((e) => (e.type === 'send' ? [`${e.to} ${e.msg.kind}`] : []));
    expect(sends).toEqual(['client-0 weights.down', 'client-1 weights.down', 'server control']);
  });

  it('a fresh actor (no snapshot) starts from the beginning', () => {
    const outbox: Effect[] = [];
    const a = startActor(federator, outbox);
    deliver(a, { type: 'compute.done', taskId: 1, task: 'global.pack', outputs: [blob(7)] });
    expect(outbox).toEqual([]); // idle: nothing to pack yet
  });

  it('a machine that fails rethrows on delivery, naming the actor, the event and where it failed', () => {
    const client: ActorSpec = { id: 'client-0', kind: 'client', input: { id: 0, topology: 'u-shaped', variant: 'sflv1', steps: 1, samples: 4, stepTimeoutS: 10 } };
    const a = startActor(client, []);
    // A completion without its outputs list: the machine's guard throws reading it.
    const broken = { type: 'compute.done', taskId: 99, task: 'fe.forward' } as unknown as Parameters<typeof deliver>[1];
    let message = '';
    try {
      deliver(a, broken);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toMatch(/^actor client-0 failed on compute\.done: Error: Unable to evaluate guard/);
    expect(message).toMatch(/\n\s+at /); // the stack, not only the message
  });
});
