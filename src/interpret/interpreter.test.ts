import { describe, expect, it } from 'vitest';
import type { Effect } from '../protocol/index.js';
import { EffectInterpreter, computeDone, timerEvent, type EffectPorts } from './interpreter.js';
import { FaultPlan } from './faultPlan.js';

/** Ports that write down what they were asked to do. */
function recorder(): { log: string[]; ports: EffectPorts<string> } {
  const log: string[] = [];
  return {
    log,
    ports: {
      send: (e, ctx) => log.push(`${ctx} send ${e.msg.kind} ${e.from}>${e.to}`),
      compute: (e, slowdown, ctx) => log.push(`${ctx} compute ${e.task} x${slowdown}`),
      timer: (e, ctx) => log.push(`${ctx} timer ${e.name} ${e.delay}`),
      release: (e, ctx) => log.push(`${ctx} release ${e.blobs.join(',')}`),
      roundComplete: (e, ctx) => log.push(`${ctx} round.complete ${e.round}`),
      finished: (ctx) => log.push(`${ctx} finished`),
      roundStarted: (round, deadlineS) => log.push(`round ${round} started, deadline ${deadlineS}`),
      crashLater: (k, atS, downS) => log.push(`crash client-${k} in ${atS} for ${downS}`),
      restartServer: () => log.push('restart server'),
    },
  };
}

const deadline = (round: number): Effect => ({ type: 'timer', actor: 'federator', delay: 30, name: 'deadline', round, step: -1 });

describe('EffectInterpreter', () => {
  it('hands each effect to its port, with the context', () => {
    const { log, ports } = recorder();
    const it = new EffectInterpreter(ports);
    it.perform({ type: 'send', from: 'client-0', to: 'server', msg: { kind: 'control', round: 0, control: { op: 'turn' } } }, 'a');
    it.perform({ type: 'compute', actor: 'server', taskId: 1, task: 'm.forward', args: { round: 0, step: 0 } }, 'b');
    it.perform({ type: 'release', blobs: [4, 5] }, 'c');
    it.perform({ type: 'finished' }, 'd');
    expect(log).toEqual(['a send control client-0>server', 'b compute m.forward x1', 'c release 4,5', 'd finished']);
  });

  it("applies the fault plan: a straggler's slowdown, crashes armed once when a round starts, a restart after a round", () => {
    const { log, ports } = recorder();
    const plan = new FaultPlan({
      messages: [],
      stragglers: [
        { client: 1, round: 0, factor: 2 },
        { client: 1, round: 0, factor: 1.5 },
      ],
      crashes: [{ clients: [0, 1], round: 1, atS: 4, downS: null }],
      serverRestarts: [0],
    });
    const it = new EffectInterpreter(ports, plan);
    it.perform({ type: 'compute', actor: 'client-1', taskId: 1, task: 'fe.forward', args: { client: 1, round: 0, step: 0 } }, 'x');
    it.perform({ type: 'compute', actor: 'client-1', taskId: 2, task: 'fe.forward', args: { client: 1, round: 1, step: 0 } }, 'x');
    it.perform({ type: 'round.complete', round: 0, participants: [0, 1], samples: [8, 8] }, 'x');
    it.perform(deadline(1), 'x');
    it.perform(deadline(1), 'x');
    expect(log).toEqual([
      'x compute fe.forward x3',
      'x compute fe.forward x1',
      'x round.complete 0',
      'restart server',
      'round 1 started, deadline 30',
      'crash client-0 in 4 for null',
      'crash client-1 in 4 for null',
      'x timer deadline 30',
      'x timer deadline 30',
    ]);
  });

  it('consumes a message fault on the first message of its identity', () => {
    const plan = new FaultPlan({
      messages: [{ kind: 'features.s1', client: 0, dir: 'up', round: 0, step: 1, fault: 'drop', delayS: 0 }],
      stragglers: [],
      crashes: [],
      serverRestarts: [],
    });
    expect(plan.takeMessageFault('features.s1', 0, 'up', 0, 0)).toBeUndefined();
    expect(plan.takeMessageFault('features.s1', 0, 'up', 0, 1)?.fault).toBe('drop');
    expect(plan.takeMessageFault('features.s1', 0, 'up', 0, 1)).toBeUndefined();
  });

  it('builds the events actors get back', () => {
    expect(timerEvent({ type: 'timer', actor: 'client-0', delay: 1, name: 'step', round: 2, step: 3 })).toEqual({ type: 'timer', name: 'step', round: 2, step: 3 });
    expect(computeDone(7, 'fe.forward', [], undefined)).toEqual({ type: 'compute.done', taskId: 7, task: 'fe.forward', outputs: [] });
    expect(computeDone(7, 'be.train', [], 0.25)).toEqual({ type: 'compute.done', taskId: 7, task: 'be.train', outputs: [], loss: 0.25 });
  });
});
