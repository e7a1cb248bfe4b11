/**
 * The checker's world: the real protocol machines (or a planted-bug variant) driven by the
 * simulation kernel of src/sim, with stand-in compute and the faulty transport. It records a
 * trace for the properties; it judges nothing itself. `step`, `crashClient`, `rejoinClient` and
 * `restartServer` are public so model-based tests can inject faults as commands.
 */
import { createHash } from 'node:crypto';
import { clientIndex, clientName } from '../actors/common.js';
import type { ActorEvent, BlobRef, Effect, TaskName, WireMessage } from '../protocol/messages.js';
import { SimKernel } from '../sim/index.js';
import { BlobLedger } from './blobLedger.js';
import { lateness, type ActorView } from './lateness.js';
import { applyVariation } from './neighbourhood.js';
import { closeSlackS } from './settings.js';
import { IDENTITY_TASKS, StandInBlobs, fedAvgVectors, initialWeights, packedWeights, taskOutputs } from './standIn.js';
import { FaultyTransport } from './transport.js';
import type { BatchRecord, CheckSettings, FaultSchedule, Trace, TrafficEntry, TurnRecord } from './types.js';
import { REAL_PROTOCOL, variantActors, type CheckedActor, type ProtocolVariant, type ServerMode, type VariantActors } from './variant.js';

/** Options of a run. */
export interface WorldOptions {
  /** The protocol to run (default: the real one). */
  variant?: ProtocolVariant;
  /** Events after which an unfinished run counts as a livelock (default: from the settings). */
  maxEvents?: number;
  /** Run the split server as its machine or as its reaction function (default; same reactions, faster). */
  serverAs?: ServerMode;
}

type WorldEvent =
  | { type: 'start' }
  | { type: 'message'; from: string; to: string; msg: WireMessage; entry: TrafficEntry }
  | { type: 'done'; actor: string; inc: number; taskId: number; task: TaskName; outputs: BlobRef[] }
  | { type: 'timer'; actor: string; inc: number; name: string; round: number; step: number }
  | { type: 'crash'; client: number; downS: number | null }
  | { type: 'rejoin'; client: number; inc: number };

/** One actor's slot: its machine (null while crashed), incarnation, and what the checker saw it do. */
interface Slot extends ActorView {
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

export class ProtocolWorld {
  private readonly kernel = new SimKernel<WorldEvent>();
  private readonly transport: FaultyTransport;
  private readonly blobs = new StandInBlobs();
  private readonly outbox: Effect[] = [];
  private readonly actors: VariantActors;
  private readonly slots = new Map<string, Slot>();
  private readonly maxEvents: number;
  private readonly trace: Omit<Trace, 'traffic' | 'links' | 'trafficHash' | 'finished' | 'stuck' | 'events' | 'endTime' | 'lifetimes'>;
  private readonly ledger = new BlobLedger();
  readonly settings: CheckSettings;
  private global: number[] = initialWeights();
  private readonly deadlineFired = new Set<number>();
  private readonly roundsStarted = new Set<number>();
  /** Compute slowdown of client k in round r, keyed `k/r` (factors of one client and round multiply). */
  private readonly slowdown = new Map<string, number>();
  private events = 0;
  private finished = false;
  private stuck: string | null = null;

  constructor(scenario: CheckSettings, readonly schedule: FaultSchedule, options: WorldOptions = {}) {
    const settings = applyVariation(scenario, schedule.variation);
    this.settings = settings;
    this.transport = new FaultyTransport(settings, schedule, (b) => this.blobs.info(b)?.tags ?? []);
    this.actors = variantActors(options.variant ?? REAL_PROTOCOL, this.outbox, options.serverAs);
    const perRound = settings.steps.reduce((a, b) => a + b, 0) * 40 + settings.clients * 40;
    this.maxEvents = options.maxEvents ?? 4 * settings.rounds * perRound + 10_000;
    this.trace = {
      settings,
      schedule,
      deliveries: [],
      tasks: [],
      aggregates: [],
      serverAggregates: [],
      packs: [],
      globals: [],
      roundStarts: [],
      roundCompletes: [],
      updateArrivals: [],
      turns: [],
      batches: [],
      crashed: [],
    };
    for (const g of schedule.stragglers) this.slowdown.set(`${g.client}/${g.round}`, (this.slowdown.get(`${g.client}/${g.round}`) ?? 1) * g.factor);
    this.slots.set('federator', this.newSlot('federator'));
    this.slots.set('server', this.newSlot('server'));
    for (let k = 0; k < settings.clients; k++) this.slots.set(clientName(k), this.newSlot(clientName(k)));
    this.kernel.schedule(0, { type: 'start' });
  }

  /** Virtual time now. */
  get now(): number {
    return this.kernel.now;
  }

  /** True once the run can go no further: finished and drained, stuck, or out of events. */
  get over(): boolean {
    return this.stuck !== null || (this.finished && this.kernel.pending === 0) || this.events >= this.maxEvents;
  }

  /** Delivers the next instant's events; returns false when there was nothing to do. */
  step(): boolean {
    if (this.stuck !== null || this.events >= this.maxEvents) return false;
    const due = this.kernel.popDue();
    if (due === undefined) return false;
    for (const ev of due.events) {
      this.events++;
      try {
        this.handle(ev);
      } catch (err) {
        this.stuck = `error: ${err instanceof Error ? err.message : String(err)}`;
        return false;
      }
    }
    return true;
  }

  /** Runs until the federator finished and every message has landed, or the run is stuck. */
  run(): Trace {
    while (this.step());
    return this.result();
  }

  /** Runs until virtual time `t` (events at `t` included). */
  runUntil(t: number): void {
    for (;;) {
      const next = this.kernel.nextTime();
      if (next === undefined || next > t || !this.step()) return;
    }
  }

  /** Client k crashes now: its state is lost, messages to it are dropped; rejoins `downS` later (null: never). */
  crashClient(k: number, downS: number | null): void {
    const slot = this.slot(clientName(k));
    if (slot.ref === null) return;
    slot.ref.stop();
    slot.ref = null;
    this.endBatch(slot, 'abandoned');
    this.ledger.forget(slot.name);
    this.trace.crashed.push({ client: k, inc: slot.inc, time: this.now });
    slot.inc++;
    if (downS !== null) this.kernel.after(downS, { type: 'rejoin', client: k, inc: slot.inc });
  }

  /** A fresh client k starts (it waits for the next round's weights). */
  rejoinClient(k: number): void {
    const slot = this.slot(clientName(k));
    if (slot.ref !== null) return;
    Object.assign(slot, { round: -1, step: -1, loaded: null, stepsDone: 0, delivered: new Map(), batch: null });
    this.startMachine(slot);
  }

  /** The split server loses all state and starts afresh. Rounds the checker knows to be over stay over. */
  restartServer(): void {
    const slot = this.slot('server');
    slot.ref?.stop();
    this.ledger.forget(slot.name);
    slot.inc++;
    slot.delivered = new Map();
    this.startMachine(slot);
  }

  /** Whether client k is up. */
  isUp(k: number): boolean {
    return this.slot(clientName(k)).ref !== null;
  }

  /** The trace so far. */
  result(): Trace {
    let stuck = this.stuck;
    if (stuck === null && !this.finished) {
      const where = `federator in ${this.slot('federator').ref?.describe() ?? 'nothing'} at t=${this.now}`;
      if (this.events >= this.maxEvents) stuck = `livelock: ${this.events} events without finishing (${where})`;
      else if (this.kernel.pending === 0) stuck = `deadlock: nothing left to happen (${where})`;
    }
    const traffic = this.transport.traffic;
    for (const slot of this.slots.values()) if (slot.batch !== null && this.over) this.endBatch(slot, 'abandoned');
    let hash: string | null = null;
    const trace = {
      ...this.trace,
      traffic,
      links: this.transport.linkBytes(),
      lifetimes: this.ledger.report(),
      finished: this.finished,
      stuck,
      events: this.events,
      endTime: this.now,
      // Hashed on first use: only the determinism property needs it.
      get trafficHash(): string {
        hash ??= hashTraffic(traffic);
        return hash;
      },
    };
    return trace;
  }

  private slot(name: string): Slot {
    const s = this.slots.get(name);
    if (s === undefined) throw new Error(`check world: no actor "${name}"`);
    return s;
  }

  private newSlot(name: string): Slot {
    const slot: Slot = { name, ref: null, inc: 0, delivered: new Map(), round: -1, step: -1, closed: -1, loaded: null, stepsDone: 0, batch: null };
    this.startMachine(slot);
    return slot;
  }

  /** Creates and starts a fresh machine for `slot`. */
  private startMachine(slot: Slot): void {
    const s = this.settings;
    if (slot.name === 'federator') {
      slot.ref = this.actors.federator({
        clients: s.clients,
        clientsPerRound: s.clientsPerRound,
        rounds: s.rounds,
        roundDeadlineS: s.roundDeadlineS,
        seed: s.seed,
        ...(s.aggregateFirst !== undefined ? { aggregateFirst: s.aggregateFirst } : {}),
      });
    } else if (slot.name === 'server') {
      slot.ref = this.actors.server({ topology: s.topology, variant: s.variant, turnTimeoutS: s.turnTimeoutS });
    } else {
      const k = clientIndex(slot.name);
      slot.ref = this.actors.client({
        id: k,
        topology: s.topology,
        variant: s.variant,
        steps: s.steps[k] as number,
        samples: s.samples[k] as number,
        stepTimeoutS: s.stepTimeoutS,
      });
    }
  }

  private handle(ev: WorldEvent): void {
    switch (ev.type) {
      case 'start':
        this.deliver(this.slot('federator'), { type: 'start' }, null);
        return;
      case 'crash':
        this.crashClient(ev.client, ev.downS);
        return;
      case 'rejoin':
        // Only the crash that scheduled it ends with this rejoin (not a later crash of the same client).
        if (this.slot(clientName(ev.client)).inc === ev.inc) this.rejoinClient(ev.client);
        return;
      case 'done':
      case 'timer': {
        const slot = this.slot(ev.actor);
        if (slot.ref === null || slot.inc !== ev.inc || !slot.ref.active) return; // a crashed incarnation's work, or a finished actor
        if (ev.type === 'timer' && ev.actor === 'federator' && ev.name === 'deadline') this.deadlineFired.add(ev.round);
        const b = slot.batch;
        if (ev.type === 'timer' && ev.name === 'step' && b !== null && b.round === ev.round && b.step === ev.step && b.timerAt === null) b.timerAt = this.now;
        const event: ActorEvent =
          ev.type === 'done'
            ? { type: 'compute.done', taskId: ev.taskId, task: ev.task, outputs: ev.outputs, loss: 0.5 }
            : { type: 'timer', name: ev.name, round: ev.round, step: ev.step };
        this.deliver(slot, event, null);
        return;
      }
      case 'message':
        this.arrive(ev);
        return;
    }
  }

  private arrive(ev: Extract<WorldEvent, { type: 'message' }>): void {
    const slot = this.slot(ev.to);
    const { msg, entry } = ev;
    if (slot.ref === null) {
      this.transport.drop(entry, 'down');
      if (entry.blob !== null && msg.kind !== 'weights.down') this.ledger.lost(entry.blob);
      return;
    }
    this.transport.delivered(entry, this.now);
    const lateWhy = lateness(slot, msg);
    if (ev.to === 'federator' && msg.kind === 'weights.up') {
      const k = clientIndex(ev.from);
      const first = !this.trace.updateArrivals.some((u) => u.msgId === entry.msgId || (u.round === msg.round && u.client === k));
      this.trace.updateArrivals.push({ round: msg.round, client: k, msgId: entry.msgId, time: this.now, beforeDeadline: !this.deadlineFired.has(msg.round), first });
    }
    if (entry.blob !== null && !slot.delivered.has(entry.blob)) slot.delivered.set(entry.blob, entry.msgId);
    if (msg.kind === 'control' && ev.to === 'server') {
      // The checker's view of the server's rounds: opened by round.start, closed by aggregate.
      if (msg.control.op === 'round.start') slot.round = Math.max(slot.round, msg.round);
      if (msg.control.op === 'aggregate') slot.closed = Math.max(slot.closed, msg.round);
    }
    const record = { index: this.events, time: this.now, to: ev.to, msgId: entry.msgId, seq: entry.seq, late: lateWhy !== null, lateWhy, sends: 0, computes: 0 };
    this.trace.deliveries.push(record);
    if (!slot.ref.active) return; // the federator finished: nothing listens
    if (entry.blob !== null && msg.kind !== 'weights.down') this.ledger.delivered(ev.to, slot.inc, entry.blob, `${msg.kind}${entry.op ? ` ${entry.op}` : ''} #${entry.msgId} copy ${entry.copy} (round ${msg.round}, step ${entry.step})`);
    const b = slot.batch;
    if (b !== null && (msg.kind === 'features.s2' || msg.kind === 'gradients.s1') && msg.round === b.round && msg.step === b.step) b.replies.push({ kind: msg.kind, time: this.now });
    const effects = this.deliver(slot, { type: 'message', from: ev.from, msg }, entry.msgId);
    record.sends = effects.filter((e) => e.type === 'send').length;
    record.computes = effects.filter((e) => e.type === 'compute').length;
  }

  private deliver(slot: Slot, event: ActorEvent, trigger: number | null): Effect[] {
    const ref = slot.ref as CheckedActor;
    this.outbox.length = 0;
    ref.send(event);
    if (ref.error !== undefined) {
      const e = ref.error;
      throw new Error(`${slot.name} failed on ${event.type}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const effects = this.outbox.splice(0);
    for (const e of effects) this.perform(slot, e, trigger, effects, event);
    return effects;
  }

  private perform(slot: Slot, e: Effect, trigger: number | null, all: Effect[], cause: ActorEvent): void {
    const now = this.now;
    switch (e.type) {
      case 'send': {
        if (e.msg.kind === 'features.s1' && slot.name.startsWith('client-')) slot.step = e.msg.step;
        if (slot.name === 'server' && e.msg.kind === 'control' && e.msg.control.op === 'turn') this.turnGiven(slot, e.msg.round, clientIndex(e.to), cause);
        const sentBlob = blobOf(e.msg);
        if (sentBlob !== null) this.ledger.sent(slot.name, sentBlob.id, e.msg.kind, now);
        for (const copy of this.transport.send(e.from, e.to, e.msg, now)) {
          let msg = e.msg;
          if (copy.entry.copy > 0 && sentBlob !== null) {
            // A duplicate is a separate buffer, as on a real network: the receiver must free each copy it drops.
            const info = this.blobs.info(sentBlob.id);
            const clone = this.blobs.make(sentBlob.bytes, info ?? { msgs: [], tags: [], value: null });
            copy.entry.blob = clone.id;
            msg = withBlob(e.msg, clone);
          }
          if (copy.arrival !== null) this.kernel.schedule(copy.arrival, { type: 'message', from: e.from, to: e.to, msg, entry: copy.entry });
          else if (copy.entry.blob !== null && msg.kind !== 'weights.down') this.ledger.lost(copy.entry.blob);
        }
        return;
      }
      case 'compute':
        this.startTask(slot, e, trigger);
        return;
      case 'timer':
        if (e.actor === 'federator' && e.name === 'deadline') this.roundStarted(e.round, now, e.delay, all);
        this.kernel.after(e.delay, { type: 'timer', actor: e.actor, inc: slot.inc, name: e.name, round: e.round, step: e.step });
        return;
      case 'round.complete':
        this.trace.roundCompletes.push({ round: e.round, time: now, participants: [...e.participants] });
        if (this.schedule.serverRestarts.includes(e.round)) this.restartServer();
        return;
      case 'finished':
        this.finished = true;
        return;
      case 'release':
        this.ledger.released(slot.name, e.blobs, now);
        return;
    }
  }

  private turnGiven(slot: Slot, round: number, client: number, cause: ActorEvent): void {
    let c: TurnRecord['cause'];
    if (cause.type === 'message' && cause.msg.kind === 'control' && cause.msg.control.op === 'round.start') c = { type: 'round.start' };
    else if (cause.type === 'message' && cause.msg.kind === 'control' && cause.msg.control.op === 'turn.done') c = { type: 'turn.done', client: clientIndex(cause.from) };
    else if (cause.type === 'timer' && cause.name === 'turn') c = { type: 'timer', epoch: cause.step };
    else c = { type: 'other', what: cause.type === 'message' ? `a ${cause.msg.kind} message` : cause.type };
    this.trace.turns.push({ round, client, time: this.now, inc: slot.inc, cause: c });
  }

  /** Closes the client's open batch: trained if FE backward ran, else skipped if its step timer fired, else `otherwise`. */
  private endBatch(slot: Slot, otherwise: 'abandoned' | 'lost'): void {
    const b = slot.batch;
    if (b === null) return;
    slot.batch = null;
    if (b.end === 'trained') return;
    const { timerAt, ...rec } = b;
    rec.end = timerAt !== null ? 'skipped' : otherwise;
    rec.endTime = timerAt ?? this.now;
    Object.assign(b, rec);
  }

  private roundStarted(round: number, now: number, deadlineS: number, effects: Effect[]): void {
    if (this.roundsStarted.has(round)) return;
    this.roundsStarted.add(round);
    this.slot('federator').round = round;
    const selected = effects.flatMap((x) => (x.type === 'send' && x.msg.kind === 'weights.down' ? [clientIndex(x.to)] : []));
    this.trace.roundStarts.push({ round, time: now, deadline: now + deadlineS + closeSlackS(this.settings), selected });
    for (const c of this.schedule.crashes) {
      if (c.round !== round) continue;
      for (const k of c.clients) this.kernel.after(c.atS, { type: 'crash', client: k, downS: c.downS });
    }
  }

  /** Follows a client's batches through its tasks: fe.forward opens one, fe.backward trains it, the next batch, a pack or a load closes it. */
  private batchTask(slot: Slot, task: TaskName, round: number, step: number): void {
    if (task === 'fe.forward') {
      this.endBatch(slot, 'lost');
      const b = { client: clientIndex(slot.name), inc: slot.inc, round, step, start: this.now, end: null, endTime: null, replies: [], timerAt: null };
      slot.batch = b;
      this.trace.batches.push(b);
    } else if (task === 'fe.backward') {
      const b = slot.batch;
      if (b !== null && b.round === round && b.step === step && b.end === null) Object.assign(b, { end: 'trained', endTime: this.now });
    } else if (task === 'weights.pack') {
      this.endBatch(slot, 'lost');
    } else if (task === 'weights.load') {
      this.endBatch(slot, 'abandoned');
    }
  }

  private startTask(slot: Slot, e: Extract<Effect, { type: 'compute' }>, trigger: number | null): void {
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
    this.trace.tasks.push({ index: this.events, time: this.now, actor: e.actor, inc: slot.inc, task: e.task, client: k, round: a.round, step: a.step, ancestry: msgs, tags });
    this.ledger.task(slot.name, e.task, a.inputs ?? [], this.now);
    if (slot.name.startsWith('client-')) this.batchTask(slot, e.task, a.round, a.step);
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
        this.trace.aggregates.push({ round: a.round, time: this.now, participants: [...(a.participants ?? [])], samples: [...(a.samples ?? [])], result: [...this.global] });
        break;
      }
      case 'm.aggregate':
        this.trace.serverAggregates.push({ round: a.round, time: this.now, participants: [...(a.participants ?? [])], samples: [...(a.samples ?? [])] });
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
    const straggle = slot.name.startsWith('client-') ? (this.slowdown.get(`${k}/${a.round}`) ?? 1) : 1;
    const base = slot.name === 'server' ? s.serverTaskS : slot.name === 'federator' ? s.federatorTaskS : s.clientTaskS;
    this.kernel.after(base * straggle, { type: 'done', actor: e.actor, inc: slot.inc, taskId: e.taskId, task: e.task, outputs });
  }
}

/** The blob a message carries (its payload, or the labels of a labels op), if any. */
function blobOf(msg: WireMessage): BlobRef | null {
  if ('blob' in msg) return msg.blob;
  return msg.kind === 'control' && msg.control.op === 'labels' ? msg.control.blob : null;
}

/** `msg` carrying `blob` instead of its own buffer. */
function withBlob(msg: WireMessage, blob: BlobRef): WireMessage {
  if ('blob' in msg) return { ...msg, blob } as WireMessage;
  if (msg.kind === 'control' && msg.control.op === 'labels') return { ...msg, control: { ...msg.control, blob } };
  return msg;
}

/** sha256 of a traffic log written as NDJSON. */
export function hashTraffic(traffic: readonly TrafficEntry[]): string {
  const hash = createHash('sha256');
  for (const e of traffic) hash.update(`${JSON.stringify(e)}\n`);
  return hash.digest('hex');
}

/** Runs the protocol once under `schedule` and returns its trace. */
export function runSchedule(settings: CheckSettings, schedule: FaultSchedule, options: WorldOptions = {}): Trace {
  return new ProtocolWorld(settings, schedule, options).run();
}
