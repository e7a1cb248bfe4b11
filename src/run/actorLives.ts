/**
 * Which incarnation of each actor is alive in a simulated run. Crash and restart faults (the
 * fault plan of src/interpret, applied by the shared effect interpreter) stop and start actors
 * in their hosts; what an earlier incarnation left behind (a task it started, a timer it armed)
 * is discarded when it comes due, and a message that reaches a crashed actor is lost, as in the
 * checker's world.
 */
import type { Addressed } from '../actors/host.js';
import { clientName } from '../protocol/index.js';
import type { Effect } from '../protocol/messages.js';

/** An actor host as the run drives it: in this thread (ActorHost) or a worker (RemoteHost). */
export interface Host {
  deliver(batch: Addressed[]): Promise<Effect[]> | Effect[];
  snapshot(): Promise<Record<string, unknown>> | Record<string, unknown>;
  stop(id: string): Promise<void> | void;
  restart(id: string): Promise<void> | void;
  close?(): Promise<void>;
}

export class ActorLives {
  /** Incarnation by actor (absent: 0, the first). */
  private readonly incarnations: Record<string, number> = {};
  /** Crashed actors, not rejoined yet. */
  private readonly down = new Set<string>();
  /** Actors to restart before the next instant's events (a restart takes effect once the instant that asked for it is over). */
  private pendingRestarts: string[] = [];

  /** @param hostOf the host an actor lives in */
  constructor(private readonly hostOf: (actor: string) => Host) {}

  /** The current incarnation of `actor`. */
  incOf(actor: string): number {
    return this.incarnations[actor] ?? 0;
  }

  /** Whether an event for incarnation `inc` (undefined: any) of `actor` still has someone to reach. */
  receives(actor: string, inc: number | undefined): boolean {
    return !this.down.has(actor) && (inc === undefined || inc === this.incOf(actor));
  }

  /** Client k crashes now; returns the incarnation a rejoin must match, or null when it was down already. */
  async crash(k: number): Promise<number | null> {
    const name = clientName(k);
    if (this.down.has(name)) return null;
    this.down.add(name);
    this.incarnations[name] = this.incOf(name) + 1;
    await this.hostOf(name).stop(name);
    return this.incOf(name);
  }

  /** A fresh client k starts, if the crash that scheduled this rejoin (`inc`) is still the last. */
  async rejoin(k: number, inc: number): Promise<void> {
    const name = clientName(k);
    if (this.incOf(name) !== inc || !this.down.has(name)) return;
    this.down.delete(name);
    await this.hostOf(name).restart(name);
  }

  /** Asks for a restart of `actor` (it loses all state) once the current instant is over. */
  restartLater(actor: string): void {
    this.pendingRestarts.push(actor);
  }

  /** Performs the restarts asked for. */
  async applyRestarts(): Promise<void> {
    const due = this.pendingRestarts;
    this.pendingRestarts = [];
    for (const actor of due) {
      this.incarnations[actor] = this.incOf(actor) + 1;
      this.down.delete(actor);
      await this.hostOf(actor).restart(actor);
    }
  }
}
