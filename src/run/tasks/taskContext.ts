/**
 * What every task handler shares: the world, the pool and the blob store, each slot's codec
 * plan and trainable copies, the batches, and the bookkeeping that keeps pool jobs that write
 * one actor's state in virtual order. The handlers themselves are in modelTasks.ts,
 * codecTasks.ts and weightTasks.ts; taskRunner.ts dispatches to them by task name.
 */
import { TaskErrors } from './errors.js';
import { codecFlops } from '../../codecs/index.js';
import { createLearnedCodec, entropyParamRanges } from '../../codecs/learned/index.js';
import type { CodecOptions } from '../../codecs/types.js';
import type { Blob, BlobStore } from '../../compute/blobStore.js';
import type { LrGroup } from '../../compute/optimizer.js';
import type { ComputePool } from '../../compute/pool.js';
import type { LabelsMsg, LearnedRef, ModelKey, PoolRequest, TensorMsg } from '../../compute/types.js';
import { makeBatch } from '../../data/index.js';
import type { PartName } from '../../model/types.js';
import type { BlobRef, CodecSlot } from '../../protocol/messages.js';
import { Rng } from '../../sim/index.js';
import { codecTrains, type SlotPlan } from '../codecPlan.js';
import { WeightVersions } from '../weightSync.js';
import { stateKey } from '../../protocol/index.js';
import type { World } from '../world.js';
import { CodecVersions } from './codecVersions.js';
import type { TaskOutcome } from './types.js';

export class TaskContext {
  readonly modelKey: ModelKey;
  private readonly plans: Partial<Record<CodecSlot, SlotPlan>> = {};
  private readonly codecParamCounts: Partial<Record<CodecSlot, number>> = {};
  /** The entropy model's parameters of each learned codec, with their learning rate. */
  private readonly entropyGroups: Partial<Record<CodecSlot, LrGroup[]>> = {};
  readonly adam: { lr: number; beta1: number; beta2: number };
  private readonly codecAdam: { lr: number; beta1: number; beta2: number };
  /**
   * Error-feedback residuals (topk), one per sender, slot and tensor shape: key `F1/3/[4,8,8,16]`
   * is client 3's F1 memory, `G1/3/…` the split server's memory for client 3. Shared memory,
   * so whichever pool worker encodes reads and updates it in place.
   */
  private readonly residuals = new Map<string, Float32Array>();
  /** The last encode of each residual: the next one waits for it, so updates apply in virtual order. */
  readonly residualJobs = new Map<string, Promise<unknown>>();
  /** The synced codec versions and the codec messages made from them (codec.up, codec.down). */
  readonly codecs: CodecVersions;
  /** The model's client-side globals per round, and the weight messages made from them (protocol.weightBits). */
  readonly weights: WeightVersions;
  /** Each client's latest training loss (be.train on the client, s.train on the server), for loss gates. */
  readonly losses = new Map<number, { round: number; step: number; loss: number }>();
  /** Pool jobs still running, by the actor whose model state they may write. */
  private readonly inflight = new Map<string, Set<Promise<unknown>>>();
  /** The last step of each trainable codec copy, by state key: the next waits for it, so steps apply in virtual order. */
  readonly codecSteps = new Map<string, Promise<unknown>>();
  /** The first codec step that failed: the actor's next state read throws it (nothing lost in silence). */
  private codecStepError: unknown = null;

  constructor(
    readonly world: World,
    readonly pool: ComputePool,
    readonly blobs: BlobStore,
  ) {
    const s = world.scenario;
    this.modelKey = { config: world.model.config, topology: world.model.topology };
    for (const p of world.codecs) {
      this.plans[p.slot] = p;
      if (p.kind === 'learned') {
        const codec = createLearnedCodec(p.spec);
        this.codecParamCounts[p.slot] = codec.paramCount;
        this.entropyGroups[p.slot] = entropyParamRanges(codec).map((r) => ({ ...r, lr: s.codec.entropyLr }));
      }
    }
    this.adam = { lr: s.optimizer.lr, beta1: s.optimizer.beta1, beta2: s.optimizer.beta2 };
    this.codecAdam = { lr: s.codec.lr, beta1: s.optimizer.beta1, beta2: s.optimizer.beta2 };
    this.codecs = new CodecVersions(world, blobs, (slot) => this.plan(slot));
    const segments = world.roles.client.flatMap((name) => this.part(name).params.map((spec) => spec.shape.reduce((a, d) => a * d, 1)));
    this.weights = new WeightVersions(s.protocol.weightBits, segments);
  }

  plan(slot: CodecSlot): SlotPlan {
    return this.plans[slot] ?? { slot, kind: 'classic', options: { name: 'none' } };
  }

  /** `trainer` when the slot's learned codec trains in `round`, else undefined (a frozen `ayad` codec). */
  trainerIn(slot: CodecSlot, trainer: number, round: number): number | undefined {
    return codecTrains(this.plan(slot), round) ? trainer : undefined;
  }

  /**
   * The codec of a slot as a task uses it: classic options, or a learned codec's global
   * parameters, plus (with `trainer`) the trainable copy of the client or server copy `trainer`.
   * A loss gate sends fp32 when it sends, so its options are `none`.
   */
  codecOf(slot: CodecSlot, trainer?: number): CodecOptions | LearnedRef {
    const p = this.plan(slot);
    if (p.kind === 'classic') return p.options;
    if (p.kind === 'lossGate') return { name: 'none' };
    const variant = this.world.scenario.protocol.variant;
    const ref: LearnedRef = {
      spec: p.spec,
      params: this.world.store.get(stateKey('global', `codec/${slot}`, variant)).params,
      // Split tensors travel normalised and centred (a `scaled` container).
      normalize: true,
    };
    if (trainer !== undefined) {
      ref.train = {
        state: this.world.store.get(stateKey(trainer, `codec/${slot}`, variant)),
        adam: { ...this.codecAdam, ...(p.role === 'gradient' ? { lr: this.world.scenario.codec.gradientLr } : {}), groups: this.entropyGroups[slot] ?? [] },
        lambda: p.lambda,
        ...(p.role === 'feature' ? { distortion: this.world.scenario.codec.distortion } : {}),
      };
    }
    return ref;
  }

  /** FLOPs of coding `elements` values in a slot: a coarse upper bound for learned codecs (every weight applied at a quarter of the input positions). */
  codecFlops(slot: CodecSlot, elements: number, channels: number): number {
    return codecFlops(this.plan(slot), elements, channels, this.codecParamCounts[slot] ?? 0);
  }

  /** Sample indices of client k's batch for (round, step): a seeded shuffle per epoch. */
  batchIndices(k: number, round: number, step: number): number[] {
    const idx = this.world.data.clientIndices[k] as number[];
    const bs = this.world.scenario.protocol.batchSize;
    const perEpoch = Math.ceil(idx.length / bs);
    const epoch = Math.floor(step / perEpoch);
    const order = new Rng(this.world.scenario.seed, `batches/client-${k}/round-${round}/epoch-${epoch}`).shuffle(idx.slice());
    const b = step % perEpoch;
    return order.slice(b * bs, (b + 1) * bs);
  }

  batch(k: number, round: number, step: number): { x: TensorMsg; y: LabelsMsg } {
    const b = makeBatch(this.world.data.dataset, this.batchIndices(k, round, step));
    const [n, h, w] = b.shape;
    return { x: { data: b.x, shape: [...b.shape] }, y: { data: b.y, shape: [n, h, w] } };
  }

  part(name: PartName): NonNullable<World['model']['parts'][PartName]> {
    const p = this.world.model.parts[name];
    if (p === undefined) throw TaskErrors.noPart(name);
    return p;
  }

  tensor(ref: BlobRef | undefined, consume: boolean): TensorMsg {
    if (ref === undefined) throw TaskErrors.missingInput();
    const b = consume ? this.blobs.take(ref.id) : this.blobs.get(ref.id);
    if (b.kind !== 'tensor') throw TaskErrors.wrongBlob(ref.id, b.kind, 'a tensor');
    return consume ? { data: b.data, shape: b.shape } : { data: b.data.slice(), shape: b.shape };
  }

  bytes(ref: BlobRef | undefined): Extract<Blob, { kind: 'bytes' }> {
    if (ref === undefined) throw TaskErrors.missingInput();
    const b = this.blobs.take(ref.id);
    if (b.kind !== 'bytes') throw TaskErrors.wrongBlob(ref.id, b.kind, 'bytes');
    return b;
  }

  labels(ref: BlobRef | undefined): LabelsMsg {
    if (ref === undefined) throw TaskErrors.missingInput();
    const b = this.blobs.take(ref.id);
    if (b.kind !== 'labels') throw TaskErrors.wrongBlob(ref.id, b.kind, 'labels');
    return { data: b.data, shape: b.shape };
  }

  async pooled(req: PoolRequest): Promise<TaskOutcome> {
    const r = await this.pool.run(req);
    const outputs: Blob[] = r.outputs.map((o) => ({ kind: 'tensor', data: o.data, shape: o.shape }));
    return r.loss !== undefined ? { outputs, loss: r.loss } : { outputs };
  }

  track(actor: string, job: Promise<TaskOutcome>): Promise<TaskOutcome> {
    let set = this.inflight.get(actor);
    if (set === undefined) this.inflight.set(actor, (set = new Set()));
    const s = set;
    s.add(job);
    const forget = (): void => {
      s.delete(job);
    };
    job.then(forget, forget);
    return job;
  }

  /**
   * Runs `work` once the actor's running pool jobs have finished. A task abandoned by its
   * actor (a straggler's step when new weights arrive, a late batch at aggregation) may still
   * be writing that actor's state; waiting keeps the order of writes the virtual order, so
   * runs stay deterministic.
   */
  afterJobsOf(actor: string, work: () => TaskOutcome): Promise<TaskOutcome> {
    const running = [...(this.inflight.get(actor) ?? [])];
    const checked = (): TaskOutcome => {
      if (this.codecStepError !== null) throw this.codecStepError;
      return work();
    };
    return running.length === 0 ? Promise.resolve().then(checked) : Promise.allSettled(running).then(checked);
  }

  /**
   * A trainable codec copy's step as a pool task of its own (`codec.train`), so the task that
   * coded with the codec does not wait for it: it runs once `request` is ready and the copy's
   * previous step is done, and the actor's later state reads ({@link afterJobsOf}), checkpoints
   * included, wait for it.
   */
  codecStep(actor: string, slot: CodecSlot, trainer: number, request: Promise<PoolRequest>): void {
    const key = stateKey(trainer, `codec/${slot}`, this.world.scenario.protocol.variant);
    const before = this.codecSteps.get(key) ?? Promise.resolve();
    const job = Promise.all([before, request]).then(([, req]) => this.pool.run(req));
    const done = job.then(
      (): TaskOutcome => ({ outputs: [] }),
      (err: unknown): TaskOutcome => {
        this.codecStepError ??= err;
        return { outputs: [] };
      },
    );
    this.codecSteps.set(key, done);
    this.track(actor, done);
  }

  /** The error-feedback residual `key`, zeros at first (shared memory, updated in place by the pool). */
  residual(key: string, elements: number): Float32Array {
    let r = this.residuals.get(key);
    if (r === undefined) {
      r = new Float32Array(new SharedArrayBuffer(elements * 4));
      this.residuals.set(key, r);
    }
    return r;
  }

  /** Splits a packed weight vector into the owner's `parts`; `allowRest` accepts trailing values. */
  unpackInto(owner: 'global' | number, flat: Float32Array, parts: string[], allowRest: boolean): void {
    const variant = this.world.scenario.protocol.variant;
    let off = 0;
    for (const p of parts) {
      const key = stateKey(owner, p, variant);
      const n = this.world.store.get(key).params.length;
      if (off + n > flat.length) throw TaskErrors.packedWeights(`packed vector too short for ${key}`);
      this.world.store.setParams(key, flat.subarray(off, off + n));
      off += n;
    }
    if (off !== flat.length && !allowRest) throw TaskErrors.packedWeights(`packed vector has ${flat.length} values, parts need ${off}`);
  }
}
