/**
 * The simulated run itself (runScenario in simulation.ts builds it): the kernel owns virtual
 * time; actors (in host threads) react to one instant's events at a time and ask for effects,
 * which `perform` realises: messages through the run's network (messageNetwork.ts), compute
 * tasks on the pool (taskRunner.ts) with their duration from the cost model, timers, releases,
 * round ends (evaluation, summary records) and checkpoints.
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Addressed } from '../actors/host.js';
import { BlobStore } from '../compute/blobStore.js';
import type { ComputePool } from '../compute/pool.js';
import { EffectInterpreter, FaultPlan, MessageFaults, computeDone, timerEvent, type EffectOf, type EffectPorts } from '../interpret/index.js';
import type { BlobRef } from '../protocol/messages.js';
import { ActorLives, type Host } from './actorLives.js';
import { SimKernel, wallSeconds } from '../sim/index.js';
import type { CodecOptions } from '../codecs/types.js';
import type { LearnedRef } from '../compute/types.js';
import { evaluateModel, type DataInfo, type Evaluation } from './evaluate.js';
import { PREDICTION_IMAGES, writePredictions } from './predictions.js';
import { TaskRunner } from './taskRunner.js';
import { TimelineLog, TrafficLog, TrafficTotals } from './trafficLog.js';
import { stateKey } from '../protocol/index.js';
import { deviceOf, type World } from './world.js';
import { buildSummary, type RoundRecord } from './summary.js';
import { runWarnings } from './warnings.js';
import { fsyncPath, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { captureState, restoreState, type GraftOptions } from './stateGraft.js';
import { runIdOf } from './outputDir.js';
import { MessageNetwork, type SimEvent } from './messageNetwork.js';
import { RunStopped, type Progress, type RunOptions, type RunResult } from './runOptions.js';


export class Simulation {
  private readonly kernel = new SimKernel<SimEvent>();
  private readonly blobs = new BlobStore();
  private readonly tasks: TaskRunner;
  private readonly traffic: TrafficLog;
  private readonly timeline: TimelineLog;
  private readonly totals = new TrafficTotals();
  private readonly net: MessageNetwork;
  private readonly interpreter: EffectInterpreter<null>;
  /** Which incarnation of each actor is alive (crash and restart faults). */
  private readonly lives = new ActorLives((actor) => this.hosts[this.placement.get(actor) ?? 0] as Host);
  private readonly rounds: RoundRecord[] = [];
  private readonly evaluations: Promise<void>[] = [];
  /** Training losses by round, with their start order: summed in that order, whatever order the pool finished them in. */
  private readonly lossByRound = new Map<number, { order: number; loss: number }[]>();
  private lossOrder = 0;
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
    // One fault plan for the network (message faults, only when there are any) and the interpreter.
    const plan = new FaultPlan(options.faults);
    const messageFaults = plan.faults.messages.length > 0 ? new MessageFaults(plan) : null;
    this.net = new MessageNetwork(this.kernel, this.blobs, world, this.traffic, this.totals, (actor) => !this.lives.receives(actor, undefined), messageFaults);
    this.interpreter = new EffectInterpreter(this.ports(), plan);
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
        this.net.drain();
        await Promise.all(this.evaluations);
      }
      await Promise.all([this.traffic.flush(), this.timeline.flush()]);
    } finally {
      this.traffic.close();
      this.timeline.close();
    }
    this.rounds.sort((a, b) => a.round - b.round);
    const late = [...this.net.undelivered.values()];
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
      computeThreads: this.pool.computeThreads,
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
    return { summary, sentBufferBytes: this.net.sentBufferBytes, poolBusySeconds: this.poolBusy() };
  }

  /** One instant: finish its tasks, deliver its events to the hosts, perform the effects. */
  private async instant(events: SimEvent[]): Promise<void> {
    await this.lives.applyRestarts();
    const batches: Addressed[][] = this.hosts.map(() => []);
    for (const ev of events) {
      if (ev.type === 'net') {
        this.net.wake();
        continue;
      }
      if (ev.type === 'crash') {
        const inc = await this.lives.crash(ev.client);
        if (inc !== null && ev.downS !== null) this.kernel.schedule(this.kernel.now + ev.downS, { type: 'rejoin', client: ev.client, inc });
        continue;
      }
      if (ev.type === 'rejoin') {
        await this.lives.rejoin(ev.client, ev.inc);
        continue;
      }
      let addressed: Addressed;
      if (ev.type === 'deliver') {
        if (ev.seq !== undefined) this.net.undelivered.delete(ev.seq);
        if (!this.lives.receives(ev.to, ev.inc)) {
          // A crashed actor's timer, or a message that reached a crashed client: lost.
          if (ev.event.type === 'message') this.net.discard(ev.event.msg);
          continue;
        }
        addressed = { to: ev.to, event: ev.event };
      } else {
        const outcome = await ev.job;
        if (!this.lives.receives(ev.actor, ev.inc)) continue; // a crashed or restarted incarnation's task
        const refs: BlobRef[] = outcome.outputs.map((b) => this.blobs.put(b));
        const done = computeDone(ev.taskId, ev.task, refs, outcome.loss);
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
    for (const effects of replies) for (const e of effects) this.interpreter.perform(e, null);
  }

  /** How a simulated run realises effects: the run's network, the task table on the pool with the cost model's durations, kernel timers, the blob store. */
  private ports(): EffectPorts<null> {
    return {
      send: (e) => this.net.send(e.from, e.to, e.msg),
      compute: (e, slowdown) => this.compute(e, slowdown),
      timer: (e) => {
        this.kernel.schedule(this.kernel.now + e.delay, { type: 'deliver', to: e.actor, event: timerEvent(e), inc: this.lives.incOf(e.actor) });
      },
      release: (e) => this.blobs.release(e.blobs),
      roundComplete: (e) => {
        this.roundComplete(e.round, e.participants);
        this.roundEnded = true;
      },
      finished: () => {
        this.finished = true;
      },
      crashLater: (client, atS, downS) => {
        this.kernel.schedule(this.kernel.now + atS, { type: 'crash', client, downS });
      },
      restartServer: () => this.lives.restartLater('server'),
    };
  }

  /** Starts a task on the pool; the device's cost model (stretched by a straggler fault's `slowdown`) says when it is done. */
  private compute(e: EffectOf<'compute'>, slowdown: number): void {
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
    const device = deviceOf(this.world, e.actor);
    const r = device.reserve(this.kernel.now, flops * slowdown);
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
    this.kernel.schedule(r.end, { type: 'done', actor: e.actor, taskId: e.taskId, task: e.task, job, inc: this.lives.incOf(e.actor) });
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
