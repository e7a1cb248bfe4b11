/**
 * Turns the protocol's named compute tasks into work: pool tasks for tensors (model parts,
 * codecs), local bookkeeping for weights (pack, load, FedAvg). Each task also has a FLOP count
 * for the cost model, so its virtual duration does not depend on this machine's load.
 */
import { codecFlops, SKIPPED_CODEC, skippedContainer } from '../codecs/index.js';
import type { CodecOptions } from '../codecs/types.js';
import type { ComputePool } from '../compute/pool.js';
import type { LabelsMsg, LearnedRef, ModelKey, PoolRequest, TensorMsg } from '../compute/types.js';
import { createLearnedCodec, entropyParamRanges } from '../codecs/learned/index.js';
import type { LrGroup } from '../compute/optimizer.js';
import { codecLabel, codecTrains, type SlotPlan } from './codecPlan.js';
import { makeBatch } from '../data/index.js';
import { fedAvg } from '../model/index.js';
import type { PartName } from '../model/types.js';
import type { BlobRef, CodecSlot, TaskArgs, TaskName } from '../protocol/messages.js';
import { Rng } from '../sim/rng.js';
import type { Blob, BlobStore } from '../compute/blobStore.js';
import { stateKey, type World } from './world.js';
import { addDelta, codecSyncRounds, codecVersionAt, decodeUpdate, encodeUpdate, subtract, type UpdateBits } from './codecSync.js';
import { WeightVersions } from './weightSync.js';

/** What a finished task produced. */
export interface TaskOutcome {
  outputs: Blob[];
  loss?: number;
}

/** Adam: about 10 FLOPs per parameter per step. */
const ADAM_FLOPS_PER_PARAM = 10;

export class TaskRunner {
  private readonly modelKey: ModelKey;
  private readonly plans: Partial<Record<CodecSlot, SlotPlan>> = {};
  private readonly codecParamCounts: Partial<Record<CodecSlot, number>> = {};
  /** The entropy model's parameters of each learned codec, with their learning rate. */
  private readonly entropyGroups: Partial<Record<CodecSlot, LrGroup[]>> = {};
  private readonly adam: { lr: number; beta1: number; beta2: number };
  private readonly codecAdam: { lr: number; beta1: number; beta2: number };
  /**
   * Error-feedback residuals (topk), one per sender, slot and tensor shape: key `F1/3/[4,8,8,16]`
   * is client 3's F1 memory, `G1/3/…` the split server's memory for client 3. Shared memory,
   * so whichever pool worker encodes reads and updates it in place.
   */
  private readonly residuals = new Map<string, Float32Array>();
  /** The last encode of each residual: the next one waits for it, so updates apply in virtual order. */
  private readonly residualJobs = new Map<string, Promise<unknown>>();
  /** Rounds at whose end the codecs are synced (codec.up, then codec.down): codecSync.ts. */
  readonly codecSync: boolean[];
  /** Synced codec versions: every codec part's values, and the delta that made them (null: sent in full). */
  private readonly codecVersions = new Map<number, { parts: Float32Array[]; delta: Uint8Array | null }>();
  /** Each client's latest training loss (be.train on the client, s.train on the server), for loss gates. */
  /** The model's client-side globals per round, and the weight messages made from them (protocol.weightBits). */
  private readonly weights: WeightVersions;
  private readonly losses = new Map<number, { round: number; step: number; loss: number }>();

  constructor(
    private readonly world: World,
    private readonly pool: ComputePool,
    private readonly blobs: BlobStore,
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
    this.codecSync = codecSyncRounds(world.codecs, s.protocol.rounds, s.codec.syncEvery);
    const segments = world.roles.client.flatMap((name) => this.part(name).params.map((spec) => spec.shape.reduce((a, d) => a * d, 1)));
    this.weights = new WeightVersions(s.protocol.weightBits, segments);
  }

  private get updateBits(): UpdateBits {
    return this.world.scenario.codec.updateBits;
  }

  /** Every learned codec's state name, client-sent first (the order of a codec update). */
  private get codecParts(): string[] {
    return [...this.world.clientCodecParts, ...this.world.serverCodecParts];
  }

  /**
   * The synced codec version `v` (the global codecs after `v` syncs), fixed the first time it is
   * packed: with delta updates it becomes what the receivers reconstruct (codecSync.snapToDelta),
   * and the global codecs take exactly those values.
   */
  private codecVersion(v: number): { parts: Float32Array[]; delta: Uint8Array | null } {
    const known = this.codecVersions.get(v);
    if (known !== undefined) return known;
    const variant = this.world.scenario.protocol.variant;
    const keys = this.codecParts.map((p) => stateKey('global', p, variant));
    const current = keys.map((k) => this.world.store.get(k).params.slice());
    const prev = this.codecVersions.get(v - 1);
    let entry: { parts: Float32Array[]; delta: Uint8Array | null } = { parts: current, delta: null };
    if (prev !== undefined && this.updateBits !== 32) {
      const delta = encodeUpdate(current.map((c, i) => subtract(c, prev.parts[i] as Float32Array)), this.updateBits);
      const parts = decodeUpdate(delta).map((d, i) => addDelta(prev.parts[i] as Float32Array, d));
      keys.forEach((k, i) => this.world.store.setParams(k, parts[i] as Float32Array));
      entry = { parts, delta };
    }
    this.codecVersions.set(v, entry);
    this.codecVersions.delete(v - 2);
    return entry;
  }

  /** A codec update blob: `none` when it holds full weights, `delta-fp16` / `delta-q8` for deltas. */
  private codecBlob(bytes: Uint8Array, elements: number, delta: boolean): Blob {
    const label = !delta ? 'none' : this.updateBits === 16 ? 'delta-fp16' : 'delta-q8';
    return { kind: 'bytes', data: bytes, rawBytes: elements * 4, codec: label };
  }

  /** Decodes a codec update of `parts` sent in `round` (full weights, or deltas against the round's synced version). */
  private readCodecUpdate(ref: BlobRef | undefined, parts: readonly string[], round: number, consume: boolean): Float32Array[] {
    if (ref === undefined) throw new Error('codec update missing');
    const b = consume ? this.blobs.take(ref.id) : this.blobs.get(ref.id);
    if (b.kind !== 'bytes') throw new Error(`codec update: blob ${ref.id} is ${b.kind}`);
    const values = decodeUpdate(b.data);
    if (values.length !== parts.length) throw new Error(`codec update: ${values.length} tensors, expected ${parts.length}`);
    if (b.codec === 'none') return values;
    const all = this.codecParts;
    // A delta is against the version the receiver holds: down, the one before the round's; up, the round's.
    const v = codecVersionAt(this.codecSync, round) - (consume ? 0 : 1);
    const base = this.codecVersions.get(v);
    if (base === undefined) throw new Error(`codec update: no synced version ${v} to apply a delta to`);
    return values.map((d, i) => addDelta(base.parts[all.indexOf(parts[i] as string)] as Float32Array, d));
  }

  private plan(slot: CodecSlot): SlotPlan {
    return this.plans[slot] ?? { slot, kind: 'classic', options: { name: 'none' } };
  }

  /** `trainer` when the slot's learned codec trains in `round`, else undefined (a frozen `ayad` codec). */
  private trainerIn(slot: CodecSlot, trainer: number, round: number): number | undefined {
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
  private codecFlops(slot: CodecSlot, elements: number, channels: number): number {
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

  private batch(k: number, round: number, step: number): { x: TensorMsg; y: LabelsMsg } {
    const b = makeBatch(this.world.data.dataset, this.batchIndices(k, round, step));
    const [n, h, w] = b.shape;
    return { x: { data: b.x, shape: [...b.shape] }, y: { data: b.y, shape: [n, h, w] } };
  }

  private part(name: PartName): NonNullable<World['model']['parts'][PartName]> {
    const p = this.world.model.parts[name];
    if (p === undefined) throw new Error(`model has no part ${name}`);
    return p;
  }

  private tensor(ref: BlobRef | undefined, consume: boolean): TensorMsg {
    if (ref === undefined) throw new Error('task input missing');
    const b = consume ? this.blobs.take(ref.id) : this.blobs.get(ref.id);
    if (b.kind !== 'tensor') throw new Error(`blob ${ref.id} is ${b.kind}, expected a tensor`);
    return consume ? { data: b.data, shape: b.shape } : { data: b.data.slice(), shape: b.shape };
  }

  private bytes(ref: BlobRef | undefined): Extract<Blob, { kind: 'bytes' }> {
    if (ref === undefined) throw new Error('task input missing');
    const b = this.blobs.take(ref.id);
    if (b.kind !== 'bytes') throw new Error(`blob ${ref.id} is ${b.kind}, expected bytes`);
    return b;
  }

  private labels(ref: BlobRef | undefined): LabelsMsg {
    if (ref === undefined) throw new Error('task input missing');
    const b = this.blobs.take(ref.id);
    if (b.kind !== 'labels') throw new Error(`blob ${ref.id} is ${b.kind}, expected labels`);
    return { data: b.data, shape: b.shape };
  }

  private async pooled(req: PoolRequest): Promise<TaskOutcome> {
    const r = await this.pool.run(req);
    const outputs: Blob[] = r.outputs.map((o) => ({ kind: 'tensor', data: o.data, shape: o.shape }));
    return r.loss !== undefined ? { outputs, loss: r.loss } : { outputs };
  }

  /** Pool jobs still running, by the actor whose model state they may write. */
  private readonly inflight = new Map<string, Set<Promise<unknown>>>();

  private track(actor: string, job: Promise<TaskOutcome>): Promise<TaskOutcome> {
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
  private afterJobsOf(actor: string, work: () => TaskOutcome): Promise<TaskOutcome> {
    const running = [...(this.inflight.get(actor) ?? [])];
    return running.length === 0 ? Promise.resolve().then(work) : Promise.allSettled(running).then(work);
  }

  /**
   * Starts task `task` now; returns its FLOPs (for the cost model) and the job. Inputs are
   * resolved (and consumed) immediately, so the blob store is consistent when this returns.
   */
  start(actor: string, task: TaskName, args: TaskArgs): { flops: number; job: Promise<TaskOutcome> } {
    const r = this.startTask(actor, task, args);
    return { flops: r.flops, job: this.track(actor, r.job) };
  }

  private startTask(actor: string, task: TaskName, args: TaskArgs): { flops: number; job: Promise<TaskOutcome> } {
    const s = this.world.scenario;
    const variant = s.protocol.variant;
    const roles = this.world.roles;
    const k = args.client ?? -1;
    const inputs = args.inputs ?? [];
    switch (task) {
      case 'fe.forward': {
        const part = this.part(roles.front);
        const { x, y } = this.batch(k, args.round, args.step);
        const n = x.shape[0] as number;
        const req: PoolRequest = {
          task: 'part.forward',
          model: this.modelKey,
          part: roles.front,
          params: this.world.store.get(stateKey(k, roles.front, variant)).params,
          inputs: [x],
        };
        const job = this.pooled(req).then((o) =>
          // Label-sharing: the labels travel with the features, so they become a blob too.
          roles.back === null ? { outputs: [...o.outputs, { kind: 'labels', data: y.data, shape: y.shape } as Blob] } : o,
        );
        return { flops: part.forwardFlops(n), job };
      }
      case 'fe.backward': {
        const part = this.part(roles.front);
        const { x } = this.batch(k, args.round, args.step);
        const n = x.shape[0] as number;
        const d = inputs.map((r) => this.tensor(r, true));
        // A frozen codec (no trainable copy) is still in the graph: FE learns against what is on the wire.
        const codec = this.codecOf('F1', this.trainerIn('F1', k, args.round));
        const req: PoolRequest = {
          task: 'part.backward',
          model: this.modelKey,
          part: roles.front,
          state: this.world.store.get(stateKey(k, roles.front, variant)),
          adam: this.adam,
          inputs: [x],
          dOutputs: d,
          inputGrads: false,
          ...('spec' in codec ? { outputCodec: codec } : {}),
        };
        const codecCost = 'spec' in codec ? 3 * this.codecFlops('F1', d[0]?.data.length ?? 0, d[0]?.shape[3] ?? 1) : 0;
        return { flops: 2 * part.forwardFlops(n) + ADAM_FLOPS_PER_PARAM * part.paramCount + codecCost, job: this.pooled(req) };
      }
      case 'm.forward': {
        const part = this.part(roles.server);
        const f1 = this.tensor(inputs[0], false);
        const req: PoolRequest = {
          task: 'part.forward',
          model: this.modelKey,
          part: roles.server,
          params: this.world.store.get(stateKey(k, roles.server, variant)).params,
          inputs: [f1],
        };
        return { flops: part.forwardFlops(f1.shape[0] as number), job: this.pooled(req) };
      }
      case 'm.backward': {
        const part = this.part(roles.server);
        const f1 = this.tensor(inputs[0], true);
        const g2 = this.tensor(inputs[1], true);
        const codec = this.codecOf('F2', this.trainerIn('F2', k, args.round));
        const req: PoolRequest = {
          task: 'part.backward',
          model: this.modelKey,
          part: roles.server,
          state: this.world.store.get(stateKey(k, roles.server, variant)),
          adam: this.adam,
          inputs: [f1],
          dOutputs: [g2],
          inputGrads: true,
          ...('spec' in codec ? { outputCodec: codec } : {}),
        };
        const n = f1.shape[0] as number;
        const codecCost = 'spec' in codec ? 3 * this.codecFlops('F2', g2.data.length, g2.shape[3] ?? 1) : 0;
        return { flops: 2 * part.forwardFlops(n) + ADAM_FLOPS_PER_PARAM * part.paramCount + codecCost, job: this.pooled(req) };
      }
      case 'be.train':
      case 's.train': {
        const name = task === 'be.train' ? (roles.back as PartName) : roles.server;
        const part = this.part(name);
        const owner = task === 'be.train' ? stateKey(k, name, variant) : stateKey(k, name, variant);
        const tensors =
          task === 'be.train' ? inputs.map((r) => this.tensor(r, true)) : [this.tensor(inputs[0], true)];
        const y = task === 'be.train' ? this.batch(k, args.round, args.step).y : this.labels(inputs[1]);
        const req: PoolRequest = {
          task: 'part.train',
          model: this.modelKey,
          part: name,
          state: this.world.store.get(owner),
          adam: this.adam,
          inputs: tensors,
          labels: y,
        };
        const n = tensors[0]?.shape[0] as number;
        const job = this.pooled(req).then((o) => {
          // Loss gates (ayad) decide on this batch's loss when its gradient is encoded.
          if (o.loss !== undefined) this.losses.set(k, { round: args.round, step: args.step, loss: o.loss });
          return o;
        });
        return { flops: 3 * part.forwardFlops(n) + ADAM_FLOPS_PER_PARAM * part.paramCount, job };
      }
      case 'encode': {
        const slot = args.slot ?? 'F1';
        const plan = this.plan(slot);
        const t = this.tensor(inputs[0], true);
        const elements = t.data.length;
        const channels = t.shape[t.shape.length - 1] ?? 1;
        if (plan.kind === 'lossGate') return this.gateEncode(plan, k, args, t);
        // Gradient codecs train on what they encode; feature codecs train in the backward pass.
        const trains = plan.kind === 'learned' && plan.role === 'gradient';
        const codec = this.codecOf(slot, trains ? k : undefined);
        if ('spec' in codec && trains && args.round < s.codec.warmupRounds) codec.passthrough = true;
        const label = 'spec' in codec && codec.passthrough ? 'none' : codecLabel(plan);
        const toBlob = (r: { bytes?: Uint8Array }): TaskOutcome => ({
          outputs: [{ kind: 'bytes', data: r.bytes as Uint8Array, rawBytes: elements * 4, codec: label }],
        });
        if (plan.kind === 'classic' && plan.errorFeedback === true) {
          const key = `${slot}/${k}/[${t.shape.join(',')}]`;
          const residual = this.residual(key, elements);
          // One encode per residual at a time, in start (= virtual) order, whichever worker runs it.
          const before = this.residualJobs.get(key) ?? Promise.resolve();
          const job = before.then(() => this.pool.run({ task: 'encode', codec: plan.options, tensor: t, residual })).then(toBlob);
          this.residualJobs.set(key, job.catch(() => undefined));
          return { flops: this.codecFlops(slot, elements, channels), job };
        }
        const req: PoolRequest =
          'spec' in codec
            ? { task: 'encode', codec: { name: 'none' }, learned: codec, tensor: t }
            : { task: 'encode', codec, tensor: t };
        return { flops: (trains ? 4 : 1) * this.codecFlops(slot, elements, channels), job: this.pool.run(req).then(toBlob) };
      }
      case 'decode': {
        const slot = args.slot ?? 'F1';
        const b = this.bytes(inputs[0]);
        const elements = b.rawBytes / 4;
        const codec = this.codecOf(slot);
        const req: PoolRequest = 'spec' in codec ? { task: 'decode', bytes: b.data, learned: codec } : { task: 'decode', bytes: b.data };
        const channels = 'spec' in codec ? codec.spec.channels : 1;
        return { flops: this.codecFlops(slot, elements, channels), job: this.pooled(req) };
      }
      case 'weights.pack':
      case 'global.pack': {
        const owner = task === 'global.pack' ? 'global' : k;
        const parts = roles.client.map((p) => this.world.store.get(stateKey(owner, p, variant)).params);
        const total = parts.reduce((a, p) => a + p.length, 0);
        const pack = (): TaskOutcome => {
          const flat = new Float32Array(total);
          let off = 0;
          for (const p of parts) {
            flat.set(p, off);
            off += p.length;
          }
          if (task === 'weights.pack') return { outputs: [this.weights.up(args.round, flat), ...this.codecUp(k, args.round)] };
          // The round's global is what a delta's receiver rebuilds (weightSync): the federator adopts it.
          const { global, blobs } = this.weights.pack(args.round, flat);
          if (this.weights.bits !== 32) this.unpackInto('global', global, roles.client, false);
          return { outputs: [...blobs, ...this.codecDown(args.round)] };
        };
        return { flops: total + this.codecElements(), job: this.afterJobsOf(actor, pack) };
      }
      case 'weights.load': {
        const ref = inputs[0];
        if (ref === undefined) throw new Error('weights.load: no weights blob');
        const b = this.blobs.get(ref.id);
        if (b.kind !== 'bytes') throw new Error(`weights.load: blob ${ref.id} is ${b.kind}`);
        // The round's weights are a shared buffer: read, not consumed.
        const flat = this.weights.read(b, args.round - 1);
        // A codec update (when the client's copy is behind): its client codecs restart from it; the
        // server's codecs (the rest) only decode, and stay in the global copy the client received.
        const codec = inputs[1] !== undefined ? this.readCodecUpdate(inputs[1], this.codecParts, args.round, false) : null;
        const load = (): TaskOutcome => {
          this.unpackInto(k, flat, this.world.roles.client, false);
          if (codec !== null) {
            this.world.clientCodecParts.forEach((p, i) => this.world.store.setParams(stateKey(k, p, variant), codec[i] as Float32Array));
          }
          return { outputs: [] };
        };
        return { flops: flat.length + (codec?.reduce((a, c) => a + c.length, 0) ?? 0), job: this.afterJobsOf(actor, load) };
      }
      case 'aggregate': {
        // Inputs: each participant's weights.up, then (in a codec sync round) each one's codec.up.
        const n = args.participants?.length ?? inputs.length;
        const updates = inputs.slice(0, n).map((r, i) => ({
          params: this.weights.read(this.bytes(r), args.round),
          samples: args.samples?.[i] ?? 1,
        }));
        const codecParts = this.upCodecParts(args.round);
        const codecUpdates = inputs.slice(n).map((r, i) => ({
          values: this.readCodecUpdate(r, codecParts, args.round, true),
          samples: args.samples?.[i] ?? 1,
        }));
        let flops = 0;
        if (updates.length > 0) {
          const avg = fedAvg(updates);
          this.unpackInto('global', avg, this.world.roles.client, false);
          flops = 2 * avg.length * updates.length;
        }
        codecParts.forEach((p, j) => {
          if (codecUpdates.length === 0) return;
          const avg = fedAvg(codecUpdates.map((u) => ({ params: u.values[j] as Float32Array, samples: u.samples })));
          this.world.store.setParams(stateKey('global', p, variant), avg);
          flops += 2 * avg.length * codecUpdates.length;
        });
        return { flops, job: Promise.resolve({ outputs: [] }) };
      }
      case 'm.aggregate': {
        const participants = args.participants ?? [];
        const flops = [roles.server, ...this.serverSynced(args.round)].reduce(
          (a, part) => a + 2 * this.world.store.get(stateKey('global', part, variant)).params.length * participants.length,
          0,
        );
        return { flops, job: this.afterJobsOf(actor, () => this.aggregateServer(participants, args.samples ?? [], args.round)) };
      }
    }
  }

  /** The split server's FedAvg of its copies (SFLV1) of M and of the codecs it trains; every copy restarts from it. */
  private aggregateServer(participants: readonly number[], samples: readonly number[], round: number): TaskOutcome {
    const s = this.world.scenario;
    const variant = s.protocol.variant;
    // A frozen codec's copies were not trained: the global one stays exactly as it is.
    // Between codec syncs each server copy of a codec trains on alone (codec.syncEvery).
    for (const part of [this.world.roles.server, ...this.serverSynced(round)]) {
      const globalKey = stateKey('global', part, variant);
      if (variant === 'sflv2') {
        this.world.store.setParams(globalKey, this.world.store.get(stateKey(0, part, variant)).params);
        continue;
      }
      if (participants.length > 0) {
        const avg = fedAvg(
          participants.map((c, i) => ({ params: this.world.store.get(stateKey(c, part, variant)).params, samples: samples[i] ?? 1 })),
        );
        this.world.store.setParams(globalKey, avg);
      }
      // Every copy restarts from the aggregate, participants or not.
      const global = this.world.store.get(globalKey).params;
      for (let c = 0; c < s.protocol.clients; c++) this.world.store.setParams(stateKey(c, part, variant), global);
    }
    return { outputs: [] };
  }

  /** The client codecs uploaded in `round` (codec.up): those that trained, in a sync round; none otherwise. */
  private upCodecParts(round: number): string[] {
    if (this.codecSync[round] !== true) return [];
    return this.world.clientCodecParts.filter((p) => !this.frozen(p, round));
  }

  /** The server codecs averaged at the end of `round`: those that trained, in a sync round. */
  private serverSynced(round: number): string[] {
    if (this.codecSync[round] !== true) return [];
    return this.world.serverCodecParts.filter((p) => !this.frozen(p, round));
  }

  private codecElements(): number {
    const variant = this.world.scenario.protocol.variant;
    return this.codecParts.reduce((a, p) => a + this.world.store.get(stateKey('global', p, variant)).params.length, 0);
  }

  /**
   * The codec forms `global.pack` offers for `round`: the round's synced version in full, then
   * (delta updates, after the first sync) its delta against the version before. None without
   * learned codecs. The federator sends each client the one it can use, or none if it is current.
   */
  private codecDown(round: number): Blob[] {
    if (this.codecParts.length === 0) return [];
    const version = this.codecVersion(codecVersionAt(this.codecSync, round));
    const elements = version.parts.reduce((a, p) => a + p.length, 0);
    const full = this.codecBlob(encodeUpdate(version.parts, 32), elements, false);
    return version.delta !== null ? [full, this.codecBlob(version.delta, elements, true)] : [full];
  }

  /** Client k's codec.up for `round` (a sync round): its trained codecs, in full or as deltas against the round's version. */
  private codecUp(k: number, round: number): Blob[] {
    const parts = this.upCodecParts(round);
    if (parts.length === 0) return [];
    const variant = this.world.scenario.protocol.variant;
    const values = parts.map((p) => this.world.store.get(stateKey(k, p, variant)).params);
    const elements = values.reduce((a, v) => a + v.length, 0);
    if (this.updateBits === 32) return [this.codecBlob(encodeUpdate(values, 32), elements, false)];
    const base = this.codecVersion(codecVersionAt(this.codecSync, round));
    const all = this.codecParts;
    const deltas = values.map((v, i) => subtract(v, base.parts[all.indexOf(parts[i] as string)] as Float32Array));
    return [this.codecBlob(encodeUpdate(deltas, this.updateBits), elements, true)];
  }

  /** Whether the codec state `codec/<slot>` no longer trains in `round`. */
  private frozen(part: string, round: number): boolean {
    const slot = part.slice('codec/'.length) as CodecSlot;
    return !codecTrains(this.plan(slot), round);
  }

  /** The error-feedback residual `key`, zeros at first (shared memory, updated in place by the pool). */
  private residual(key: string, elements: number): Float32Array {
    let r = this.residuals.get(key);
    if (r === undefined) {
      r = new Float32Array(new SharedArrayBuffer(elements * 4));
      this.residuals.set(key, r);
    }
    return r;
  }

  /**
   * A loss gate's encode (Ayad et al. 2021): the batch's gradient goes as fp32 when the sender's
   * training loss of that batch is above the threshold, else as a header-only `skipped` container
   * (its bytes are logged; the receiver runs no optimiser step for the batch).
   */
  private gateEncode(
    plan: Extract<SlotPlan, { kind: 'lossGate' }>,
    k: number,
    args: TaskArgs,
    t: TensorMsg,
  ): { flops: number; job: Promise<TaskOutcome> } {
    const rec = this.losses.get(k);
    if (rec === undefined || rec.round !== args.round || rec.step !== args.step) {
      throw new Error(`encode ${plan.slot}: no training loss of client-${k} for round ${args.round} step ${args.step} (the gate needs it)`);
    }
    const rawBytes = t.data.length * 4;
    if (rec.loss <= plan.threshold) {
      const blob: Blob = { kind: 'bytes', data: skippedContainer(t.shape), rawBytes, codec: SKIPPED_CODEC };
      return { flops: 1, job: Promise.resolve({ outputs: [blob] }) };
    }
    const job = this.pool.run({ task: 'encode', codec: { name: 'none' }, tensor: t }).then(
      (r): TaskOutcome => ({ outputs: [{ kind: 'bytes', data: r.bytes as Uint8Array, rawBytes, codec: codecLabel(plan) }] }),
    );
    return { flops: this.codecFlops(plan.slot, t.data.length, 1), job };
  }

  /** Splits a packed weight vector into the owner's `parts`; `allowRest` accepts trailing values. */
  private unpackInto(owner: 'global' | number, flat: Float32Array, parts: string[], allowRest: boolean): void {
    const variant = this.world.scenario.protocol.variant;
    let off = 0;
    for (const p of parts) {
      const key = stateKey(owner, p, variant);
      const n = this.world.store.get(key).params.length;
      if (off + n > flat.length) throw new Error(`weights: packed vector too short for ${key}`);
      this.world.store.setParams(key, flat.subarray(off, off + n));
      off += n;
    }
    if (off !== flat.length && !allowRest) throw new Error(`weights: packed vector has ${flat.length} values, parts need ${off}`);
  }
}
