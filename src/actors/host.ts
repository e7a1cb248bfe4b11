/**
 * An actor host: several actors in one thread (so thousands of clients need not mean
 * thousands of threads). The simulation delivers one instant's events per call and gets back
 * the effects, in delivery order.
 */
import type { ActorEvent, Effect } from '../protocol/messages.js';
import { deliver, startActor, type ActorSpec, type HostedActor } from './effects.js';

/** One event for one actor. */
export interface Addressed {
  to: string;
  event: ActorEvent;
}

/** The RPC surface of a host (exposed over comlink by hostWorker.ts). */
export interface HostApi {
  /** Starts the actors; with `snapshots` (by actor id, from `snapshot()`), from a checkpoint's state. */
  init(specs: ActorSpec[], snapshots?: Record<string, unknown>): void;
  deliver(batch: Addressed[]): Effect[];
  /** Every actor's persisted state, by id (plain data: a checkpoint saves it). */
  snapshot(): Record<string, unknown>;
  /** Stops an actor (a crash): it gets no further events until restarted. */
  stop(id: string): void;
  /** Starts a fresh actor from its spec (a rejoin or a restart), stopping a running one first; its start-up effects are dropped. */
  restart(id: string): void;
}

export class ActorHost implements HostApi {
  private readonly actors = new Map<string, HostedActor>();
  private readonly specs = new Map<string, ActorSpec>();
  private readonly outbox: Effect[] = [];

  init(specs: ActorSpec[], snapshots?: Record<string, unknown>): void {
    for (const spec of specs) {
      this.specs.set(spec.id, spec);
      this.actors.set(spec.id, startActor(spec, this.outbox, snapshots?.[spec.id]));
    }
  }

  stop(id: string): void {
    this.actors.get(id)?.ref.stop();
    this.actors.delete(id);
  }

  restart(id: string): void {
    const spec = this.specs.get(id);
    if (spec === undefined) throw new Error(`actor host: no actor "${id}"`);
    this.stop(id);
    this.actors.set(id, startActor(spec, this.outbox));
    this.outbox.length = 0;
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, a] of this.actors) out[id] = a.ref.getPersistedSnapshot();
    return out;
  }

  deliver(batch: Addressed[]): Effect[] {
    this.outbox.length = 0;
    for (const { to, event } of batch) {
      const actor = this.actors.get(to);
      if (actor === undefined) throw new Error(`actor host: no actor "${to}"`);
      deliver(actor, event);
    }
    return this.outbox.splice(0);
  }
}
