/**
 * The pilot's world: the same actors as the simulator (ActorHost, the same machines) and the
 * same effect interpreter (src/interpret), but each Effect is performed for real — `timer` waits real seconds, `compute`
 * runs on the local pool and completes when it really finishes, `send` goes over a socket
 * (or straight to a local actor). One node per process: the server's (split server and
 * federator) or one client's.
 */
import { ActorHost } from '../actors/host.js';
import type { ActorSpec } from '../actors/effects.js';
import { BlobStore } from '../compute/blobStore.js';
import type { ComputePool } from '../compute/pool.js';
import { EffectInterpreter, computeDone, timerEvent, type EffectOf, type EffectPorts } from '../interpret/index.js';
import { blobOf, type ActorEvent, type BlobRef, type Effect, type WireMessage } from '../protocol/index.js';
import { after } from '../sim/realClock.js';
import { addDelta, decodeUpdate, encodeUpdate } from '../run/codecSync.js';
import { TaskRunner } from '../run/taskRunner.js';
import { stateKey, type World } from '../run/world.js';

/** How a node reaches actors in other processes. */
export interface Remote {
  /** Sends `msg` to a non-local actor; resolves when handed to the socket (false: not connected). */
  send(from: string, to: string, msg: WireMessage, blobs: BlobStore): Promise<boolean>;
}

/** What a node reports to its owner. */
export interface NodeHooks {
  /** A message between two local actors (server ↔ federator) was delivered now. */
  onLocalMessage?: (from: string, to: string, msg: WireMessage, blobs: BlobStore) => void;
  onRoundComplete?: (round: number, participants: number[]) => void;
  onLoss?: (round: number, loss: number) => void;
  onFinished?: () => void;
  /** A bug (an actor or a task failed): the run cannot go on. */
  onFatal: (err: unknown) => void;
}

export class PilotNode {
  readonly blobs = new BlobStore();
  readonly tasks: TaskRunner;
  private readonly host = new ActorHost();
  private readonly local: Set<string>;
  private readonly timers = new Set<() => void>();
  private readonly weightsDown: number[] = [];
  /** The blobs of the federator's last global packs (weights and codec forms, sent to every client). */
  private readonly globalPacks: number[][] = [];
  private stopped = false;
  /** The effect interpreter every world shares (src/interpret), over this node's ports. */
  private readonly interpreter = new EffectInterpreter(this.ports());

  constructor(
    readonly world: World,
    readonly pool: ComputePool,
    specs: ActorSpec[],
    private readonly remote: Remote,
    private readonly hooks: NodeHooks,
  ) {
    this.tasks = new TaskRunner(world, pool, this.blobs);
    this.local = new Set(specs.map((s) => s.id));
    this.host.init(specs);
  }

  /** Whether `actor` lives in this process. */
  hosts(actor: string): boolean {
    return this.local.has(actor);
  }

  /** Delivers one event to a local actor and performs the effects it asks for. */
  deliver(to: string, event: ActorEvent): void {
    if (this.stopped) return;
    let effects: Effect[];
    try {
      effects = this.host.deliver([{ to, event }]);
    } catch (err) {
      this.hooks.onFatal(err);
      return;
    }
    for (const e of effects) this.interpreter.perform(e, null);
  }

  /** A message that arrived from another process (its blobs already in this node's store). */
  receive(from: string, to: string, msg: WireMessage): void {
    if (msg.kind === 'weights.down') this.keepWeights(msg.blob);
    if (msg.kind === 'codec.down') {
      let full: BlobRef;
      try {
        full = this.mirrorCodecs(msg.blob);
      } catch (err) {
        this.hooks.onFatal(err);
        return;
      }
      this.deliver(to, { type: 'message', from, msg: { ...msg, blob: full } });
      return;
    }
    this.deliver(to, { type: 'message', from, msg });
  }

  /** Stops timers and ignores further events. */
  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  /** Keeps a client's weights.down for its weights.load; the one of two rounds ago is no longer asked for. */
  private keepWeights(ref: BlobRef): void {
    this.weightsDown.push(ref.id);
    if (this.weightsDown.length > 2) this.blobs.release([this.weightsDown.shift() as number]);
  }

  /**
   * A client process holds its own copy of the global codecs (learned codecs encode and decode
   * with them). In the simulator that copy is shared memory the federator and split server
   * write at aggregation; here it is written from the `codec.down` that brings the new version:
   * every learned codec's weights (client codecs, then the server's), in full, or as a delta
   * against the version this client holds (which its global copy is, bit for bit, since both
   * ends snap to the delta: src/run/codecSync.ts). Returns the update as full weights, in a
   * new blob, for the client's `weights.load` (this process keeps no synced versions of its own
   * to apply a delta to); the bytes the log counts are the server's, as sent.
   */
  private mirrorCodecs(ref: BlobRef): BlobRef {
    const w = this.world;
    const variant = w.scenario.protocol.variant;
    const parts = [...w.clientCodecParts, ...w.serverCodecParts];
    const b = this.blobs.get(ref.id);
    if (b.kind !== 'bytes') throw new Error(`codec.down: blob ${ref.id} is ${b.kind}, expected bytes`);
    const keys = parts.map((p) => stateKey('global', p, variant));
    const got = decodeUpdate(b.data);
    if (got.length !== parts.length) throw new Error(`codec.down: must hold ${parts.length} codec tensors (${parts.join(', ')}), got ${got.length}`);
    const values = b.codec === 'none' ? got : got.map((d, i) => addDelta(w.store.get(keys[i] as string).params, d));
    keys.forEach((k, i) => w.store.setParams(k, values[i] as Float32Array));
    if (b.codec === 'none') return ref;
    this.blobs.release([ref.id]);
    return this.blobs.put({ kind: 'bytes', data: encodeUpdate(values, 32), rawBytes: b.rawBytes, codec: 'none' });
  }

  /** How a pilot node realises effects: sockets, the local pool as it really runs, real timers. */
  private ports(): EffectPorts<null> {
    return {
      send: (e) => this.send(e),
      compute: (e) => this.compute(e),
      timer: (e) => {
        const cancel = after(e.delay, () => {
          this.timers.delete(cancel);
          this.deliver(e.actor, timerEvent(e));
        });
        this.timers.add(cancel);
      },
      release: (e) => this.blobs.release(e.blobs),
      roundComplete: (e) => this.hooks.onRoundComplete?.(e.round, e.participants),
      finished: () => this.hooks.onFinished?.(),
      // Over a real network, crashes and stragglers are real: the pilot takes no fault plan.
      crashLater: (client) => this.hooks.onFatal(new Error(`pilot: client-${client} cannot be crashed by a fault plan (stop its process)`)),
      restartServer: () => this.host.restart('server'),
    };
  }

  private send(e: EffectOf<'send'>): void {
    if (this.local.has(e.to)) {
      // Server ↔ federator: one process, so the backbone is a function call.
      setImmediate(() => {
        this.hooks.onLocalMessage?.(e.from, e.to, e.msg, this.blobs);
        this.deliver(e.to, { type: 'message', from: e.from, msg: e.msg });
      });
      return;
    }
    const sentBlob = blobOf(e.msg);
    void this.remote.send(e.from, e.to, e.msg, this.blobs).then(
      () => {
        // The receiver holds its own copy now; the round's global weights and codecs go to every client, so they stay.
        if (sentBlob !== null && e.msg.kind !== 'weights.down' && e.msg.kind !== 'codec.down') this.blobs.release([sentBlob.id]);
      },
      (err) => this.hooks.onFatal(err),
    );
  }

  private compute(e: EffectOf<'compute'>): void {
    let job;
    try {
      job = this.tasks.start(e.actor, e.task, e.args).job;
    } catch (err) {
      this.hooks.onFatal(err);
      return;
    }
    job.then(
      (outcome) => {
        if (this.stopped) return;
        const refs: BlobRef[] = outcome.outputs.map((b) => this.blobs.put(b));
        if (e.task === 'global.pack') {
          this.globalPacks.push(refs.map((r) => r.id));
          if (this.globalPacks.length > 2) this.blobs.release(this.globalPacks.shift() as number[]);
        }
        if (outcome.loss !== undefined && (e.task === 'be.train' || e.task === 's.train')) this.hooks.onLoss?.(e.args.round, outcome.loss);
        this.deliver(e.actor, computeDone(e.taskId, e.task, refs, outcome.loss));
      },
      (err) => this.hooks.onFatal(err),
    );
  }
}
