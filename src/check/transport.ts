/**
 * The checker's transport: the scenario's network model (src/sim Network: bandwidth, latency,
 * jitter, loss, FIFO links, and a fault-free backbone between federator and split server, as
 * src/run/world.ts has it) with the schedule's message faults on top, applied as in every world
 * (src/interpret/messageFaults.ts). Every copy of every message gets a traffic entry; bytes are
 * counted per link when sent, delivered and dropped.
 */
import { clientIndex } from '../actors/common.js';
import { MessageFaults, type FaultPlan } from '../interpret/index.js';
import { SPLIT_KINDS, blobOf, stepOf, type WireMessage } from '../protocol/index.js';
import { Link, Network, Rng, type LinkModel } from '../sim/index.js';
import type { CheckSettings, Direction, LinkBytes, TrafficEntry } from './types.js';

/** A copy of a message on its way, or null when it will not arrive. */
export interface InFlight {
  entry: TrafficEntry;
  arrival: number | null;
}

/** Is `msg` a datagram under these settings (lossy mode, split tensor): the only messages a fault may drop or reorder. */
export function isDatagram(settings: CheckSettings, kind: WireMessage['kind']): boolean {
  return settings.networkMode === 'lossy' && SPLIT_KINDS.has(kind);
}

export class FaultyTransport {
  readonly traffic: TrafficEntry[] = [];
  readonly links: Record<string, LinkBytes> = {};
  private readonly network: Network;
  private readonly faults: MessageFaults;
  private nextMsgId = 0;

  /**
   * @param faults the run's fault plan (shared with the world's effect interpreter): its message faults apply here
   * @param tagsOf the tags of a blob (the world's lineage), written into each traffic entry
   * @param linkModel the client access links' model (default the real one; a planted link bug's otherwise)
   */
  constructor(
    private readonly settings: CheckSettings,
    runSeed: number,
    faults: FaultPlan,
    private readonly tagsOf: (blob: number) => readonly string[],
    linkModel: LinkModel = Link,
  ) {
    this.faults = new MessageFaults(faults);
    const rng = new Rng(settings.seed, `check/run-${runSeed}`);
    const backbone = new Link('backbone', settings.backbone, rng.child('network/backbone'), 'backbone');
    this.network = new Network({ clients: settings.links }, rng.child('network'), { field: 'network', backbone, linkModel });
  }

  /** Puts `msg` on the wire at `now`; returns each copy with its arrival time (null: dropped). */
  send(from: string, to: string, msg: WireMessage, now: number): InFlight[] {
    const s = this.settings;
    const msgId = this.nextMsgId++;
    const kFrom = clientIndex(from);
    const kTo = clientIndex(to);
    const client = kFrom >= 0 ? kFrom : kTo;
    const dir: Direction = kFrom >= 0 ? 'up' : 'down';
    const step = stepOf(msg);
    const link = client < 0 ? 'backbone' : `client-${client}/${dir === 'up' ? 'uplink' : 'downlink'}`;
    const bytes = this.bytesOf(msg);
    const datagram = isDatagram(s, msg.kind);
    // The plan's message faults (src/interpret/messageFaults.ts), as in every world.
    const faulted = this.faults.take(msg.kind, client, dir, msg.round, step);
    const out: InFlight[] = [];
    faulted.copies.forEach((_, copy) => {
      const d = this.network.offer(from, to, bytes, now, { reliable: !datagram }, msgId)[0]?.delivery;
      if (d === undefined) throw new Error(`check transport: the network decided nothing for message ${msgId} (the checker runs FIFO links)`);
      const { arrival, dropReason } = this.faults.fate(faulted, copy, d, datagram, link, () => this.rtoOf(link));
      const entry: TrafficEntry = {
        seq: this.traffic.length,
        msgId,
        copy,
        round: msg.round,
        step,
        src: from,
        dst: to,
        kind: msg.kind,
        op: msg.kind === 'control' ? msg.control.op : null,
        link,
        bytes,
        sendTime: now,
        recvTime: null,
        dropped: false,
        dropReason: null,
        wireBytes: d.wireBytes,
        retransmissions: d.retransmissions,
        blob: blobOf(msg)?.id ?? null,
        tags: [],
      };
      if (entry.blob !== null) entry.tags = [...this.tagsOf(entry.blob)];
      this.traffic.push(entry);
      this.bytes(link).sent += bytes;
      if (dropReason !== null) this.drop(entry, dropReason);
      out.push({ entry, arrival });
    });
    return out;
  }

  /** Marks a copy delivered at `now`. */
  delivered(entry: TrafficEntry, now: number): void {
    entry.recvTime = now;
    this.bytes(entry.link).delivered += entry.bytes;
  }

  /** Marks a copy dropped (lost, faulted, or its receiver was down when it arrived). */
  drop(entry: TrafficEntry, reason: NonNullable<TrafficEntry['dropReason']>): void {
    entry.dropped = true;
    entry.dropReason = reason;
    entry.recvTime = null;
    this.bytes(entry.link).dropped += entry.bytes;
  }

  /** Per-link byte counts, with the network model's own counters beside the client links'. */
  linkBytes(): Record<string, LinkBytes> {
    for (const l of [...this.network.links(), ...(this.network.backbone !== null ? [this.network.backbone] : [])]) {
      const st = l.stats;
      this.bytes(l.name).model = {
        bytesSent: st.bytesSent,
        bytesDelivered: st.bytesDelivered,
        bytesDropped: st.bytesDropped,
        wireBytes: st.wireBytes,
        retransmissions: st.retransmissions,
        sent: st.sent,
        delivered: st.delivered,
        dropped: st.dropped,
      };
    }
    return this.links;
  }

  /** Seconds a reliable stream waits before resending a lost segment on `link`. */
  private rtoOf(link: string): number {
    const l = this.network.links().find((x) => x.name === link);
    return (l?.spec.rtoMs ?? 200) / 1000;
  }

  private bytes(link: string): LinkBytes {
    let b = this.links[link];
    if (b === undefined) {
      b = { sent: 0, delivered: 0, dropped: 0, model: null };
      this.links[link] = b;
    }
    return b;
  }

  /** Stand-in payload sizes: tensors fixed, weights and codecs as their blobs (a delta is smaller), control ops as their JSON. */
  private bytesOf(msg: WireMessage): number {
    const s = this.settings;
    if (msg.kind === 'weights.down' || msg.kind === 'weights.up') return msg.blob.bytes;
    // A codec update, or a round's codecs: in full or (smaller) as a delta.
    if (msg.kind === 'codec.down' || msg.kind === 'codec.up') return msg.blob.bytes;
    if (msg.kind !== 'control') return s.tensorBytes;
    const { blob, ...rest } = msg.control as { blob?: unknown };
    const header = JSON.stringify({ round: msg.round, ...rest }).length;
    return header + (blob !== undefined ? s.tensorBytes : 0);
  }
}
