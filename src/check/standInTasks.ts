/**
 * The checker's stand-in compute: what a task outputs (blobs with the lineage of their inputs and,
 * for weights, a small value vector the properties can check FedAvg on), and what the trace
 * records about it (tasks, batches, packs, aggregates). Durations are the world's business.
 */
import { clientIndex } from '../actors/common.js';
import type { BlobRef, Effect, TaskName } from '../protocol/messages.js';
import type { BlobLedger } from './blobLedger.js';
import type { ActorView } from './lateness.js';
import { IDENTITY_TASKS, type StandInBlobs, fedAvgVectors, initialWeights, packedWeights, taskOutputs } from './standIn.js';
import type { BatchRecord, CheckSettings, Trace } from './types.js';
import type { CheckedActor } from './variant.js';

/** One actor's slot: its machine (null while crashed), incarnation, and what the checker saw it do. */
export interface Slot extends ActorView {
  ref: CheckedActor | null;
  inc: number;
  /** Blob id → the message that brought it to this incarnation. */
  delivered: Map<number, number>;
  /** Client: the global weights it loaded and the local steps it trained since. */
  loaded: readonly number[] | null;
  stepsDone: number;
  /** Client: the batch it is working on (null between batches). */
  batch: (BatchRecord & { timerAt: number | null }) | null;
}

/** The parts of the trace the stand-in tasks write. */
export type TaskTrace = Pick<Trace, 'tasks' | 'batches' | 'packs' | 'globals' | 'aggregates' | 'serverAggregates'>;

export class StandInTasks {
  private global: number[] = initialWeights();

  constructor(
    private readonly settings: CheckSettings,
    private readonly blobs: StandInBlobs,
    private readonly ledger: BlobLedger,
    private readonly trace: TaskTrace,
  ) {}

  /** Starts `e` for `slot` at `now` (event `index`, caused by message `trigger`): records it and returns its outputs. */
  start(slot: Slot, e: Extract<Effect, { type: 'compute' }>, trigger: number | null, now: number, index: number): BlobRef[] {
    const s = this.settings;
    const a = e.args;
    // Lineage lists are short (a batch's few messages), so plain arrays beat sets here.
    const msgs: number[] = trigger !== null ? [trigger] : [];
    const tags: string[] = [];
    const add = <T>(list: T[], x: T): void => {
      if (!list.includes(x)) list.push(x);
    };
    const values: (readonly number[] | null)[] = [];
    for (const b of a.inputs ?? []) {
      if (b == null) continue; // a broken variant may pass nothing; the properties see the consequences
      const info = this.blobs.info(b.id);
      if (info !== undefined) {
        for (const m of info.msgs) add(msgs, m);
        for (const t of info.tags) add(tags, t);
      }
      const via = slot.delivered.get(b.id);
      if (via !== undefined) add(msgs, via);
      values.push(info?.value ?? null);
    }
    if (msgs.length > 1) msgs.sort((x, y) => x - y);
    if (tags.length > 1) tags.sort();
    const k = a.client ?? -1;
    this.trace.tasks.push({ index, time: now, actor: e.actor, inc: slot.inc, task: e.task, client: k, round: a.round, step: a.step, ancestry: msgs, tags });
    this.ledger.task(slot.name, e.task, a.inputs ?? [], now);
    if (slot.name.startsWith('client-')) this.batchTask(slot, e.task, a.round, a.step, now);
    const { count, secondTag } = taskOutputs(e.task, s.topology);
    let value: number[] | null = null;
    switch (e.task) {
      case 'weights.load':
        slot.loaded = values[0] ?? null;
        slot.round = a.round;
        slot.step = -1;
        slot.stepsDone = 0;
        break;
      case 'fe.backward':
        slot.stepsDone++;
        break;
      case 'weights.pack':
        value = slot.loaded === null ? initialWeights().map(() => Number.NaN) : packedWeights(slot.loaded, k, slot.round, slot.stepsDone);
        break;
      case 'global.pack':
        value = [...this.global];
        this.trace.globals[a.round] = value;
        break;
      case 'aggregate': {
        slot.closed = Math.max(slot.closed, a.round);
        const vectors = values.map((v) => v ?? this.global.map(() => Number.NaN));
        this.global = fedAvgVectors(vectors, a.samples ?? [], this.global);
        this.trace.aggregates.push({ round: a.round, time: now, participants: [...(a.participants ?? [])], samples: [...(a.samples ?? [])], result: [...this.global] });
        break;
      }
      case 'm.aggregate':
        this.trace.serverAggregates.push({ round: a.round, time: now, participants: [...(a.participants ?? [])], samples: [...(a.samples ?? [])] });
        break;
      default:
        break;
    }
    const identity = IDENTITY_TASKS.has(e.task);
    const outputs: BlobRef[] = [];
    for (let i = 0; i < count; i++) {
      const outTags = i === 0 ? (identity ? tags : []) : secondTag !== null ? [secondTag] : [];
      const bytes = value !== null ? s.weightsBytes : s.tensorBytes;
      outputs.push(this.blobs.make(bytes, { msgs, tags: outTags, value }));
    }
    if (e.task === 'weights.pack' && outputs[0] !== undefined && value !== null) {
      this.trace.packs.push({ client: k, round: a.round, loadedRound: slot.round, stepsDone: slot.stepsDone, blob: outputs[0].id, value });
    }
    return outputs;
  }

  /** Closes the client's open batch: trained if FE backward ran, else skipped if its step timer fired, else `otherwise`. */
  endBatch(slot: Slot, otherwise: 'abandoned' | 'lost', now: number): void {
    const b = slot.batch;
    if (b === null) return;
    slot.batch = null;
    if (b.end === 'trained') return;
    const { timerAt, ...rec } = b;
    rec.end = timerAt !== null ? 'skipped' : otherwise;
    rec.endTime = timerAt ?? now;
    Object.assign(b, rec);
  }

  /** Follows a client's batches through its tasks: fe.forward opens one, fe.backward trains it, the next batch, a pack or a load closes it. */
  private batchTask(slot: Slot, task: TaskName, round: number, step: number, now: number): void {
    if (task === 'fe.forward') {
      this.endBatch(slot, 'lost', now);
      const b = { client: clientIndex(slot.name), inc: slot.inc, round, step, start: now, end: null, endTime: null, replies: [], timerAt: null };
      slot.batch = b;
      this.trace.batches.push(b);
    } else if (task === 'fe.backward') {
      const b = slot.batch;
      if (b !== null && b.round === round && b.step === step && b.end === null) Object.assign(b, { end: 'trained', endTime: now });
    } else if (task === 'weights.pack') {
      this.endBatch(slot, 'lost', now);
    } else if (task === 'weights.load') {
      this.endBatch(slot, 'abandoned', now);
    }
  }
}
