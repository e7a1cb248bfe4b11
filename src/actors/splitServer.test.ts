/**
 * Regressions found by `splitwire check` (src/check): the split server trained a batch twice
 * when its gradient arrived twice, and trained on a straggler's batch after its round had been
 * aggregated (or before a restarted server was told which round it serves).
 */
import { initialTransition } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { ActorEvent, BlobRef, Effect, TaskName, WireMessage } from '../protocol/messages.js';
import { serverReact, splitServerMachine, type ServerContext, type ServerInput } from './splitServer.js';

/** Drives serverReact like the machine does; finishes compute tasks on demand. */
class Server {
  ctx: ServerContext;
  readonly tasks: { id: number; task: TaskName; client: number; round: number; step: number }[] = [];
  readonly sent: WireMessage[] = [];
  private blob = 100;

  constructor(input: ServerInput) {
    this.ctx = initialTransition(splitServerMachine, input)[0].context as ServerContext;
  }

  event(e: ActorEvent): Effect[] {
    const step = serverReact(this.ctx, e);
    this.ctx = { ...this.ctx, ...step.context, lastEffects: step.effects };
    for (const x of step.effects) {
      if (x.type === 'compute') this.tasks.push({ id: x.taskId, task: x.task, client: x.args.client ?? -1, round: x.args.round, step: x.args.step });
      if (x.type === 'send') this.sent.push(x.msg);
    }
    return step.effects;
  }

  msg(from: string, msg: WireMessage): Effect[] {
    return this.event({ type: 'message', from, msg });
  }

  /** Completes the oldest unfinished task named `task`. */
  finish(task: TaskName): void {
    const pending = this.tasks.find((t) => t.task === task && this.ctx.pending[t.id] !== undefined);
    if (pending === undefined) throw new Error(`no pending ${task}`);
    this.event({ type: 'compute.done', taskId: pending.id, task, outputs: [this.ref()] });
  }

  /** Completes every unfinished task named `task`, oldest first. */
  finishAll(task: TaskName): void {
    while (this.tasks.some((t) => t.task === task && this.ctx.pending[t.id] !== undefined)) this.finish(task);
  }

  ref(): BlobRef {
    return { id: this.blob++, bytes: 4, rawBytes: 4, codec: 'none' };
  }

  count(task: TaskName): number {
    return this.tasks.filter((t) => t.task === task).length;
  }
}

const start = (s: Server, round: number, participants = [0]): Effect[] =>
  s.msg('federator', { kind: 'control', round, control: { op: 'round.start', participants } });

/** One U-shaped batch up to the gradient's arrival. */
function forward(s: Server, round: number, step: number): void {
  s.msg('client-0', { kind: 'features.s1', round, step, blob: s.ref() });
  s.finish('decode');
  s.finish('m.forward');
  s.finish('encode');
}

describe('split server: late and duplicated messages change nothing', () => {
  it('a gradients.s2 that arrives twice (the copy while the first is still decoding) runs M backward once', () => {
    const s = new Server({ topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    forward(s, 0, 0);
    const g2: WireMessage = { kind: 'gradients.s2', round: 0, step: 0, blob: s.ref() };
    s.msg('client-0', g2);
    s.msg('client-0', g2); // the duplicate, in the window before m.backward finished
    s.finishAll('decode');
    s.finishAll('m.backward');
    s.msg('client-0', g2); // and once more afterwards
    expect(s.count('m.backward')).toBe(1);
    expect(s.sent.filter((m) => m.kind === 'gradients.s1')).toHaveLength(0); // G1 not encoded yet
    s.finish('encode');
    expect(s.sent.filter((m) => m.kind === 'gradients.s1')).toHaveLength(1);
  });

  it('a copy of features.s1 for a batch already in its backward pass is ignored', () => {
    const s = new Server({ topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    forward(s, 0, 0);
    s.msg('client-0', { kind: 'gradients.s2', round: 0, step: 0, blob: s.ref() });
    expect(s.msg('client-0', { kind: 'features.s1', round: 0, step: 0, blob: s.ref() }).filter((e) => e.type === 'compute')).toHaveLength(0);
  });

  it("label-sharing: labels that arrive twice train S once", () => {
    const s = new Server({ topology: 'label-sharing', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    const labels: WireMessage = { kind: 'control', round: 0, control: { op: 'labels', step: 0, blob: s.ref() } };
    s.msg('client-0', { kind: 'features.s1', round: 0, step: 0, blob: s.ref() });
    s.msg('client-0', labels);
    s.finish('decode');
    s.msg('client-0', labels);
    expect(s.count('s.train')).toBe(1);
  });

  it("a straggler's batch that arrives after its round was aggregated is not trained", () => {
    const s = new Server({ topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    s.msg('federator', { kind: 'control', round: 0, control: { op: 'aggregate', participants: [], samples: [] } });
    const effects = s.msg('client-0', { kind: 'features.s1', round: 0, step: 3, blob: s.ref() });
    expect(effects.filter((e) => e.type === 'compute')).toEqual([]);
    expect(effects).toContainEqual({ type: 'release', blobs: [expect.any(Number)] });
  });

  it('a restarted server serves nothing until round.start tells it the round', () => {
    const s = new Server({ topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 });
    expect(s.msg('client-0', { kind: 'features.s1', round: 2, step: 0, blob: s.ref() }).filter((e) => e.type === 'compute')).toEqual([]);
    start(s, 3);
    expect(s.msg('client-0', { kind: 'features.s1', round: 3, step: 0, blob: s.ref() }).filter((e) => e.type === 'compute')).toHaveLength(1);
  });
});

describe('split server: an abandoned batch (the client timed out and said so)', () => {
  const abandon = (s: Server, round: number, step: number): Effect[] =>
    s.msg('client-0', { kind: 'control', round, control: { op: 'abandon', step } });

  it('work already running finishes, but nothing more starts and no reply goes back', () => {
    const s = new Server({ topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    s.msg('client-0', { kind: 'features.s1', round: 0, step: 0, blob: s.ref() });
    s.finish('decode');
    abandon(s, 0, 0); // while M's forward runs
    s.finish('m.forward');
    expect(s.count('encode')).toBe(0);
    expect(s.sent.filter((m) => m.kind === 'features.s2')).toHaveLength(0);
    // Its features arriving again, or its gradient, start nothing; the next batch is served.
    expect(s.msg('client-0', { kind: 'features.s1', round: 0, step: 0, blob: s.ref() }).filter((e) => e.type === 'compute')).toEqual([]);
    forward(s, 0, 1);
    expect(s.sent.filter((m) => m.kind === 'features.s2')).toHaveLength(1);
  });

  it('label-sharing: S train running when the notice comes, and the next batch already here, sends no gradient back (found by check)', () => {
    const s = new Server({ topology: 'label-sharing', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    s.msg('client-0', { kind: 'features.s1', round: 0, step: 0, blob: s.ref() });
    s.finish('decode');
    s.msg('client-0', { kind: 'control', round: 0, control: { op: 'labels', step: 0, blob: s.ref() } });
    expect(s.count('s.train')).toBe(1);
    abandon(s, 0, 0);
    s.msg('client-0', { kind: 'features.s1', round: 0, step: 1, blob: s.ref() }); // the client went on
    s.finish('s.train');
    expect(s.count('encode')).toBe(0);
    expect(s.ctx.stash[0]?.step).toBe(1);
  });

  it("late features (or labels) of an earlier batch of the round leave the batch in progress alone (found by check)", () => {
    const s = new Server({ topology: 'label-sharing', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    s.msg('client-0', { kind: 'features.s1', round: 0, step: 1, blob: s.ref() });
    const lateFeatures = s.msg('client-0', { kind: 'features.s1', round: 0, step: 0, blob: s.ref() });
    const lateLabels = s.msg('client-0', { kind: 'control', round: 0, control: { op: 'labels', step: 0, blob: s.ref() } });
    for (const effects of [lateFeatures, lateLabels]) {
      expect(effects.filter((e) => e.type === 'compute')).toEqual([]);
      expect(effects).toEqual([{ type: 'release', blobs: [expect.any(Number)] }]);
    }
    expect(s.ctx.stash[0]?.step).toBe(1);
    s.finish('decode');
    s.msg('client-0', { kind: 'control', round: 0, control: { op: 'labels', step: 1, blob: s.ref() } });
    expect(s.tasks.filter((t) => t.task === 's.train').map((t) => t.step)).toEqual([1]);
  });

  it('a batch still running when its round is aggregated sends nothing back', () => {
    const s = new Server({ topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    s.msg('client-0', { kind: 'features.s1', round: 0, step: 0, blob: s.ref() });
    s.finish('decode');
    s.msg('federator', { kind: 'control', round: 0, control: { op: 'aggregate', participants: [], samples: [] } });
    start(s, 1);
    s.finish('m.forward');
    expect(s.count('encode')).toBe(0);
  });

  it('a notice for a batch the server has not seen yet drops that batch when it comes', () => {
    const s = new Server({ topology: 'u-shaped', variant: 'sflv1', turnTimeoutS: 60 });
    start(s, 0);
    abandon(s, 0, 2);
    expect(s.msg('client-0', { kind: 'features.s1', round: 0, step: 2, blob: s.ref() }).filter((e) => e.type === 'compute')).toEqual([]);
    // A stale notice (an older batch) does not touch the batch in progress.
    s.msg('client-0', { kind: 'features.s1', round: 0, step: 3, blob: s.ref() });
    abandon(s, 0, 1);
    s.finish('decode');
    expect(s.count('m.forward')).toBe(1);
  });
});
