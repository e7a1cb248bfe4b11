import { describe, expect, it } from 'vitest';
import type { ActorEvent, BlobRef, Effect, WireMessage } from '../protocol/messages.js';
import { ActorHost } from './host.js';
import type { ActorSpec } from './effects.js';

/**
 * A stand-in world: compute finishes instantly with fake blobs, every message arrives after
 * 1 s unless `drop` says otherwise. Enough to run the real machines through whole rounds.
 */
function runProtocol(opts: {
  clients: number;
  variant: 'sflv1' | 'sflv2';
  topology?: 'u-shaped' | 'label-sharing';
  rounds: number;
  steps: number;
  drop?: (msg: WireMessage, to: string) => boolean;
  deadline?: number;
}): { sent: Array<{ from: string; to: string; msg: WireMessage; t: number }>; completed: Array<{ round: number; participants: number[] }>; finished: boolean; tasks: string[] } {
  const topology = opts.topology ?? 'u-shaped';
  const specs: ActorSpec[] = [
    {
      id: 'federator',
      kind: 'federator',
      input: { clients: opts.clients, clientsPerRound: opts.clients, rounds: opts.rounds, roundDeadlineS: opts.deadline ?? 1000, seed: 1 },
    },
    { id: 'server', kind: 'server', input: { topology, variant: opts.variant, turnTimeoutS: 50 } },
  ];
  for (let k = 0; k < opts.clients; k++) {
    specs.push({
      id: `client-${k}`,
      kind: 'client',
      input: { id: k, topology, variant: opts.variant, steps: opts.steps, samples: 10 + k, stepTimeoutS: 20 },
    });
  }
  const host = new ActorHost();
  host.init(specs);
  let blobId = 1;
  const blob = (): BlobRef => ({ id: blobId++, bytes: 16, rawBytes: 16, codec: 'none' });
  const queue: Array<{ t: number; seq: number; to: string; event: ActorEvent }> = [];
  let seq = 0;
  const push = (t: number, to: string, event: ActorEvent): void => {
    queue.push({ t, seq: seq++, to, event });
  };
  const sent: Array<{ from: string; to: string; msg: WireMessage; t: number }> = [];
  const completed: Array<{ round: number; participants: number[] }> = [];
  const tasks: string[] = [];
  let finished = false;
  push(0, 'federator', { type: 'start' });
  let guard = 0;
  while (queue.length > 0 && !finished && guard++ < 100000) {
    queue.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const { t, to, event } = queue.shift() as (typeof queue)[number];
    const effects: Effect[] = host.deliver([{ to, event }]);
    for (const e of effects) {
      if (e.type === 'send') {
        sent.push({ from: e.from, to: e.to, msg: e.msg, t });
        if (!opts.drop?.(e.msg, e.to)) push(t + 1, e.to, { type: 'message', from: e.from, msg: e.msg });
      } else if (e.type === 'compute') {
        tasks.push(`${e.actor}:${e.task}`);
        const outputs = e.task === 'fe.forward' || e.task === 'be.train' ? [blob(), blob()] : [blob()];
        push(t + 0.5, e.actor, { type: 'compute.done', taskId: e.taskId, task: e.task, outputs, loss: 0.5 });
      } else if (e.type === 'timer') {
        push(t + e.delay, e.actor, { type: 'timer', name: e.name, round: e.round, step: e.step });
      } else if (e.type === 'round.complete') {
        completed.push({ round: e.round, participants: e.participants });
      } else if (e.type === 'finished') {
        finished = true;
      }
    }
  }
  return { sent, completed, finished, tasks };
}

describe('protocol machines (stand-in compute)', () => {
  it('SFLV1 u-shaped: every client runs every step, every round completes with everyone', () => {
    const r = runProtocol({ clients: 3, variant: 'sflv1', rounds: 2, steps: 4 });
    expect(r.finished).toBe(true);
    expect(r.completed).toEqual([
      { round: 0, participants: [0, 1, 2] },
      { round: 1, participants: [0, 1, 2] },
    ]);
    const kinds = (kind: string): number => r.sent.filter((s) => s.msg.kind === kind).length;
    expect(kinds('features.s1')).toBe(3 * 2 * 4);
    expect(kinds('features.s2')).toBe(3 * 2 * 4);
    expect(kinds('gradients.s2')).toBe(3 * 2 * 4);
    expect(kinds('gradients.s1')).toBe(3 * 2 * 4);
    expect(kinds('weights.down')).toBe(3 * 2);
    expect(kinds('weights.up')).toBe(3 * 2);
    // Labels never leave a client in the U-shaped topology.
    expect(r.sent.some((s) => s.msg.kind === 'control' && s.msg.control.op === 'labels')).toBe(false);
  });

  it('SFLV2 serves clients one after another', () => {
    const r = runProtocol({ clients: 3, variant: 'sflv2', rounds: 1, steps: 3 });
    expect(r.finished).toBe(true);
    const order = r.sent.filter((s) => s.msg.kind === 'features.s1').map((s) => s.from);
    expect(order).toEqual(['client-0', 'client-0', 'client-0', 'client-1', 'client-1', 'client-1', 'client-2', 'client-2', 'client-2']);
  });

  it('label-sharing sends labels with the features and gets gradients back', () => {
    const r = runProtocol({ clients: 2, variant: 'sflv1', topology: 'label-sharing', rounds: 1, steps: 2 });
    expect(r.finished).toBe(true);
    expect(r.sent.filter((s) => s.msg.kind === 'control' && s.msg.control.op === 'labels')).toHaveLength(4);
    expect(r.sent.filter((s) => s.msg.kind === 'features.s2')).toHaveLength(0);
    expect(r.sent.filter((s) => s.msg.kind === 'gradients.s1')).toHaveLength(4);
  });

  it('a client whose update never arrives is left out at the deadline and rejoins next round', () => {
    const r = runProtocol({
      clients: 3,
      variant: 'sflv1',
      rounds: 2,
      steps: 2,
      deadline: 100,
      drop: (msg, to) => msg.kind === 'weights.down' && to === 'client-1' && msg.round === 0,
    });
    expect(r.finished).toBe(true);
    expect(r.completed).toEqual([
      { round: 0, participants: [0, 2] },
      { round: 1, participants: [0, 1, 2] },
    ]);
  });

  it('a lost feature reply makes the client skip that batch, not hang', () => {
    let dropped = 0;
    const r = runProtocol({
      clients: 2,
      variant: 'sflv1',
      rounds: 1,
      steps: 3,
      drop: (msg) => msg.kind === 'features.s2' && msg.step === 1 && dropped++ === 0,
    });
    expect(r.finished).toBe(true);
    expect(r.completed[0]?.participants).toEqual([0, 1]);
    expect(r.sent.filter((s) => s.msg.kind === 'gradients.s2')).toHaveLength(5);
  });
});

describe('over-selection', () => {
  it('aggregates the first K updates and frees the late ones', () => {
    const specs: ActorSpec[] = [
      { id: 'federator', kind: 'federator', input: { clients: 3, clientsPerRound: 3, rounds: 1, roundDeadlineS: 1000, seed: 1, aggregateFirst: 2 } },
    ];
    const host = new ActorHost();
    host.init(specs);
    const blob = (id: number): BlobRef => ({ id, bytes: 8, rawBytes: 8, codec: 'none' });
    host.deliver([{ to: 'federator', event: { type: 'start' } }]);
    const afterPack = host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 1, task: 'global.pack', outputs: [blob(1)] } }]);
    expect(afterPack.filter((e) => e.type === 'send' && e.msg.kind === 'weights.down')).toHaveLength(3);
    const up = (k: number, id: number): { to: string; event: ActorEvent } => ({
      to: 'federator',
      event: { type: 'message', from: `client-${k}`, msg: { kind: 'weights.up', round: 0, blob: blob(id), samples: 5 } },
    });
    const afterTwo = host.deliver([up(2, 10), up(0, 11)]);
    const aggregate = afterTwo.find((e) => e.type === 'compute' && e.task === 'aggregate');
    expect(aggregate?.type === 'compute' ? aggregate.args.participants : null).toEqual([0, 2]);
    const late = host.deliver([up(1, 12)]);
    expect(late).toEqual([{ type: 'release', blobs: [12] }]);
  });
});

describe('weight deltas', () => {
  it('sends the delta form only to clients whose update of the previous round was aggregated', () => {
    const specs: ActorSpec[] = [
      { id: 'federator', kind: 'federator', input: { clients: 3, clientsPerRound: 3, rounds: 2, roundDeadlineS: 1000, seed: 1, aggregateFirst: 2, weightDeltas: true } },
    ];
    const host = new ActorHost();
    host.init(specs);
    const blob = (id: number): BlobRef => ({ id, bytes: 8, rawBytes: 8, codec: 'none' });
    const downs = (effects: Effect[]): Array<[string, number]> =>
      effects.flatMap((e) => (e.type === 'send' && e.msg.kind === 'weights.down' ? [[e.to, e.msg.blob.id] as [string, number]] : []));
    host.deliver([{ to: 'federator', event: { type: 'start' } }]);
    // Round 0: one pack output, everyone gets it in full.
    const first = host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 1, task: 'global.pack', outputs: [blob(1)] } }]);
    expect(downs(first)).toEqual([['client-0', 1], ['client-1', 1], ['client-2', 1]]);
    const up = (k: number, id: number): { to: string; event: ActorEvent } => ({
      to: 'federator',
      event: { type: 'message', from: `client-${k}`, msg: { kind: 'weights.up', round: 0, blob: blob(id), samples: 5 } },
    });
    host.deliver([up(2, 10), up(0, 11)]);
    host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 2, task: 'aggregate', outputs: [] } }]);
    host.deliver([{ to: 'federator', event: { type: 'message', from: 'server', msg: { kind: 'control', round: 0, control: { op: 'aggregated' } } } }]);
    // Round 1: full (20) and delta (21); client 1's update was never aggregated, so it gets the full form.
    const second = host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 3, task: 'global.pack', outputs: [blob(20), blob(21)] } }]);
    expect(downs(second)).toEqual([['client-0', 21], ['client-1', 20], ['client-2', 21]]);
  });
});

describe('codec sync (learned codecs: codec.up with the update in a sync round, codec.down to clients behind)', () => {
  const blob = (id: number): BlobRef => ({ id, bytes: 8, rawBytes: 8, codec: 'none' });
  /** Client k's weights.up (5 + k samples) or codec.up of `round`, carrying blob `id`, to the federator. */
  const update = (k: number, kind: 'weights.up' | 'codec.up', round: number, id: number): { to: string; event: ActorEvent } => ({
    to: 'federator',
    event: { type: 'message', from: `client-${k}`, msg: kind === 'weights.up' ? { kind, round, blob: blob(id), samples: 5 + k } : { kind, round, blob: blob(id) } },
  });
  /** A federator alone: 3 clients, all selected, 3 rounds, codecs synced where `codecSync` says. */
  const federatorWith = (codecSync: boolean[]): ActorHost => {
    const host = new ActorHost();
    host.init([{ id: 'federator', kind: 'federator', input: { clients: 3, clientsPerRound: 3, rounds: 3, roundDeadlineS: 1000, seed: 1, codecSync } }]);
    return host;
  };

  it('takes an update whole only with its codec.up, frees half updates, averages codecs after weights, and sends each client the codec form it lacks', () => {
    const host = federatorWith([true, false, true]);
    const msg = update;
    const done = (taskId: number, task: 'global.pack' | 'aggregate', outputs: BlobRef[]): { to: string; event: ActorEvent } => ({ to: 'federator', event: { type: 'compute.done', taskId, task, outputs } });
    const aggregated = (round: number): { to: string; event: ActorEvent } => ({ to: 'federator', event: { type: 'message', from: 'server', msg: { kind: 'control', round, control: { op: 'aggregated' } } } });
    const downs = (effects: Effect[]): string[] =>
      effects.flatMap((e) => (e.type === 'send' && (e.msg.kind === 'weights.down' || e.msg.kind === 'codec.down') ? [`${e.to} ${e.msg.kind} ${e.msg.blob.id}${e.msg.kind === 'weights.down' && e.msg.codec ? ' +codec' : ''}`] : []));
    const task = (effects: Effect[]): Extract<Effect, { type: 'compute' }> | undefined => effects.find((e): e is Extract<Effect, { type: 'compute' }> => e.type === 'compute');

    host.deliver([{ to: 'federator', event: { type: 'start' } }]);
    // Round 0: everyone holds the seed's codecs (version 0): weights only.
    expect(downs(host.deliver([done(1, 'global.pack', [blob(1)])]))).toEqual(['client-0 weights.down 1', 'client-1 weights.down 1', 'client-2 weights.down 1']);
    // A sync round: client 0's codec.up first (it waits for its weights), client 2's after; client 1 sends weights only.
    expect(host.deliver([msg(0, 'codec.up', 0, 30)])).toEqual([]);
    expect(host.deliver([msg(0, 'weights.up', 0, 10), msg(1, 'weights.up', 0, 11), msg(2, 'weights.up', 0, 12)])).toEqual([]);
    // A second codec.up of client 0 is nobody's: freed.
    expect(host.deliver([msg(0, 'codec.up', 0, 31)])).toEqual([{ type: 'release', blobs: [31] }]);
    const closing = host.deliver([msg(2, 'codec.up', 0, 32), { to: 'federator', event: { type: 'timer', name: 'deadline', round: 0, step: -1 } }]);
    // Client 1's half update (weights without codecs) is freed, not averaged; codecs come after all weights.
    expect(closing.filter((e) => e.type === 'release')).toEqual([{ type: 'release', blobs: [11] }]);
    const agg = task(closing);
    expect(agg?.task).toBe('aggregate');
    expect(agg?.args.inputs?.map((b) => b.id)).toEqual([10, 12, 30, 32]);
    expect(agg?.args.participants).toEqual([0, 2]);
    expect(agg?.args.samples).toEqual([5, 7]);
    host.deliver([done(2, 'aggregate', [])]);
    const next = host.deliver([aggregated(0)]);
    expect(next.filter((e) => e.type === 'round.complete')).toEqual([{ type: 'round.complete', round: 0, participants: [0, 2], samples: [5, 7] }]);
    // Round 1 (no sync): codecs moved to version 1; every client holds version 0, one behind: the delta (42), not the full form (41).
    expect(downs(host.deliver([done(3, 'global.pack', [blob(40), blob(41), blob(42)])]))).toEqual([
      'client-0 codec.down 42', 'client-0 weights.down 40 +codec',
      'client-1 codec.down 42', 'client-1 weights.down 40 +codec',
      'client-2 codec.down 42', 'client-2 weights.down 40 +codec',
    ]);
    // Not a sync round: weights alone make an update, a codec.up is nobody's.
    expect(host.deliver([msg(1, 'codec.up', 1, 50)])).toEqual([{ type: 'release', blobs: [50] }]);
    const r1 = host.deliver([msg(0, 'weights.up', 1, 51), msg(1, 'weights.up', 1, 52), msg(2, 'weights.up', 1, 53)]);
    expect(task(r1)?.args.inputs?.map((b) => b.id)).toEqual([51, 52, 53]);
    host.deliver([done(4, 'aggregate', [])]);
    host.deliver([aggregated(1)]);
    // Round 2: everyone holds version 1, the current one: no codec.down, even when the pack offers codecs.
    expect(downs(host.deliver([done(5, 'global.pack', [blob(60), blob(61), blob(62)])]))).toEqual(['client-0 weights.down 60', 'client-1 weights.down 60', 'client-2 weights.down 60']);
  });

  it('counts a codec version as held only once the client reported in that round: one cut off before its codec.down gets the full form, not a delta', () => {
    const host = federatorWith([true, true, true]);
    const up = update;
    const codecDowns = (effects: Effect[]): string[] => effects.flatMap((e) => (e.type === 'send' && e.msg.kind === 'codec.down' ? [`${e.to} ${e.msg.blob.id}`] : []));
    host.deliver([{ to: 'federator', event: { type: 'start' } }]);
    host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 1, task: 'global.pack', outputs: [blob(1), blob(2)] } }]);
    for (let k = 0; k < 3; k++) host.deliver([up(k, 'weights.up', 0, 10 + k), up(k, 'codec.up', 0, 20 + k)]);
    host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 2, task: 'aggregate', outputs: [] } }]);
    host.deliver([{ to: 'federator', event: { type: 'message', from: 'server', msg: { kind: 'control', round: 0, control: { op: 'aggregated' } } } }]);
    // Round 1: version 1 (full 31, delta 32); everyone holds version 0: the delta.
    const r1 = host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 3, task: 'global.pack', outputs: [blob(30), blob(31), blob(32)] } }]);
    expect(codecDowns(r1)).toEqual(['client-0 32', 'client-1 32', 'client-2 32']);
    // Client 2 is cut off (crashed before its weights came): only clients 0 and 1 report.
    for (let k = 0; k < 2; k++) host.deliver([up(k, 'weights.up', 1, 40 + k), up(k, 'codec.up', 1, 50 + k)]);
    host.deliver([{ to: 'federator', event: { type: 'timer', name: 'deadline', round: 1, step: -1 } }]);
    host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 4, task: 'aggregate', outputs: [] } }]);
    host.deliver([{ to: 'federator', event: { type: 'message', from: 'server', msg: { kind: 'control', round: 1, control: { op: 'aggregated' } } } }]);
    // Round 2: version 2 (full 61, delta 62 against version 1). Clients 0 and 1 hold version 1;
    // client 2 still holds version 0, so it needs the full form.
    const r2 = host.deliver([{ to: 'federator', event: { type: 'compute.done', taskId: 5, task: 'global.pack', outputs: [blob(60), blob(61), blob(62)] } }]);
    expect(codecDowns(r2)).toEqual(['client-0 62', 'client-1 62', 'client-2 61']);
  });
});
