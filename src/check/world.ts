/**
 * The checker's world: the real protocol machines (or a planted-bug variant) driven by the
 * simulation kernel of src/sim. Their effects go through the interpreter every world shares
 * (src/interpret), whose ports here are stand-in compute (standInTasks.ts), the faulty transport
 * and kernel timers; the schedule's faults are applied there, as in a simulated run. It records
 * a trace for the properties; it judges nothing itself. `step`, `crashClient`, `rejoinClient` and
 * `restartServer` are public so model-based tests can inject faults as commands.
 */
import { createHash } from 'node:crypto';
import { clientIndex, clientName } from '../actors/common.js';
import { EffectInterpreter, FaultPlan, type EffectPorts } from '../interpret/index.js';
import { blobOf, withBlob, type ActorEvent, type BlobRef, type Effect, type TaskName, type WireMessage } from '../protocol/index.js';
import { SimKernel } from '../sim/index.js';
import { BlobLedger } from './blobLedger.js';
import { lateness } from './lateness.js';
import { applyVariation } from './neighbourhood.js';
import { closeSlackS } from './settings.js';
import { StandInBlobs } from './standIn.js';
import { StandInTasks, type Slot } from './standInTasks.js';
import { FaultyTransport } from './transport.js';
import type { CheckSettings, FaultSchedule, Trace, TrafficEntry, TurnRecord } from './types.js';
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
  | { type: 'done'; actor: string; inc: number; taskId: number; task: TaskName; outputs: BlobRef[]; round: number; step: number }
  | { type: 'timer'; actor: string; inc: number; name: string; round: number; step: number }
  | { type: 'crash'; client: number; downS: number | null }
  | { type: 'rejoin'; client: number; inc: number };

/** Who performs an effect, and in reaction to what: the checker's context for the shared interpreter. */
interface Cause {
  slot: Slot;
  /** The message that caused it (its id), if a message did. */
  trigger: number | null;
  /** Every effect of the same reaction. */
  all: Effect[];
  event: ActorEvent;
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
  private readonly tasks: StandInTasks;
  private readonly interpreter: EffectInterpreter<Cause>;
  private readonly deadlineFired = new Set<number>();
  private events = 0;
  private finished = false;
  private stuck: string | null = null;

  constructor(scenario: CheckSettings, readonly schedule: FaultSchedule, options: WorldOptions = {}) {
    const settings = applyVariation(scenario, schedule.variation);
    this.settings = settings;
    // One fault plan for the transport (message faults) and the interpreter (stragglers, crashes, restarts).
    const faults = new FaultPlan(schedule);
    this.transport = new FaultyTransport(settings, schedule.runSeed, faults, (b) => this.blobs.info(b)?.tags ?? [], options.variant?.link);
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
      loads: [],
      turns: [],
      batches: [],
      crashed: [],
      serverRestarted: [],
    };
    this.tasks = new StandInTasks(settings, this.blobs, this.ledger, this.trace);
    this.interpreter = new EffectInterpreter(this.ports(), faults);
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
    this.tasks.endBatch(slot, 'abandoned', this.now);
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
    this.trace.serverRestarted.push({ inc: slot.inc, time: this.now });
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
    for (const slot of this.slots.values()) if (slot.batch !== null && this.over) this.tasks.endBatch(slot, 'abandoned', this.now);
    let hash: string | null = null;
    const trace = {
      ...this.trace,
      traffic,
      links: this.transport.linkBytes(),
      lifetimes: this.ledger.report((actor, inc) => {
        const slot = this.slots.get(actor);
        return slot?.ref != null && slot.inc === inc ? slot.ref.refersTo() : null;
      }),
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
    const slot: Slot = { name, ref: null, inc: 0, delivered: new Map(), round: -1, step: -1, closed: -1, loaded: null, stepsDone: 0, batch: null, heldRound: -1, codecVersion: 0 };
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
        ...(s.weightDeltas === true ? { weightDeltas: true } : {}),
        ...(s.codecSync !== undefined ? { codecSync: s.codecSync, clientCodecs: s.clientCodecs !== false } : {}),
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
        if (ev.type === 'done' && ev.task !== 'global.pack') this.ledger.produced(ev.actor, slot.inc, ev.task, ev.outputs, ev.round, ev.step);
        if (ev.type === 'done' && ev.task === 'global.pack') this.ledger.shared(ev.outputs.map((b) => b.id));
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
      if (entry.blob !== null && !isShared(msg)) this.ledger.lost(entry.blob);
      return;
    }
    this.transport.delivered(entry, this.now);
    const lateWhy = lateness(slot, msg);
    if (ev.to === 'federator' && (msg.kind === 'weights.up' || msg.kind === 'codec.up')) {
      const k = clientIndex(ev.from);
      const first = !this.trace.updateArrivals.some((u) => u.msgId === entry.msgId || (u.kind === msg.kind && u.round === msg.round && u.client === k));
      this.trace.updateArrivals.push({ kind: msg.kind, round: msg.round, client: k, msgId: entry.msgId, time: this.now, beforeDeadline: !this.deadlineFired.has(msg.round), first });
    }
    if (entry.blob !== null && !slot.delivered.has(entry.blob)) slot.delivered.set(entry.blob, entry.msgId);
    if (msg.kind === 'control' && ev.to === 'server') {
      // The checker's view of the server's rounds: opened by round.start, closed by aggregate.
      if (msg.control.op === 'round.start') slot.round = Math.max(slot.round, msg.round);
      if (msg.control.op === 'aggregate') slot.closed = Math.max(slot.closed, msg.round);
    }
    const record = { index: this.events, time: this.now, to: ev.to, inc: slot.inc, msgId: entry.msgId, seq: entry.seq, late: lateWhy !== null, lateWhy, sends: 0, computes: 0 };
    this.trace.deliveries.push(record);
    if (!slot.ref.active) return; // the federator finished: nothing listens
    if (entry.blob !== null && !isShared(msg)) this.ledger.delivered(ev.to, slot.inc, entry.blob, `${msg.kind}${entry.op ? ` ${entry.op}` : ''} #${entry.msgId} copy ${entry.copy} (round ${msg.round}, step ${entry.step})`);
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
    for (const e of effects) this.interpreter.perform(e, { slot, trigger, all: effects, event });
    return effects;
  }

  /** How the checker realises effects: the faulty transport, stand-in compute, kernel timers, the blob ledger, the trace. */
  private ports(): EffectPorts<Cause> {
    return {
      send: (e, { slot, event }) => this.send(slot, e, event),
      compute: (e, slowdown, { slot, trigger }) => {
        const outputs = this.tasks.start(slot, e, trigger, this.now, this.events);
        const s = this.settings;
        const base = slot.name === 'server' ? s.serverTaskS : slot.name === 'federator' ? s.federatorTaskS : s.clientTaskS;
        this.kernel.after(base * slowdown, { type: 'done', actor: e.actor, inc: slot.inc, taskId: e.taskId, task: e.task, outputs, round: e.args.round, step: e.args.step });
      },
      timer: (e, { slot }) => {
        this.kernel.after(e.delay, { type: 'timer', actor: e.actor, inc: slot.inc, name: e.name, round: e.round, step: e.step });
      },
      release: (e, { slot }) => this.ledger.released(slot.name, e.blobs, this.now),
      roundComplete: (e) => {
        this.trace.roundCompletes.push({ round: e.round, time: this.now, participants: [...e.participants] });
      },
      finished: () => {
        this.finished = true;
      },
      roundStarted: (round, deadlineS, { all }) => {
        this.slot('federator').round = round;
        const selected = all.flatMap((x) => (x.type === 'send' && x.msg.kind === 'weights.down' ? [clientIndex(x.to)] : []));
        this.trace.roundStarts.push({ round, time: this.now, deadline: this.now + deadlineS + closeSlackS(this.settings), selected });
      },
      crashLater: (client, atS, downS) => {
        this.kernel.after(atS, { type: 'crash', client, downS });
      },
      restartServer: () => this.restartServer(),
    };
  }

  /** A message leaves `slot`: the trace and ledger note it, the transport decides each copy's fate. */
  private send(slot: Slot, e: Extract<Effect, { type: 'send' }>, cause: ActorEvent): void {
    const now = this.now;
    if (e.msg.kind === 'features.s1' && slot.name.startsWith('client-')) slot.step = e.msg.step;
    // A batch is skipped when its client gives up on it (the abandon notice its step timer makes
    // it send), not when the timer merely fires: a client already decoding its reply ignores it.
    const b = slot.batch;
    // Only the batch's own step timer skips it: a timer left from an earlier batch must not.
    const ownTimer = cause.type === 'timer' && cause.name === 'step' && b !== null && cause.round === b.round && cause.step === b.step;
    if (e.msg.kind === 'control' && e.msg.control.op === 'abandon' && ownTimer && b.round === e.msg.round && b.step === e.msg.control.step && b.timerAt === null) b.timerAt = now;
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
        if (isShared(e.msg)) this.ledger.shared([clone.id]);
        msg = withBlob(e.msg, clone);
      }
      if (copy.arrival !== null) this.kernel.schedule(copy.arrival, { type: 'message', from: e.from, to: e.to, msg, entry: copy.entry });
      else if (copy.entry.blob !== null && !isShared(msg)) this.ledger.lost(copy.entry.blob);
    }
  }

  private turnGiven(slot: Slot, round: number, client: number, cause: ActorEvent): void {
    let c: TurnRecord['cause'];
    if (cause.type === 'message' && cause.msg.kind === 'control' && cause.msg.control.op === 'round.start') c = { type: 'round.start' };
    else if (cause.type === 'message' && cause.msg.kind === 'control' && cause.msg.control.op === 'turn.done') c = { type: 'turn.done', client: clientIndex(cause.from) };
    else if (cause.type === 'timer' && cause.name === 'turn') c = { type: 'timer', epoch: cause.step };
    else c = { type: 'other', what: cause.type === 'message' ? `a ${cause.msg.kind} message` : cause.type };
    this.trace.turns.push({ round, client, time: this.now, index: this.events, inc: slot.inc, cause: c });
  }
}

/**
 * A round's weights and codecs (weights.down, codec.down): one buffer every selected client reads,
 * which the simulation frees, not its receivers (src/run/messageNetwork.ts).
 */
function isShared(msg: WireMessage): boolean {
  return msg.kind === 'weights.down' || msg.kind === 'codec.down';
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
