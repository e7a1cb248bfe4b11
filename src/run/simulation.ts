/**
 * One simulated run: the kernel owns virtual time; actors (in host threads) react to one
 * instant's events at a time and ask for effects; messages cross the network model; compute
 * runs for real on the pool while its duration comes from the cost model. Time advances only
 * when every host has answered and every task due at the next instant has really finished
 * (conservative synchronisation).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActorHost, type Addressed } from '../actors/host.js';
import { RemoteHost } from '../actors/remoteHost.js';
import { clientIndex } from '../actors/common.js';
import { BlobStore, type Blob } from '../compute/blobStore.js';
import { ComputePool } from '../compute/pool.js';
import type { ActorEvent, BlobRef, Effect, TaskName, WireMessage } from '../protocol/messages.js';
import type { Scenario } from '../scenario/schema.js';
import { SimKernel } from '../sim/kernel.js';
import type { CodecOptions } from '../codecs/types.js';
import type { LearnedRef } from '../compute/types.js';
import { wallSeconds } from '../sim/wallClock.js';
import type { Device } from '../sim/cost.js';
import type { Delivery } from '../sim/link.js';
import { evaluateModel, type Evaluation } from './evaluate.js';
import { TaskRunner, type TaskOutcome } from './taskRunner.js';
import { TimelineLog, TrafficLog, TrafficTotals, type TrafficRecord } from './trafficLog.js';
import { buildWorld, stateKey, type World } from './world.js';
import { buildSummary, type RoundRecord, type RunSummary } from './summary.js';

type SimEvent =
  | { type: 'deliver'; to: string; event: ActorEvent }
  | { type: 'done'; actor: string; taskId: number; task: TaskName; job: Promise<TaskOutcome> }
  | { type: 'net' };

/** A message handed to the network, until its fate is logged. */
interface SentMessage {
  seq: number;
  from: string;
  to: string;
  msg: WireMessage;
  step: number;
  codec: string;
  raw: number;
  wire: number;
  now: number;
  labelBlob: BlobRef | null;
  /** The client end was offline or had crashed: the message is lost whatever the network does. */
  clientGone: boolean;
}

/** Progress reported while a run goes on. */
export interface Progress {
  round: number;
  rounds: number;
  simulatedSeconds: number;
  wallSeconds: number;
  stepsDone: number;
  stepsTotal: number;
  lastRound?: RoundRecord;
}

export interface RunOptions {
  /** Folder for traffic.ndjson, timeline.ndjson and summary.json; null writes nothing. */
  outDir: string | null;
  onProgress?: (p: Progress) => void;
  /** Run actors in this thread instead of host workers (tests). */
  inProcessActors?: boolean;
}

/** What a finished run hands back besides its files. */
export interface RunResult {
  summary: RunSummary;
  /** Sum of byteLength of every buffer handed to the network, by kind (the traffic log must match). */
  sentBufferBytes: Record<string, number>;
  poolBusySeconds: number;
}

interface Host {
  deliver(batch: Addressed[]): Promise<Effect[]> | Effect[];
  close?(): Promise<void>;
}

export async function runScenario(s: Scenario, options: RunOptions): Promise<RunResult> {
  const wall0 = wallSeconds();
  if (options.outDir !== null) mkdirSync(options.outDir, { recursive: true });
  const world = await buildWorld(s);
  const pool = new ComputePool({ threads: s.compute.workers, backend: s.compute.backend });
  const hosts: Host[] = [];
  try {
    const backend = await pool.warmUp();
    // Actors spread over hosts; federator and server live on host 0.
    const hostCount = options.inProcessActors ? 1 : Math.min(s.compute.actorHosts, world.actors.length);
    const placement = new Map<string, number>();
    const specsPerHost: (typeof world.actors)[] = Array.from({ length: hostCount }, () => []);
    world.actors.forEach((a, i) => {
      const h = i < 2 ? 0 : i % hostCount;
      placement.set(a.id, h);
      specsPerHost[h]?.push(a);
    });
    for (let h = 0; h < hostCount; h++) {
      if (options.inProcessActors) {
        const local = new ActorHost();
        local.init(specsPerHost[h] ?? []);
        hosts.push(local);
      } else {
        const remote = new RemoteHost();
        await remote.init(specsPerHost[h] ?? []);
        hosts.push(remote);
      }
    }
    const sim = new Simulation(world, pool, hosts, placement, options, backend, wall0);
    return await sim.run();
  } finally {
    await Promise.all(hosts.map((h) => h.close?.()));
    await pool.close();
  }
}

class Simulation {
  private readonly kernel = new SimKernel<SimEvent>();
  private readonly blobs = new BlobStore();
  private readonly tasks: TaskRunner;
  private readonly traffic: TrafficLog;
  private readonly timeline: TimelineLog;
  private readonly totals = new TrafficTotals();
  private readonly sentBufferBytes: Record<string, number> = {};
  private readonly rounds: RoundRecord[] = [];
  private readonly evaluations: Promise<void>[] = [];
  private readonly lossByRound = new Map<number, { sum: number; n: number }>();
  private seq = 0;
  private finished = false;
  private stepsDone = 0;
  private readonly stepsTotal: number;
  private globalBlobs: number[][] = [];

  constructor(
    private readonly world: World,
    private readonly pool: ComputePool,
    private readonly hosts: Host[],
    private readonly placement: Map<string, number>,
    private readonly options: RunOptions,
    private readonly backend: string,
    private readonly wall0: number,
  ) {
    this.tasks = new TaskRunner(world, pool, this.blobs);
    const dir = options.outDir;
    this.traffic = new TrafficLog(dir === null ? null : join(dir, 'traffic.ndjson'));
    this.timeline = new TimelineLog(dir === null ? null : join(dir, 'timeline.ndjson'));
    const perRound = world.steps.reduce((a, b) => a + b, 0);
    this.stepsTotal = perRound * world.scenario.protocol.rounds;
  }

  async run(): Promise<RunResult> {
    const s = this.world.scenario;
    this.kernel.schedule(0, { type: 'deliver', to: 'federator', event: { type: 'start' } });
    try {
      while (!this.finished) {
        const due = this.kernel.popDue();
        if (due === undefined) throw new Error(`simulation stalled at t=${this.kernel.now}s: no event pending and the federator has not finished`);
        await this.instant(due.events);
      }
      this.drainNetwork();
      await Promise.all(this.evaluations);
    } finally {
      this.traffic.close();
      this.timeline.close();
    }
    this.rounds.sort((a, b) => a.round - b.round);
    const summary = buildSummary({
      codecs: this.world.codecs,
      scenario: s,
      backend: this.backend,
      rounds: this.rounds,
      totals: this.totals,
      simulatedSeconds: this.kernel.now,
      wallSeconds: wallSeconds() - this.wall0,
      poolBusySeconds: this.pool.busySeconds,
      clients: this.world.scenario.protocol.clients,
      clientSamples: this.world.data.clientIndices.map((idx) => idx.length),
    });
    if (this.options.outDir !== null) {
      const file = join(this.options.outDir, 'summary.json');
      writeFileSync(`${file}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
      renameSync(`${file}.tmp`, file);
    }
    return { summary, sentBufferBytes: this.sentBufferBytes, poolBusySeconds: this.pool.busySeconds };
  }

  /** One instant: finish its tasks, deliver its events to the hosts, perform the effects. */
  private async instant(events: SimEvent[]): Promise<void> {
    const batches: Addressed[][] = this.hosts.map(() => []);
    for (const ev of events) {
      if (ev.type === 'net') {
        this.networkWake();
        continue;
      }
      let addressed: Addressed;
      if (ev.type === 'deliver') {
        addressed = { to: ev.to, event: ev.event };
      } else {
        const outcome = await ev.job;
        const refs: BlobRef[] = outcome.outputs.map((b) => this.blobs.put(b));
        const done: ActorEvent =
          outcome.loss !== undefined
            ? { type: 'compute.done', taskId: ev.taskId, task: ev.task, outputs: refs, loss: outcome.loss }
            : { type: 'compute.done', taskId: ev.taskId, task: ev.task, outputs: refs };
        if (ev.task === 'fe.backward') this.stepsDone += 1;
        if (ev.task === 'global.pack') {
          // Every client loads the round's weights buffer without consuming it; the one of two
          // rounds ago can no longer be asked for, so free it then.
          // (With learned codecs the pack also holds the codecs, in full and as a delta: same fate.)
          this.globalBlobs.push(refs.map((r) => r.id));
          if (this.globalBlobs.length > 2) this.blobs.release(this.globalBlobs.shift() as number[]);
        }
        addressed = { to: ev.actor, event: done };
      }
      batches[this.placement.get(addressed.to) ?? 0]?.push(addressed);
    }
    const replies = await Promise.all(this.hosts.map((h, i) => ((batches[i]?.length ?? 0) > 0 ? h.deliver(batches[i] as Addressed[]) : [])));
    for (const effects of replies) for (const e of effects) this.perform(e);
  }

  private perform(e: Effect): void {
    const now = this.kernel.now;
    switch (e.type) {
      case 'send':
        this.send(e.from, e.to, e.msg);
        break;
      case 'compute': {
        const { flops, job } = this.tasks.start(e.actor, e.task, e.args);
        if (e.task === 'be.train' || e.task === 's.train') {
          void job.then((o) => {
            if (o.loss === undefined) return;
            const l = this.lossByRound.get(e.args.round) ?? { sum: 0, n: 0 };
            l.sum += o.loss;
            l.n += 1;
            this.lossByRound.set(e.args.round, l);
          });
        }
        const device = this.deviceOf(e.actor);
        const r = device.reserve(now, flops);
        this.timeline.append({
          round: e.args.round,
          step: e.args.step,
          actor: e.actor,
          task: e.task,
          device: device.profile.name,
          start: r.start,
          end: r.end,
          flops,
        });
        this.kernel.schedule(r.end, { type: 'done', actor: e.actor, taskId: e.taskId, task: e.task, job });
        break;
      }
      case 'timer':
        this.kernel.schedule(now + e.delay, {
          type: 'deliver',
          to: e.actor,
          event: { type: 'timer', name: e.name, round: e.round, step: e.step },
        });
        break;
      case 'release':
        this.blobs.release(e.blobs);
        break;
      case 'round.complete':
        this.roundComplete(e.round, e.participants);
        break;
      case 'finished':
        this.finished = true;
        break;
    }
  }

  private deviceOf(actor: string): Device {
    if (actor === 'server') return this.world.serverDevice;
    if (actor === 'federator') return this.world.federatorDevice;
    return this.world.clientDevices[clientIndex(actor)] as Device;
  }

  /** Puts a message on the network: real bytes, a delivery time or a drop, one log line. */
  private send(from: string, to: string, msg: WireMessage): void {
    const now = this.kernel.now;
    let wire: number;
    let raw: number;
    let codec: string;
    let labelBlob: BlobRef | null = null;
    if (msg.kind === 'control') {
      // Control ops travel as small JSON buffers; the labels op carries the label bytes too.
      const { blob, ...rest } = msg.control as { blob?: BlobRef };
      const header = Buffer.from(JSON.stringify({ round: msg.round, ...rest }));
      labelBlob = blob ?? null;
      wire = header.byteLength + (labelBlob ? this.blobs.get(labelBlob.id).data.byteLength : 0);
      raw = wire;
      codec = 'none';
    } else {
      const b: Blob = this.blobs.get(msg.blob.id);
      wire = b.data.byteLength;
      raw = b.kind === 'bytes' ? b.rawBytes : wire;
      codec = b.kind === 'bytes' ? b.codec : 'none';
    }
    this.sentBufferBytes[msg.kind] = (this.sentBufferBytes[msg.kind] ?? 0) + wire;
    const k = from.startsWith('client-') ? clientIndex(from) : clientIndex(to);
    const step = 'step' in msg ? msg.step : msg.kind === 'control' && (msg.control.op === 'labels' || msg.control.op === 'abandon') ? msg.control.step : -1;
    // Offline (dropout, schedule) or crashed before this step: nothing reaches or leaves the client.
    const clientGone = k >= 0 && !this.clientReachable(k, msg, step, now);
    const reliable = msg.kind === 'control' || msg.kind.startsWith('weights.') || msg.kind.startsWith('codec.');
    if (msg.kind === 'control' && msg.control.op === 'abandon') this.totals.abandon(k, msg.round, msg.control.step);
    const sent: SentMessage = { seq: this.seq++, from, to, msg, step, codec, raw, wire, now, labelBlob, clientGone };
    if (k >= 0 && this.world.network.isFlowModel) {
      // Flow model: the delivery is decided when the flow completes (see networkWake).
      this.netInFlight.set(sent.seq, sent);
      this.world.network.startTransfer(from, to, wire, now, reliable ? { reliable: true } : undefined, sent.seq);
      this.scheduleNetworkWake();
      return;
    }
    const d =
      k < 0
        ? this.world.backbone.transmit(wire, now)
        : this.world.network.send(from, to, wire, now, reliable ? { reliable: true } : undefined);
    this.settleMessage(sent, d);
  }

  // --- network helpers (flow model: wake-ups, in-order logging) ---------------------------------
  private readonly netInFlight = new Map<number, SentMessage>();
  /** Logged records waiting for an earlier seq (flow model: fates are decided out of send order). */
  private readonly logWaiting = new Map<number, TrafficRecord>();
  private logNext = 0;
  private netWake: { at: number; seq: number } | null = null;

  /** Whether client k can exchange `msg` at `now` (weights.up counts as after its last step). */
  private clientReachable(k: number, msg: WireMessage, step: number, now: number): boolean {
    const steps = this.world.steps[k] ?? 0;
    const afterSteps = msg.kind === 'weights.up' || msg.kind === 'codec.up';
    return this.world.availability.canExchange(k, msg.round, afterSteps ? steps : step, steps, now);
  }

  /** Logs a message's fate and schedules its delivery (or frees its bytes when dropped). */
  private settleMessage(m: SentMessage, d: Delivery): void {
    const dropped = d.dropped || m.clientGone;
    const record: TrafficRecord = {
      seq: m.seq,
      round: m.msg.round,
      step: m.step,
      src: m.from,
      dst: m.to,
      kind: m.msg.kind,
      codec: m.codec,
      rawBytes: m.raw,
      wireBytes: m.wire,
      sendTime: m.now,
      recvTime: dropped ? null : d.arrivalTime,
      retransmissions: d.retransmissions,
      dropped,
    };
    this.logWaiting.set(record.seq, record);
    // Bounded by the records waiting: each pass writes one.
    for (let r = this.logWaiting.get(this.logNext); r !== undefined; r = this.logWaiting.get(this.logNext)) {
      this.traffic.append(r);
      this.totals.add(r);
      this.logWaiting.delete(this.logNext);
      this.logNext++;
    }
    if (dropped) {
      // A lost message's bytes are freed, except the round's shared weights buffer.
      if (m.msg.kind !== 'weights.down' && m.msg.kind !== 'codec.down' && 'blob' in m.msg) this.blobs.release([m.msg.blob.id]);
      if (m.labelBlob) this.blobs.release([m.labelBlob.id]);
      return;
    }
    this.kernel.schedule(d.arrivalTime as number, { type: 'deliver', to: m.to, event: { type: 'message', from: m.from, msg: m.msg } });
  }

  /** Makes sure a 'net' event is pending at the network's next event time (earlier ones win). */
  private scheduleNetworkWake(): void {
    const t = this.world.network.nextEventTime();
    if (t === undefined) return;
    const at = Math.max(t, this.kernel.now);
    if (this.netWake !== null && this.netWake.at <= at) return;
    if (this.netWake !== null) this.kernel.cancel(this.netWake.seq);
    this.netWake = { at, seq: this.kernel.schedule(at, { type: 'net' }) };
  }

  /** A 'net' event: settles the flows completed by now, then re-arms for the next one. */
  private networkWake(): void {
    this.netWake = null;
    for (const c of this.world.network.advanceTo(this.kernel.now)) {
      const m = this.netInFlight.get(c.tag) as SentMessage;
      this.netInFlight.delete(c.tag);
      this.settleMessage(m, c.delivery);
    }
    this.scheduleNetworkWake();
  }

  /** End of run: decides what is still in flight (as if the network ran on), so the log is complete. */
  private drainNetwork(): void {
    if (this.netWake !== null) this.kernel.cancel(this.netWake.seq);
    this.netWake = null;
    for (const c of this.world.network.advanceTo(Infinity)) {
      const m = this.netInFlight.get(c.tag) as SentMessage;
      this.netInFlight.delete(c.tag);
      this.settleMessage(m, c.delivery);
    }
  }

  private roundComplete(round: number, participants: number[]): void {
    const s = this.world.scenario;
    const simulatedSeconds = this.kernel.now;
    const variant = s.protocol.variant;
    const roles = this.world.roles;
    const params: Record<string, Float32Array> = {};
    for (const p of [...roles.client, roles.server]) params[p] = this.world.store.snapshot(stateKey('global', p, variant));
    const loss = this.lossByRound.get(round);
    const record: RoundRecord = {
      round,
      meanIoU: null,
      meanDice: null,
      loss: loss && loss.n > 0 ? loss.sum / loss.n : null,
      simulatedSeconds,
      participants: participants.length,
      dropped: [],
      iou: [],
      dice: [],
    };
    const selectedAll = Array.from({ length: s.protocol.clients }, (_, k) => k);
    record.dropped = selectedAll.filter((k) => !participants.includes(k));
    this.rounds.push(record);
    const last = round === s.protocol.rounds - 1;
    const progress = (): void =>
      this.options.onProgress?.({
        round,
        rounds: s.protocol.rounds,
        simulatedSeconds,
        wallSeconds: wallSeconds() - this.wall0,
        stepsDone: this.stepsDone,
        stepsTotal: this.stepsTotal,
        lastRound: record,
      });
    if (last || (round + 1) % s.evaluation.every === 0) {
      const ev = evaluateModel(
        this.pool,
        { config: this.world.model.config, topology: this.world.model.topology },
        params,
        this.world.data.test,
        { F1: snapshotCodec(this.tasks.codecOf('F1')), F2: snapshotCodec(this.tasks.codecOf('F2')) },
      ).then((m: Evaluation) => {
        record.meanIoU = m.meanIoU;
        record.meanDice = m.meanDice;
        record.iou = m.iou;
        record.dice = m.dice;
        progress();
      });
      this.evaluations.push(ev);
    } else {
      progress();
    }
  }
}

/** A learned codec's global parameters change at the next aggregation: evaluate on a copy. */
function snapshotCodec(c: CodecOptions | LearnedRef): CodecOptions | LearnedRef {
  return 'spec' in c ? { spec: c.spec, params: c.params.slice(), normalize: c.normalize } : c;
}
