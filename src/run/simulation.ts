/**
 * One simulated run: the kernel owns virtual time; actors (in host threads) react to one
 * instant's events at a time and ask for effects; messages cross the network model; compute
 * runs for real on the pool while its duration comes from the cost model. Time advances only
 * when every host has answered and every task due at the next instant has really finished
 * (conservative synchronisation).
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
import { describeData, evaluateModel, type DataInfo, type Evaluation } from './evaluate.js';
import { PREDICTION_IMAGES, writePredictions } from './predictions.js';
import { TaskRunner, type TaskOutcome } from './taskRunner.js';
import { TimelineLog, TrafficLog, TrafficTotals, type TrafficRecord } from './trafficLog.js';
import { buildWorld, stateKey, type World } from './world.js';
import { buildSummary, type RoundRecord, type RunSummary } from './summary.js';
import { capacityWarnings, roundFloor, runWarnings } from './warnings.js';
import { fsyncPath, loadCheckpoint, saveCheckpoint, saveScenario, truncateLog, type Checkpoint } from './checkpoint.js';
import { captureState, restoreState, type GraftOptions } from './stateGraft.js';
import { runIdOf } from './outputDir.js';

type SimEvent =
  | { type: 'deliver'; to: string; event: ActorEvent; seq?: number }
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
  /** Called before the run starts for each warning the scenario alone gives (links too slow for a round). */
  onWarning?: (message: string) => void;
  /** Called once the data is loaded, before training: the labels as read, notices, the trivial score. */
  onData?: (info: DataInfo) => void;
  /** Called after every training step (for a progress bar; `lastRound` unset). */
  onStep?: (p: Progress) => void;
  /** Aborting it stops the run at the next instant: logs flushed, summary `status: "interrupted"`. */
  signal?: AbortSignal;
  /** The run id written into every file (default: runIdOf(scenario)). */
  runId?: string;
  /** Run actors in this thread instead of host workers (tests). */
  inProcessActors?: boolean;
  /**
   * Continue the run in `outDir` from its last checkpoint (checkpoint.ts) instead of starting:
   * its logs are cut back to the checkpoint and the remaining rounds appended. The scenario
   * must be the one saved in the folder (`loadSavedScenario`).
   */
  resume?: boolean;
  /** A pool to use (and leave open) instead of starting one: tests that run many short runs. Its workers hold no run state. */
  pool?: ComputePool;
  /** Tests: stop as a kill would, after this many instants of this process (throws {@link RunStopped}). */
  stopAfterInstants?: number;
  /** Tests: stop as a kill would, right after this process's n-th checkpoint is saved (a kill between rounds). */
  stopAfterCheckpoints?: number;
}

/** Thrown when a run stops at `stopAfterInstants` (tests of checkpoint and resume). */
export class RunStopped extends Error {
  constructor(readonly instants: number) {
    super(`run stopped after ${instants} instants (stopAfterInstants or stopAfterCheckpoints)`);
  }
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
  snapshot(): Promise<Record<string, unknown>> | Record<string, unknown>;
  close?(): Promise<void>;
}

export async function runScenario(s: Scenario, options: RunOptions): Promise<RunResult> {
  const wall0 = wallSeconds();
  let checkpoint: Checkpoint | null = null;
  if (options.resume === true) {
    if (options.outDir === null) throw new Error('resume: needs the run folder (outDir), got null');
    checkpoint = loadCheckpoint(options.outDir);
    if (checkpoint === null) throw new Error(`--resume ${options.outDir}: must be a run folder with a checkpoint, got none`);
    truncateLog(join(options.outDir, 'traffic.ndjson'), checkpoint.trafficBytes);
    truncateLog(join(options.outDir, 'timeline.ndjson'), checkpoint.timelineBytes);
  } else if (options.outDir !== null) {
    mkdirSync(options.outDir, { recursive: true });
    saveScenario(options.outDir, s);
  }
  const world = await buildWorld(s);
  const before = capacityWarnings(s, roundFloor(world));
  for (const w of before) options.onWarning?.(w);
  const dataInfo = describeData(s, world.data);
  options.onData?.(dataInfo);
  const pool = options.pool ?? new ComputePool({ threads: s.compute.workers, backend: s.compute.backend });
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
        local.init(specsPerHost[h] ?? [], checkpoint?.actors);
        hosts.push(local);
      } else {
        const remote = new RemoteHost();
        await remote.init(specsPerHost[h] ?? [], checkpoint?.actors);
        hosts.push(remote);
      }
    }
    const sim = new Simulation(world, pool, hosts, placement, options, backend, wall0, before, dataInfo, checkpoint);
    return await sim.run();
  } finally {
    await Promise.all(hosts.map((h) => h.close?.()));
    if (options.pool === undefined) await pool.close();
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
  /** Training losses by round, with their start order: summed in that order, whatever order the pool finished them in. */
  private readonly lossByRound = new Map<number, { order: number; loss: number }[]>();
  private lossOrder = 0;
  private seq = 0;
  private finished = false;
  private stepsDone = 0;
  private readonly stepsTotal: number;
  private globalBlobs: number[][] = [];
  /** Instants run by this process (not saved: stopAfterInstants counts from the start or resume). */
  private instants = 0;
  private checkpoints = 0;
  /** A round completed in the instant just run: checkpoint after it. */
  private roundEnded = false;
  /** Pool busy seconds before a resume (wall time, carried over). */
  private readonly poolBusyBefore: number;
  private wall0: number;
  private readonly runId: string;
  /** Rounds whose end has been reached (their messages are all in the log). */
  private roundsCompleted = 0;

  constructor(
    private readonly world: World,
    private readonly pool: ComputePool,
    private readonly hosts: Host[],
    private readonly placement: Map<string, number>,
    private readonly options: RunOptions,
    private readonly backend: string,
    wall0: number,
    private readonly warnings: string[],
    private readonly dataInfo: DataInfo,
    private readonly resumed: Checkpoint | null,
  ) {
    this.tasks = new TaskRunner(world, pool, this.blobs);
    const dir = options.outDir;
    const append = resumed !== null;
    this.runId = options.runId ?? runIdOf(world.scenario);
    this.traffic = new TrafficLog(dir === null ? null : join(dir, 'traffic.ndjson'), this.runId, append);
    this.timeline = new TimelineLog(dir === null ? null : join(dir, 'timeline.ndjson'), this.runId, append);
    const perRound = world.steps.reduce((a, b) => a + b, 0);
    this.stepsTotal = perRound * world.scenario.protocol.rounds;
    this.wall0 = wall0 - (resumed?.wallSeconds ?? 0);
    this.poolBusyBefore = resumed?.poolBusySeconds ?? 0;
    if (resumed !== null) {
      restoreState(this, resumed.state, this.graftOptions());
      this.traffic.count = resumed.trafficLines;
      this.timeline.count = resumed.timelineLines;
    }
  }

  /** What a checkpoint leaves out: handles, static parts rebuilt from the scenario, wall-clock values. */
  private graftOptions(): GraftOptions {
    const w = this.world;
    return {
      skip: new Set<object>([this.pool, this.hosts, this.options, this.traffic, this.timeline, w.data, w.model, w.scenario, w.actors, w.codecs]),
      skipRootKeys: new Set(['placement', 'backend', 'wall0', 'instants', 'checkpoints', 'poolBusyBefore', 'resumed', 'traffic', 'timeline']),
    };
  }

  /** Pool busy seconds of the whole run, across resumes. */
  private poolBusy(): number {
    return this.poolBusyBefore + this.pool.busySeconds;
  }

  /**
   * Saves the state at a round boundary (checkpoint.ts): waits for the tasks and evaluations
   * still running (so the state is at rest), flushes and fsyncs the logs, then writes the
   * checkpoint atomically.
   */
  private async checkpoint(roundsDone: number): Promise<void> {
    const dir = this.options.outDir;
    if (dir === null) return;
    const state = await captureState(this, this.graftOptions());
    const trafficFile = join(dir, 'traffic.ndjson');
    const timelineFile = join(dir, 'timeline.ndjson');
    await this.traffic.flush();
    await this.timeline.flush();
    fsyncPath(trafficFile);
    fsyncPath(timelineFile);
    const snapshots = await Promise.all(this.hosts.map((h) => h.snapshot()));
    saveCheckpoint(dir, {
      version: 1,
      roundsDone,
      trafficBytes: statSync(trafficFile).size,
      trafficLines: this.traffic.count,
      timelineBytes: statSync(timelineFile).size,
      timelineLines: this.timeline.count,
      wallSeconds: wallSeconds() - this.wall0,
      poolBusySeconds: this.poolBusy(),
      actors: Object.assign({}, ...snapshots) as Record<string, unknown>,
      state,
    });
    this.checkpoints += 1;
    if (this.checkpoints === this.options.stopAfterCheckpoints) await this.stop();
  }

  /** A stop for tests: lets running work settle (as a killed process would not care), then throws. */
  private async stop(): Promise<never> {
    await captureState(this, this.graftOptions()).catch(() => undefined);
    throw new RunStopped(this.instants);
  }

  async run(): Promise<RunResult> {
    const s = this.world.scenario;
    const stopAt = this.options.stopAfterInstants;
    const signal = this.options.signal;
    let interrupted = false;
    try {
      if (this.resumed === null) {
        this.kernel.schedule(0, { type: 'deliver', to: 'federator', event: { type: 'start' } });
        await this.checkpoint(0);
      }
      while (!this.finished) {
        if (signal?.aborted) {
          interrupted = true;
          // Evaluations still running are abandoned (their rounds keep meanIoU null).
          for (const e of this.evaluations) e.catch(() => undefined);
          break;
        }
        const due = this.kernel.popDue();
        if (due === undefined) throw new Error(`simulation stalled at t=${this.kernel.now}s: no event pending and the federator has not finished`);
        await this.instant(due.events);
        this.instants += 1;
        if (stopAt !== undefined && this.instants >= stopAt) await this.stop();
        if (this.roundEnded && !this.finished) await this.checkpoint(this.rounds.length);
        this.roundEnded = false;
      }
      if (!interrupted) {
        this.drainNetwork();
        await Promise.all(this.evaluations);
      }
      await Promise.all([this.traffic.flush(), this.timeline.flush()]);
    } finally {
      this.traffic.close();
      this.timeline.close();
    }
    this.rounds.sort((a, b) => a.round - b.round);
    const late = [...this.undelivered.values()];
    const warnings = [
      ...this.warnings,
      ...runWarnings({ endSeconds: this.kernel.now, late, rounds: this.rounds, stepsDone: this.stepsDone }),
    ];
    const summary = buildSummary({
      warnings,
      runId: this.runId,
      status: interrupted ? 'interrupted' : 'complete',
      roundsCompleted: this.roundsCompleted,
      codecs: this.world.codecs,
      scenario: s,
      backend: this.backend,
      rounds: this.rounds,
      totals: this.totals,
      simulatedSeconds: this.kernel.now,
      wallSeconds: wallSeconds() - this.wall0,
      poolBusySeconds: this.poolBusy(),
      clients: this.world.scenario.protocol.clients,
      clientSamples: this.world.data.clientIndices.map((idx) => idx.length),
      data: this.dataInfo.data,
      trivialMeanIoU: this.dataInfo.trivial.meanIoU,
    });
    if (this.options.outDir !== null) {
      const file = join(this.options.outDir, 'summary.json');
      writeFileSync(`${file}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
      renameSync(`${file}.tmp`, file);
      // A finished run needs no checkpoint (scenario.json stays: it says what ran).
      rmSync(join(this.options.outDir, 'checkpoint'), { recursive: true, force: true });
    }
    return { summary, sentBufferBytes: this.sentBufferBytes, poolBusySeconds: this.poolBusy() };
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
        if (ev.seq !== undefined) this.undelivered.delete(ev.seq);
        addressed = { to: ev.to, event: ev.event };
      } else {
        const outcome = await ev.job;
        const refs: BlobRef[] = outcome.outputs.map((b) => this.blobs.put(b));
        const done: ActorEvent =
          outcome.loss !== undefined
            ? { type: 'compute.done', taskId: ev.taskId, task: ev.task, outputs: refs, loss: outcome.loss }
            : { type: 'compute.done', taskId: ev.taskId, task: ev.task, outputs: refs };
        if (ev.task === 'fe.backward') {
          this.stepsDone += 1;
          this.options.onStep?.(this.progressNow(-1));
        }
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
          const order = this.lossOrder++;
          // A failed job is reported where the run awaits it; an interrupted run abandons it.
          job.then(
            (o) => {
              if (o.loss === undefined) return;
              const l = this.lossByRound.get(e.args.round) ?? [];
              l.push({ order, loss: o.loss });
              this.lossByRound.set(e.args.round, l);
            },
            () => undefined,
          );
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
        this.roundEnded = true;
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
  /** Messages on their way (not dropped, not yet delivered), by seq: what is left at the end arrived too late. */
  private readonly undelivered = new Map<number, { kind: string; arrival: number }>();
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
    this.undelivered.set(m.seq, { kind: m.msg.kind, arrival: d.arrivalTime as number });
    this.kernel.schedule(d.arrivalTime as number, { type: 'deliver', to: m.to, event: { type: 'message', from: m.from, msg: m.msg }, seq: m.seq });
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

  /** Progress at this instant (round -1: within a round). */
  private progressNow(round: number): Progress {
    return {
      round,
      rounds: this.world.scenario.protocol.rounds,
      simulatedSeconds: this.kernel.now,
      wallSeconds: wallSeconds() - this.wall0,
      stepsDone: this.stepsDone,
      stepsTotal: this.stepsTotal,
    };
  }

  private roundComplete(round: number, participants: number[]): void {
    // Every message of the round has its fate logged by now: make the logs hold them.
    this.roundsCompleted = Math.max(this.roundsCompleted, round + 1);
    void this.traffic.flush();
    void this.timeline.flush();
    const s = this.world.scenario;
    const simulatedSeconds = this.kernel.now;
    const variant = s.protocol.variant;
    const roles = this.world.roles;
    const params: Record<string, Float32Array> = {};
    for (const p of [...roles.client, roles.server]) params[p] = this.world.store.snapshot(stateKey('global', p, variant));
    const losses = [...(this.lossByRound.get(round) ?? [])].sort((a, b) => a.order - b.order);
    const record: RoundRecord = {
      round,
      meanIoU: null,
      meanDice: null,
      loss: losses.length > 0 ? losses.reduce((a, l) => a + l.loss, 0) / losses.length : null,
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
        last && this.options.outDir !== null ? PREDICTION_IMAGES : 0,
      ).then((m: Evaluation) => {
        if (m.predictions !== undefined && this.options.outDir !== null) writePredictions(this.options.outDir, this.world.data.test, m.predictions, round);
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
