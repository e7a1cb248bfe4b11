/**
 * The checker's stand-in compute: what a task outputs (blobs with the lineage of their inputs and,
 * for weights, a small value vector the properties can check FedAvg on), and what the trace
 * records about it (tasks, batches, packs, aggregates). Durations are the world's business.
 */
import { clientIndex } from '../actors/common.js';
import type { BlobRef, Effect, TaskName } from '../protocol/messages.js';
import type { BlobLedger } from './blobLedger.js';
import type { ActorView } from './lateness.js';
import { codecVersionAt } from '../run/codecSync.js';
import { IDENTITY_TASKS, type BlobInfo, type StandInBlobs, fedAvgVectors, initialWeights, packedWeights, taskOutputs } from './standIn.js';
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
  /**
   * Client: the round whose global weights it holds (-1: none yet; -2: a wrong delta spoilt them)
   * and the synced codec version it holds (0: the seeded initial codecs; -1: spoilt). Kept on disk
   * in the simulation, so a crash does not lose them.
   */
  heldRound: number;
  codecVersion: number;
  /** Client: the batch it is working on (null between batches). */
  batch: (BatchRecord & { timerAt: number | null }) | null;
}

/** The parts of the trace the stand-in tasks write. */
export type TaskTrace = Pick<Trace, 'tasks' | 'batches' | 'packs' | 'globals' | 'aggregates' | 'serverAggregates' | 'loads'>;

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
    const infos: (BlobInfo | undefined)[] = [];
    for (const [i, b] of (a.inputs ?? []).entries()) {
      // The real runner fails the run on a missing input (src/run/taskRunner.ts): so does the check.
      if (b == null) throw new Error(`${e.actor} started ${e.task} (round ${a.round}, step ${a.step}) without input ${i}`);
      const info = this.blobs.info(b.id);
      if (info !== undefined) {
        for (const m of info.msgs) add(msgs, m);
        for (const t of info.tags) add(tags, t);
      }
      const via = slot.delivered.get(b.id);
      if (via !== undefined) add(msgs, via);
      values.push(info?.value ?? null);
      infos.push(info);
    }
    if (msgs.length > 1) msgs.sort((x, y) => x - y);
    if (tags.length > 1) tags.sort();
    const k = a.client ?? -1;
    this.trace.tasks.push({ index, time: now, actor: e.actor, inc: slot.inc, task: e.task, client: k, round: a.round, step: a.step, ancestry: msgs, tags });
    this.ledger.task(slot.name, e.task, a.inputs ?? [], now);
    if (slot.name.startsWith('client-')) this.batchTask(slot, e.task, a.round, a.step, now);
    const { count, secondTag } = taskOutputs(e.task, s.topology);
    let value: number[] | null = null;
    const outputs: BlobRef[] = [];
    switch (e.task) {
      case 'weights.load':
        this.load(slot, infos, a.round, now);
        break;
      case 'fe.backward':
        slot.stepsDone++;
        break;
      case 'weights.pack':
        value = slot.loaded === null ? initialWeights().map(() => Number.NaN) : packedWeights(slot.loaded, k, slot.round, slot.stepsDone);
        outputs.push(this.blobs.make(s.weightsBytes, { msgs, tags: [], value }));
        // A sync round: the client's trained codecs go up too (codec.up), as a second output.
        if (s.codecSync?.[a.round] === true && s.clientCodecs !== false) {
          outputs.push(this.blobs.make(s.tensorBytes, { msgs, tags: [], value: null, codecUp: { client: k, round: a.round } }));
        }
        break;
      case 'global.pack':
        value = [...this.global];
        this.trace.globals[a.round] = value;
        outputs.push(...this.globalForms(a.round, value, msgs));
        break;
      case 'aggregate': {
        slot.closed = Math.max(slot.closed, a.round);
        // The weights in the order given (their samples alike), then the codec updates.
        const vectors: (readonly number[])[] = [];
        const codecs: { client: number; round: number }[] = [];
        infos.forEach((info, i) => {
          if (info?.codecUp !== undefined) codecs.push({ ...info.codecUp });
          else vectors.push(values[i] ?? this.global.map(() => Number.NaN));
        });
        this.global = fedAvgVectors(vectors, a.samples ?? [], this.global);
        this.trace.aggregates.push({ round: a.round, time: now, participants: [...(a.participants ?? [])], samples: [...(a.samples ?? [])], result: [...this.global], codecs });
        break;
      }
      case 'm.aggregate':
        this.trace.serverAggregates.push({ round: a.round, time: now, participants: [...(a.participants ?? [])], samples: [...(a.samples ?? [])] });
        break;
      default:
        break;
    }
    const identity = IDENTITY_TASKS.has(e.task);
    for (let i = 0; i < count; i++) {
      const outTags = i === 0 ? (identity ? tags : []) : secondTag !== null ? [secondTag] : [];
      outputs.push(this.blobs.make(s.tensorBytes, { msgs, tags: outTags, value: null }));
    }
    if (e.task === 'weights.pack' && outputs[0] !== undefined && value !== null) {
      this.trace.packs.push({ client: k, round: a.round, loadedRound: slot.round, stepsDone: slot.stepsDone, blob: outputs[0].id, value });
    }
    return outputs;
  }

  /**
   * What global.pack offers for `round` (as src/run/tasks/weightTasks.ts): the global weights in
   * full, then (weight deltas, from round 1) as a delta against the previous round's; then, with
   * learned codecs, the round's synced codec version in full and (codec deltas, from version 1)
   * as a delta against the version before.
   */
  private globalForms(round: number, value: readonly number[], msgs: readonly number[]): BlobRef[] {
    const s = this.settings;
    const forms = [this.blobs.make(s.weightsBytes, { msgs, tags: [], value })];
    if (s.weightDeltas === true && round > 0) forms.push(this.blobs.make(s.weightsBytes / 4, { msgs, tags: [], value, base: round - 1 }));
    if (s.codecSync !== undefined) {
      const version = codecVersionAt(s.codecSync, round);
      forms.push(this.blobs.make(s.tensorBytes, { msgs, tags: [], value: null, codec: { version, base: null } }));
      if (s.codecDeltas === true && version > 0) {
        forms.push(this.blobs.make(s.tensorBytes / 4, { msgs, tags: [], value: null, codec: { version, base: version - 1 } }));
      }
    }
    return forms;
  }

  /**
   * A client adopts a round's weights (input 0) and codecs (input 1, when its copy is behind).
   * A delta only rebuilds the version it was made against: applied to anything else, what the
   * client holds is spoilt, and the trace says so.
   */
  private load(slot: Slot, infos: readonly (BlobInfo | undefined)[], round: number, now: number): void {
    const w = infos[0];
    let wrong: string | null = null;
    if (w?.value == null) wrong = 'no weights among its inputs';
    else if (w.base !== undefined && w.base !== slot.heldRound && w.base + 1 !== slot.heldRound) {
      // (A client that already holds the round's global, a copy of weights.down after a restart, has nothing to apply.)
      wrong = `a delta against round ${w.base}'s global, while it held ${slot.heldRound >= 0 ? `round ${slot.heldRound}'s` : 'none'}`;
    }
    slot.loaded = wrong === null ? (w?.value ?? null) : initialWeights().map(() => Number.NaN);
    slot.heldRound = wrong === null ? round : -2;
    const c = infos.slice(1).find((i) => i?.codec !== undefined)?.codec;
    if (c !== undefined) {
      // A client already holding the version a delta makes has nothing to apply.
      const fits = c.base === null || c.base === slot.codecVersion || c.version === slot.codecVersion;
      slot.codecVersion = fits ? c.version : -1;
    }
    slot.round = round;
    slot.step = -1;
    slot.stepsDone = 0;
    this.trace.loads.push({ client: clientIndex(slot.name), inc: slot.inc, round, time: now, weightsWrong: wrong, codecVersion: slot.codecVersion });
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
