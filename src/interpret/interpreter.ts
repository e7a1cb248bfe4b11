/**
 * One effect interpreter for every world. The actors name effects (the `Effect` union of
 * src/protocol); a world realises them through its {@link EffectPorts}: the simulated run
 * (src/run/simulator.ts: real compute, the scenario's network model, virtual time), the checker
 * (src/check/world.ts: stand-in compute, the faulty transport), and a world over real sockets
 * (src/pilot) can each provide ports. What every world shares lives here: the dispatch, the
 * events an actor gets back, and the faults of the run's {@link FaultPlan} — stragglers slow a
 * task down, crashes are armed when a round starts, the split server restarts after a round —
 * so a fault written once happens in every world that takes the plan.
 */
import type { ActorEvent, BlobRef, Effect, TaskName } from '../protocol/index.js';
import { FaultPlan } from './faultPlan.js';

/** One kind of effect. */
export type EffectOf<T extends Effect['type']> = Extract<Effect, { type: T }>;

/** What a world does for each effect; `ctx` is the world's own (which actor asked, in reaction to what). */
export interface EffectPorts<C> {
  /** Puts a message on the world's network. */
  send(e: EffectOf<'send'>, ctx: C): void;
  /** Starts a compute task; `slowdown` (from the fault plan, 1 for none) stretches its duration. */
  compute(e: EffectOf<'compute'>, slowdown: number, ctx: C): void;
  /** Arms a timer: after `e.delay` the actor gets {@link timerEvent}(e). */
  timer(e: EffectOf<'timer'>, ctx: C): void;
  /** Frees buffers. */
  release(e: EffectOf<'release'>, ctx: C): void;
  roundComplete(e: EffectOf<'round.complete'>, ctx: C): void;
  finished(ctx: C): void;
  /** A round started (the federator armed its deadline), once per round, before its crashes are armed. */
  roundStarted?(round: number, deadlineS: number, ctx: C): void;
  /** Fault: client `client` crashes `atS` seconds from now; a fresh one rejoins `downS` later (null: never). */
  crashLater(client: number, atS: number, downS: number | null): void;
  /** Fault: the split server loses all state and starts afresh, now. */
  restartServer(): void;
}

/** Realises effects through a world's ports, with the run's faults applied the same way in every world. */
export class EffectInterpreter<C> {
  private readonly roundsStarted = new Set<number>();

  constructor(
    private readonly ports: EffectPorts<C>,
    readonly faults: FaultPlan = new FaultPlan(),
  ) {}

  /** Realises one effect. */
  perform(e: Effect, ctx: C): void {
    const p = this.ports;
    switch (e.type) {
      case 'send':
        p.send(e, ctx);
        return;
      case 'compute': {
        const client = e.actor.startsWith('client-') ? (e.args.client ?? -1) : null;
        p.compute(e, client === null ? 1 : this.faults.slowdown(client, e.args.round), ctx);
        return;
      }
      case 'timer':
        // The federator's deadline timer marks a round's start: its crashes count from here.
        if (e.actor === 'federator' && e.name === 'deadline') this.roundStart(e.round, e.delay, ctx);
        p.timer(e, ctx);
        return;
      case 'release':
        p.release(e, ctx);
        return;
      case 'round.complete':
        p.roundComplete(e, ctx);
        if (this.faults.restartsAfter(e.round)) p.restartServer();
        return;
      case 'finished':
        p.finished(ctx);
        return;
      default:
        // A machine that emits something no world knows is broken: say so, never drop it silently.
        throw new Error(`effect interpreter: unknown effect ${JSON.stringify(e satisfies never)}`);
    }
  }

  private roundStart(round: number, deadlineS: number, ctx: C): void {
    if (this.roundsStarted.has(round)) return;
    this.roundsStarted.add(round);
    this.ports.roundStarted?.(round, deadlineS, ctx);
    for (const c of this.faults.crashesIn(round)) for (const k of c.clients) this.ports.crashLater(k, c.atS, c.downS);
  }
}

/** What an actor gets when its timer fires. */
export function timerEvent(e: EffectOf<'timer'>): ActorEvent {
  return { type: 'timer', name: e.name, round: e.round, step: e.step };
}

/** What an actor gets when its task ends: the outputs, and the training loss when the task has one. */
export function computeDone(taskId: number, task: TaskName, outputs: BlobRef[], loss: number | undefined): ActorEvent {
  return loss !== undefined ? { type: 'compute.done', taskId, task, outputs, loss } : { type: 'compute.done', taskId, task, outputs };
}
