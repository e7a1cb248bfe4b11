/**
 * Buffer lifetimes as the checker sees them (issue 18): the real simulation keeps every tensor
 * in a blob store that throws on a buffer already freed, and a buffer nobody frees is memory
 * that grows for the whole run. The ledger follows each stand-in blob through the effects the
 * machines emit — `release`, tasks that consume their inputs (as src/run/taskRunner.ts takes
 * them), sends, deliveries, drops — and reports the first use after free and what receivers
 * were handed and neither used, passed on nor freed.
 */
import type { BlobRef, TaskName } from '../protocol/messages.js';
import type { LifetimeReport } from './types.js';

/** Inputs a task takes out of the blob store (the runner's `take`); others are read in place. */
const CONSUMES: Partial<Record<TaskName, 'all' | number[]>> = {
  'fe.backward': 'all',
  'm.backward': [0, 1],
  'be.train': 'all',
  's.train': 'all', // the features, and the labels (src/run/tasks/modelTasks.ts takes both)
  encode: [0],
  decode: [0],
  aggregate: 'all',
};

interface Held {
  actor: string;
  inc: number;
  what: string;
}

/** Keeps the lifetimes of one run's blobs. */
export class BlobLedger {
  private readonly freed = new Map<number, string>();
  /** Buffers handed to a receiver that has not yet used, sent or freed them. */
  private readonly untouched = new Map<number, Held>();
  /**
   * Buffers an actor owns: a task's outputs once it hears of them, message copies once they
   * reach it. Reading one in place (a task input not consumed) keeps it owned; freeing it, a
   * task consuming it, or sending it on ends that.
   */
  private readonly owned = new Map<number, Held>();
  private useAfterRelease: string | null = null;
  private sharedCopies = 0;
  /** The round's weights and codecs (global.pack's outputs, and copies of their messages): the simulation's to free. */
  private readonly roundBuffers = new Set<number>();
  private sharedFreed: string | null = null;

  /** `blobs` are a round's shared weights or codecs: every selected client reads them, none may free them. */
  shared(blobs: readonly number[]): void {
    for (const id of blobs) this.roundBuffers.add(id);
  }

  /** `actor` frees `blobs` (freeing twice is harmless: the store ignores it). */
  released(actor: string, blobs: readonly number[], time: number): void {
    for (const id of blobs) {
      if (this.roundBuffers.has(id) && this.sharedFreed === null) {
        this.sharedFreed = `${actor} freed blob ${id} at t=${time}, a round's shared weights or codecs (the simulation frees those, after every client read them)`;
      }
      if (!this.freed.has(id)) this.freed.set(id, `freed by ${actor} at t=${time}`);
      this.untouched.delete(id);
      this.owned.delete(id);
    }
  }

  /** `actor` heard that its `task` finished with `outputs`: they are its own now. */
  produced(actor: string, inc: number, task: TaskName, outputs: readonly BlobRef[], round: number, step: number): void {
    outputs.forEach((b, i) => this.owned.set(b.id, { actor, inc, what: `output ${i} of its ${task} (round ${round}, step ${step})` }));
  }

  /** `actor` starts `task` on `inputs`: each must still be held; consumed inputs are gone afterwards. */
  task(actor: string, task: TaskName, inputs: readonly (BlobRef | null | undefined)[], time: number): void {
    const consumes = CONSUMES[task];
    inputs.forEach((b, i) => {
      if (b == null) return;
      this.use(actor, b.id, `as input ${i} of ${task}`, time);
      if (consumes === 'all' || consumes?.includes(i)) {
        this.freed.set(b.id, `consumed by ${actor} ${task} at t=${time}`);
        this.owned.delete(b.id);
      }
    });
  }

  /** `actor` puts blob `id` on the wire in a `kind` message. */
  sent(actor: string, id: number, kind: string, time: number): void {
    this.use(actor, id, `in a ${kind} message`, time);
    this.owned.delete(id);
  }

  /** A copy reached `actor`: from now on it is the receiver's to use or free (the round's shared weights aside). */
  delivered(actor: string, inc: number, id: number, what: string): void {
    this.untouched.set(id, { actor, inc, what });
    this.owned.set(id, { actor, inc, what });
  }

  /** A copy was lost on the way: the simulation frees its buffer. */
  lost(id: number): void {
    this.freed.set(id, 'lost on the way');
    this.owned.delete(id);
  }

  /** Two copies of one message carried the same buffer. */
  copyShared(): void {
    this.sharedCopies++;
  }

  /** `actor` lost its memory (a crash or restart): what it held went with it. */
  forget(actor: string): void {
    for (const [id, h] of this.untouched) if (h.actor === actor) this.untouched.delete(id);
    for (const [id, h] of this.owned) if (h.actor === actor) this.owned.delete(id);
  }

  /**
   * What the run left behind. `refersTo(actor, inc)`: the buffer ids that incarnation's state
   * still refers to, null when it is gone (crashed: its memory went with it). A buffer it owns
   * and no longer refers to can never be freed: it is dropped.
   */
  report(refersTo: (actor: string, inc: number) => ReadonlySet<number> | null = () => null): LifetimeReport {
    const leaked = [...this.untouched.values()].slice(0, 5).map((h) => `${h.actor} never used nor freed ${h.what}`);
    const dropped: string[] = [];
    let droppedCount = 0;
    const refs = new Map<string, ReadonlySet<number> | null>();
    for (const [id, h] of this.owned) {
      const key = `${h.actor}#${h.inc}`;
      if (!refs.has(key)) refs.set(key, refersTo(h.actor, h.inc));
      const r = refs.get(key);
      if (r == null || r.has(id)) continue;
      droppedCount++;
      if (dropped.length < 5) dropped.push(`${h.actor} let go of ${h.what} without freeing it`);
    }
    return { useAfterRelease: this.useAfterRelease, sharedFreed: this.sharedFreed, leaked, dropped, droppedCount, sharedCopies: this.sharedCopies };
  }

  private use(actor: string, id: number, how: string, time: number): void {
    this.untouched.delete(id);
    const freed = this.freed.get(id);
    if (freed !== undefined && this.useAfterRelease === null) this.useAfterRelease = `${actor} used blob ${id} ${how} at t=${time}, ${freed}`;
  }
}
