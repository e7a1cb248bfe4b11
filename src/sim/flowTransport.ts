/**
 * The network's flow mode: every message is a TCP transfer ({@link tcpTransfer}) that becomes a
 * flow in a {@link FlowNetwork} over its route:
 *
 *   client-k → server:     [client-k/uplink, server/in]
 *   server → client-k:     [server/out, client-k/downlink]
 *   (the federator likewise, on its own access link or, when co-located, the server's)
 *
 * The server's access link (`in`: what it receives, `out`: what it sends) is therefore shared
 * by every concurrent transfer, max-min fairly, and re-planned as transfers start and end.
 *
 * Per message: the TCP model runs on the path's round-trip time (the sum of the four links'
 * one-way latencies, both directions) at the flow's fair share when it starts, with the packets
 * the links' loss processes drop (the two links' losses combined), and yields the flow's latency
 * phase (slow-start stall), cap (loss- or window-limited rate), wire bytes (headers and
 * retransmissions) and tail delay. A connection that moved data within the last RTO keeps its
 * window open (no slow start), as Linux does. After its last byte leaves the bottleneck a
 * message arrives one one-way latency later (plus the client link's jitter draw), never before
 * the previous message of the same sender and receiver (one TCP connection delivers in order).
 *
 * Lossy mode: a message with any lost packet is dropped (its bytes still crossed the links).
 */
import { FlowNetwork, type FlowResource } from './flowNetwork.js';
import { emptyLinkStats, type Delivery, type LinkStats, type ValidLinkSpec } from './link.js';
import { linkLosses, lossProcess, lostPackets, type LossProcess } from './lossModel.js';
import type { Rng } from './rng.js';
import { DEFAULT_TCP, tcpTransfer, type TcpOptions } from './tcpModel.js';
import type { CapacityTrace, LatencyTrace } from './trace.js';

/** One side of an access link, as the flow mode needs it. */
export interface FlowLink {
  name: string;
  spec: ValidLinkSpec;
  /** Resource index in the flow network. */
  resource: number;
  losses: LossProcess;
  /** Jitter draws. */
  rng: Rng;
  stats: LinkStats;
  /** Gilbert–Elliott only: packets left before the next loss, carried across messages (−1: none). */
  carry: number;
}

/** The server side's access link. */
export interface AccessLinkSpec {
  /** What the host can send, Mbit/s. */
  uplinkMbps: number;
  /** What the host can receive, Mbit/s. */
  downlinkMbps: number;
  /** One-way latency of the access link, ms. */
  latencyMs: number;
  /** Per-packet loss probability on the access link (default 0). */
  loss?: number;
  uplinkTrace?: CapacityTrace;
  downlinkTrace?: CapacityTrace;
}

/** A message whose fate the flow network has decided. */
export interface CompletedTransfer {
  tag: number;
  delivery: Delivery;
}

interface Pending {
  tag: number;
  pair: string;
  bytes: number;
  sendTime: number;
  packets: number;
  wireBytes: number;
  retransmissions: number;
  dropped: boolean;
  tailS: number;
  client: FlowLink;
  access: AccessSide | null;
  upward: boolean;
  /** When its last byte left the bottleneck; undefined while it is still moving. */
  doneTime?: number;
}

interface AccessSide {
  inRes: number;
  outRes: number;
  latencyS: number;
  losses: LossProcess | null;
}

function oneWay(link: FlowLink, t: number): number {
  return link.spec.latencyTrace === undefined ? link.spec.latencyMs / 1000 : (link.spec.latencyTrace as LatencyTrace).oneWayAt(t);
}

/** Merges two ascending index lists. */
function mergeSorted(a: number[], b: number[]): number[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && (a[i] as number) <= (b[j] as number)) ? (a[i++] as number) : (b[j++] as number);
    if (out.length === 0 || out[out.length - 1] !== x) out.push(x);
  }
  return out;
}

/** Flow-mode transport over client links and the server side's shared access links. */
export class FlowTransport {
  readonly up: FlowLink[] = [];
  readonly down: FlowLink[] = [];
  private readonly sides = new Map<'server' | 'federator', AccessSide>();
  private readonly flows: FlowNetwork<number>;
  private readonly pending = new Map<number, Pending>();
  private readonly lastArrival = new Map<string, number>();
  private readonly lastActive = new Map<string, number>();
  /** Undecided messages per sender→receiver pair, in send order (one connection is FIFO). */
  private readonly queues = new Map<string, number[]>();
  private readonly tcp: TcpOptions;
  private nextId = 0;

  /**
   * @param clients validated client link specs (uplink, downlink)
   * @param server the server's access link, or null for unlimited
   * @param federator the federator's access link; `'shared'` puts it on the server's
   */
  constructor(
    clients: { uplink: ValidLinkSpec; downlink: ValidLinkSpec }[],
    server: AccessLinkSpec | null,
    federator: AccessLinkSpec | 'shared' | null,
    rng: Rng,
    tcp: Partial<TcpOptions> = {},
  ) {
    this.tcp = { ...DEFAULT_TCP, ...tcp };
    const resources: FlowResource[] = [];
    const add = (name: string, mbps: number, trace?: CapacityTrace): number => {
      resources.push(trace === undefined ? { name, bandwidthBps: mbps * 1e6 } : { name, bandwidthBps: mbps * 1e6, trace });
      return resources.length - 1;
    };
    clients.forEach((c, k) => {
      for (const [dir, spec, list] of [
        ['uplink', c.uplink, this.up],
        ['downlink', c.downlink, this.down],
      ] as const) {
        const name = `client-${k}/${dir}`;
        list.push({
          name,
          spec,
          resource: add(name, spec.bandwidthMbps, spec.bandwidthTrace),
          losses: linkLosses(spec, rng.child(`flow/${name}/loss`)),
          rng: rng.child(`flow/${name}/jitter`),
          stats: emptyLinkStats(),
          carry: -1,
        });
      }
    });
    const side = (name: string, a: AccessLinkSpec): AccessSide => ({
      inRes: add(`${name}/in`, a.downlinkMbps, a.downlinkTrace),
      outRes: add(`${name}/out`, a.uplinkMbps, a.uplinkTrace),
      latencyS: a.latencyMs / 1000,
      losses: (a.loss ?? 0) > 0 ? lossProcess(a.loss as number, rng.child(`flow/${name}/loss`)) : null,
    });
    if (server !== null) this.sides.set('server', side('server', server));
    if (federator === 'shared' && server !== null) this.sides.set('federator', this.sides.get('server') as AccessSide);
    else if (federator !== null && federator !== 'shared') this.sides.set('federator', side('federator', federator));
    this.flows = new FlowNetwork<number>(resources);
  }

  /** Messages whose fate is not decided yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Starts a message of `bytes` from (`upward`) or to client `k`'s side `serverSide`, at `now`.
   * `tag` comes back with its {@link CompletedTransfer}.
   */
  start(k: number, upward: boolean, serverSide: 'server' | 'federator', bytes: number, now: number, lossy: boolean, tag: number): void {
    const client = (upward ? this.up[k] : this.down[k]) as FlowLink;
    const back = (upward ? this.down[k] : this.up[k]) as FlowLink;
    const access = this.sides.get(serverSide) ?? null;
    const route = access === null ? [client.resource] : [client.resource, upward ? access.inRes : access.outRes];
    const sideLatency = access === null ? 0 : access.latencyS;
    const forward = oneWay(client, now) + sideLatency;
    const rtt = forward + oneWay(back, now) + sideLatency;
    const mtu = client.spec.mtuBytes;
    const packets = bytes === 0 ? 0 : Math.ceil(bytes / (mtu - this.tcp.headerBytes));
    // Losses on the client link and the access link, first transmissions then retransmissions.
    // A Gilbert–Elliott chain continues where the last message left it; independent loss is
    // memoryless, so a fresh draw is exact.
    const bursty = client.spec.burst !== undefined;
    const first = lostPackets(client.losses, packets, bursty ? client.carry : -1);
    let lost = first.lost;
    if (bursty) client.carry = first.carry;
    if (access?.losses) lost = mergeSorted(lost, lostPackets(access.losses, packets, -1).lost);
    let lostAgain: number[] = [];
    if (!lossy && lost.length > 0) {
      const retry = lostPackets(client.losses, lost.length, bursty ? client.carry : -1);
      if (bursty) client.carry = retry.carry;
      let again = retry.lost;
      if (access?.losses) again = mergeSorted(again, lostPackets(access.losses, lost.length, -1).lost);
      lostAgain = again.map((i) => lost[i] as number);
    }
    const dropped = lossy && lost.length > 0;
    const pair = `${upward ? `client-${k}` : serverSide}>${upward ? serverSide : `client-${k}`}`;
    const queue = this.queues.get(pair) ?? [];
    const warm = queue.length > 0 || now - (this.lastActive.get(pair) ?? -Infinity) < rtt + this.tcp.minRtoS;
    const share = this.flows.fairShare(route, now);
    const t = tcpTransfer(
      bytes,
      { rateBps: share > 0 ? share : client.spec.bandwidthMbps * 1e6, rttS: rtt, oneWayS: forward, mtuBytes: mtu },
      lossy ? [] : lost,
      this.tcp,
      lostAgain,
      warm,
    );
    const id = this.nextId++;
    this.pending.set(id, {
      tag,
      pair,
      bytes,
      sendTime: now,
      packets,
      wireBytes: t.wireBytes,
      retransmissions: t.retransmissions,
      dropped,
      tailS: t.tailSeconds,
      client,
      access,
      upward,
    });
    queue.push(id);
    this.queues.set(pair, queue);
    this.flows.start(now, { route, wireBytes: t.wireBytes, latencyS: t.stallSeconds, capBps: t.capBps, tag: id });
  }

  /** When the next message's fate may be decided (Infinity when nothing is in flight). */
  nextEventTime(): number {
    return this.flows.nextEventTime();
  }

  /**
   * Decides every message whose last byte leaves the network by `t`. A message that finishes
   * before an earlier one of the same pair is held until that one is decided (in-order delivery).
   */
  advanceTo(t: number): CompletedTransfer[] {
    const out: CompletedTransfer[] = [];
    for (const done of this.flows.advanceTo(t)) {
      const p = this.pending.get(done.tag) as Pending;
      p.doneTime = done.time;
      this.lastActive.set(p.pair, done.time);
      const queue = this.queues.get(p.pair) as number[];
      while (queue.length > 0 && (this.pending.get(queue[0] as number) as Pending).doneTime !== undefined) {
        const id = queue.shift() as number;
        out.push(this.decide(this.pending.get(id) as Pending));
        this.pending.delete(id);
      }
      if (queue.length === 0) this.queues.delete(p.pair);
    }
    return out;
  }

  private decide(p: Pending): CompletedTransfer {
    const doneTime = p.doneTime as number;
    const s = p.client.stats;
    s.sent++;
    s.bytesSent += p.bytes;
    s.wireBytes += p.wireBytes;
    s.retransmissions += p.retransmissions;
    let arrivalTime: number | null = null;
    if (p.dropped) {
      s.dropped++;
      s.bytesDropped += p.bytes;
    } else {
      let arrival = doneTime + p.tailS + oneWay(p.client, doneTime) + (p.access === null ? 0 : p.access.latencyS);
      const jitter = p.client.spec.jitterMs / 1000;
      if (jitter > 0) arrival += Math.abs(p.client.rng.normal(0, jitter));
      const prev = this.lastArrival.get(p.pair) ?? -Infinity;
      if (arrival < prev) arrival = prev;
      this.lastArrival.set(p.pair, arrival);
      arrivalTime = arrival;
      s.delivered++;
      s.bytesDelivered += p.bytes;
    }
    return {
      tag: p.tag,
      delivery: {
        sendTime: p.sendTime,
        startTime: p.sendTime,
        arrivalTime,
        retransmissions: p.retransmissions,
        dropped: p.dropped,
        wireBytes: p.wireBytes,
        bytes: p.bytes,
        packets: p.packets,
      },
    };
  }
}
