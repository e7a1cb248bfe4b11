/**
 * The run's side of the network: a message handed to it becomes real bytes offered to the link
 * model (`Network.offer`: FIFO links decide at once, flows when `advanceTo` completes them), one
 * traffic-log line in send order, and a delivery event on the kernel (or its bytes freed when it
 * is dropped).
 */
import { clientIndex } from '../actors/common.js';
import type { Blob, BlobStore } from '../compute/blobStore.js';
import { blobOf, stepOf, withBlob, type ActorEvent, type BlobRef, type TaskName, type WireMessage } from '../protocol/index.js';
import type { FaultedMessage, MessageFaults } from '../interpret/index.js';
import { DEFAULT_RTO_MS, type CompletedTransfer, type Delivery, type SimKernel } from '../sim/index.js';
import type { TaskOutcome } from './taskRunner.js';
import type { TrafficRecord, TrafficLog, TrafficTotals } from './trafficLog.js';
import type { World } from './world.js';

/** What the run's kernel schedules: deliveries, finished tasks, and network wake-ups (flow model). */
export type SimEvent =
  | { type: 'deliver'; to: string; event: ActorEvent; seq?: number; inc?: number }
  | { type: 'done'; actor: string; taskId: number; task: TaskName; job: Promise<TaskOutcome>; inc?: number }
  | { type: 'net' }
  | { type: 'crash'; client: number; downS: number | null }
  | { type: 'rejoin'; client: number; inc: number };

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
  /** The client end was offline or had crashed: the message is lost whatever the network does. */
  clientGone: boolean;
  /** A message the fault plan hit: which copy this is, and whether it travels as a datagram. */
  faulted: { message: FaultedMessage; copy: number; datagram: boolean } | null;
}

export class MessageNetwork {
  /** Sum of byteLength of every buffer handed to the network, by kind (the traffic log must match). */
  readonly sentBufferBytes: Record<string, number> = {};
  private seq = 0;

  constructor(
    private readonly kernel: SimKernel<SimEvent>,
    private readonly blobs: BlobStore,
    private readonly world: World,
    private readonly traffic: TrafficLog,
    private readonly totals: TrafficTotals,
    /** Whether an actor is down (crashed by a fault): nothing reaches it. */
    private readonly isDown: (actor: string) => boolean = () => false,
    /** The fault plan's message faults (none: null). */
    private readonly faults: MessageFaults | null = null,
  ) {}

  /** Puts a message on the network: real bytes, a delivery time or a drop, one log line. */
  send(from: string, to: string, msg: WireMessage): void {
    const now = this.kernel.now;
    let wire: number;
    let raw: number;
    let codec: string;
    if (msg.kind === 'control') {
      // Control ops travel as small JSON buffers; the labels op carries the label bytes too.
      const { blob, ...rest } = msg.control as { blob?: BlobRef };
      const header = Buffer.from(JSON.stringify({ round: msg.round, ...rest }));
      wire = header.byteLength + (blob ? this.blobs.get(blob.id).data.byteLength : 0);
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
    const step = stepOf(msg);
    // Offline (dropout, schedule) or crashed before this step: nothing reaches or leaves the client.
    const clientGone = k >= 0 && (!this.clientReachable(k, msg, step, now) || this.isDown(to));
    const reliable = msg.kind === 'control' || msg.kind.startsWith('weights.') || msg.kind.startsWith('codec.');
    if (msg.kind === 'control' && msg.control.op === 'abandon') this.totals.abandon(k, msg.round, msg.control.step);
    // The plan's message faults (src/interpret/messageFaults.ts); a duplicate is a second copy, a buffer of its own.
    const hit = this.faults !== null && k >= 0 ? this.faults.take(msg.kind, k, from.startsWith('client-') ? 'up' : 'down', msg.round, step) : null;
    const datagram = hit !== null && !reliable && this.world.network.route(from, to).spec.mode === 'lossy';
    for (const copy of hit?.copies.keys() ?? [0]) {
      if (copy > 0) this.sentBufferBytes[msg.kind] = (this.sentBufferBytes[msg.kind] ?? 0) + wire;
      const faulted = hit === null ? null : { message: hit, copy, datagram };
      const sent: SentMessage = { seq: this.seq++, from, to, msg: copy === 0 ? msg : this.copyOf(msg), step, codec, raw, wire, now, clientGone, faulted };
      // One path for every link model: FIFO links and the backbone decide at once, flows later (wake).
      this.netInFlight.set(sent.seq, sent);
      this.settle(this.world.network.offer(from, to, wire, now, reliable ? { reliable: true } : undefined, sent.seq));
    }
    this.scheduleNetworkWake();
  }

  private readonly netInFlight = new Map<number, SentMessage>();
  /** Messages on their way (not dropped, not yet delivered), by seq: what is left at the end arrived too late. */
  readonly undelivered = new Map<number, { kind: string; arrival: number }>();
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
    let arrival = d.arrivalTime;
    let faultDrop = false;
    if (m.faulted !== null && this.faults !== null) {
      const link = this.world.network.route(m.from, m.to);
      const fate = this.faults.fate(m.faulted.message, m.faulted.copy, d, m.faulted.datagram, link.name, () => (link.spec.rtoMs ?? DEFAULT_RTO_MS) / 1000);
      arrival = fate.arrival;
      faultDrop = fate.dropReason === 'fault';
    }
    const dropped = d.dropped || faultDrop || m.clientGone;
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
      recvTime: dropped ? null : arrival,
      retransmissions: d.retransmissions,
      dropped,
      ...(m.faulted !== null && m.faulted.copy > 0 ? { copy: m.faulted.copy } : {}),
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
      this.discard(m.msg);
      return;
    }
    if (arrival === null) throw new Error(`network: message ${m.seq} neither dropped nor given an arrival time`);
    this.undelivered.set(m.seq, { kind: m.msg.kind, arrival });
    this.kernel.schedule(arrival, { type: 'deliver', to: m.to, event: { type: 'message', from: m.from, msg: m.msg }, seq: m.seq });
  }

  /** A duplicate copy of `msg`: the same bytes in a buffer of its own (the receiver frees each copy). */
  private copyOf(msg: WireMessage): WireMessage {
    const blob = blobOf(msg);
    if (blob === null) return msg;
    const b = this.blobs.get(blob.id);
    return withBlob(msg, this.blobs.put({ ...b, data: b.data.slice() } as Blob));
  }

  /** A lost message (dropped, or its receiver crashed): its bytes are freed, except the round's shared weights buffer. */
  discard(msg: WireMessage): void {
    const blob = blobOf(msg);
    if (blob !== null && msg.kind !== 'weights.down' && msg.kind !== 'codec.down') this.blobs.release([blob.id]);
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
  wake(): void {
    this.netWake = null;
    this.settleCompleted(this.kernel.now);
    this.scheduleNetworkWake();
  }

  /** End of run: decides what is still in flight (as if the network ran on), so the log is complete. */
  drain(): void {
    if (this.netWake !== null) this.kernel.cancel(this.netWake.seq);
    this.netWake = null;
    this.settleCompleted(Infinity);
  }

  /** Settles the flows the network completes up to time `until`, in the order it completes them. */
  private settleCompleted(until: number): void {
    this.settle(this.world.network.advanceTo(until));
  }

  /** Settles decided deliveries, in the order the network decided them. */
  private settle(decided: CompletedTransfer[]): void {
    for (const c of decided) {
      const m = this.netInFlight.get(c.tag);
      if (m === undefined) throw new Error(`network: decided message ${c.tag} was never offered`);
      this.netInFlight.delete(c.tag);
      this.settleMessage(m, c.delivery);
    }
  }
}
