/**
 * The first network model: one directed link, a pure function of (message bytes, link state,
 * rng) to a delivery time or a drop (STYLE principle 3). Actors never compute latency.
 *
 * Model, per message of `bytes` payload bytes sent at `sendTime`:
 * - **FIFO queueing.** Serialisation starts at `max(sendTime, busyUntil)`.
 * - **Packets and headers.** The message is cut into `ceil(bytes / (mtu − 40))` packets, each
 *   carrying 40 header bytes (20 IPv4 + 20 TCP, no options); `wireBytes = bytes + 40·packets`.
 *   A 0-byte message has no packets: it takes no wire time, cannot be lost, and arrives after
 *   the propagation delay alone (a pure signal, e.g. an empty control message).
 * - **Serialisation** takes `wireBytes · 8 / (bandwidthMbps · 10⁶)` seconds; the link is busy
 *   for exactly that long (retransmitted packets included).
 * - **Propagation** adds `latencyMs` plus a jitter draw `|N(0, jitterMs)|` (a half-normal,
 *   mean `jitterMs·√(2/π)`), after which arrival is clamped to the previous arrival on this link
 *   so the link stays FIFO (a TCP receiver delivers in order).
 * - **Loss, reliable mode** (a TCP-like stream): every transmission of every packet is lost
 *   independently with probability `loss`; a lost packet is retransmitted (its serialisation time
 *   is paid again) until it gets through. Recovery waits, a simplification of TCP loss recovery
 *   without SACK/RACK: the first loss of a packet costs one RTT (`2·latency`, fast retransmit
 *   after three dup-ACKs) unless the packet is among the message's last 3, which leave too few
 *   later packets to raise three dup-ACKs and so wait a retransmission timeout `rtoMs`
 *   (RFC 6298 §5; Linux's minimum RTO is 200 ms). A retransmission that is lost again raises no
 *   new dup-ACKs and also waits an RTO, doubled on each repeat (RFC 6298 §5.5), capped at 120 s
 *   (Linux TCP_RTO_MAX). Recovery waits delay this message's arrival, and through the FIFO clamp
 *   every later one on the link (head-of-line blocking), but do not occupy the wire: the next
 *   message may serialise meanwhile. Window dynamics (slow start, congestion avoidance) are not
 *   modelled here.
 * - **Loss, lossy mode** (datagram-like): the message is dropped if any of its packets is lost
 *   (`dropped`, `arrivalTime: null`); its serialisation time is consumed all the same.
 *
 * Loss draws use geometric skipping (the number of successful transmissions before the next
 * loss is Geometric(loss)), so a message costs O(losses) random draws, not O(packets).
 */
import { linkLosses, validateGilbertElliott, type GilbertElliottSpec, type LossProcess } from './lossModel.js';
import type { Rng } from './rng.js';
import type { CapacityTrace, LatencyTrace } from './trace.js';

/** A directed link's parameters, as a scenario states them. */
export interface LinkSpec {
  bandwidthMbps: number;
  latencyMs: number;
  jitterMs: number;
  /** Per-packet loss probability, 0..1 (< 1 in reliable mode). */
  loss: number;
  mode: 'reliable' | 'lossy';
  /** Maximum IP packet size in bytes, headers included (default 1500). */
  mtuBytes?: number;
  /** Retransmission timeout in ms (default 200, the Linux minimum RTO). */
  rtoMs?: number;
  /** Bursty loss: a Gilbert–Elliott chain replaces independent loss (`loss` is then unused). */
  burst?: GilbertElliottSpec;
  /** Capacity over time; replaces `bandwidthMbps` for serialisation. */
  bandwidthTrace?: CapacityTrace;
  /** One-way latency over time (half the traced RTT); replaces `latencyMs`. */
  latencyTrace?: LatencyTrace;
}

/** A validated spec: defaults filled in, trace and burst fields kept as given. */
export type ValidLinkSpec = Required<Omit<LinkSpec, 'burst' | 'bandwidthTrace' | 'latencyTrace'>> &
  Pick<LinkSpec, 'burst' | 'bandwidthTrace' | 'latencyTrace'>;

/** The outcome of one message on one link. Times in virtual seconds. */
export interface Delivery {
  sendTime: number;
  /** When serialisation began (after queueing behind earlier messages on this link). */
  startTime: number;
  /** When the last byte reached the receiver; `null` if dropped. */
  arrivalTime: number | null;
  /** Packet retransmissions (reliable mode). */
  retransmissions: number;
  dropped: boolean;
  /** Every byte serialised for this message: payload, headers, retransmitted packets. */
  wireBytes: number;
  /** Payload bytes of the message. */
  bytes: number;
  /** Packets the message was cut into (before retransmission). */
  packets: number;
}

/** Cumulative per-link counters; `bytes*` count payload bytes, `wireBytes` every byte serialised. */
export interface LinkStats {
  sent: number;
  delivered: number;
  dropped: number;
  bytesSent: number;
  bytesDelivered: number;
  bytesDropped: number;
  wireBytes: number;
  retransmissions: number;
}

/** Counters of a link that has carried nothing yet. */
export function emptyLinkStats(): LinkStats {
  return { sent: 0, delivered: 0, dropped: 0, bytesSent: 0, bytesDelivered: 0, bytesDropped: 0, wireBytes: 0, retransmissions: 0 };
}

/** Per-message options of {@link Link.transmit}. */
export interface TransmitOptions {
  /**
   * Overrides the link's mode for this message: `true` sends it reliably (e.g. control and
   * weights messages ride TCP even when the data plane is datagram-like), `false` as a datagram.
   */
  reliable?: boolean;
}

/** 20-byte IPv4 header + 20-byte TCP header without options. */
export const HEADER_BYTES = 40;
export const DEFAULT_MTU_BYTES = 1500;
export const DEFAULT_RTO_MS = 200;
/** Linux TCP_RTO_MAX. */
export const MAX_RTO_MS = 120_000;
/** RFC 791: every IPv4 host must handle 68-byte datagrams. */
const MIN_MTU_BYTES = 68;

function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && !Number.isNaN(v);
}

/**
 * Checks a link spec and fills in defaults; errors name `${field}.<key>` and the bad value.
 * @example validateLinkSpec(spec, 'network.clients[2].uplink');
 */
export function validateLinkSpec(spec: LinkSpec, field = 'link'): ValidLinkSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new Error(`${field}: must be an object, got ${show(spec)}`);
  }
  const { bandwidthMbps, latencyMs, jitterMs, loss, mode } = spec;
  const mtuBytes = spec.mtuBytes ?? DEFAULT_MTU_BYTES;
  const rtoMs = spec.rtoMs ?? DEFAULT_RTO_MS;
  if (!isNum(bandwidthMbps) || !(bandwidthMbps > 0) || bandwidthMbps === Infinity) {
    throw new Error(`${field}.bandwidthMbps: must be a finite number > 0, got ${show(bandwidthMbps)}`);
  }
  if (!isNum(latencyMs) || !(latencyMs >= 0) || latencyMs === Infinity) {
    throw new Error(`${field}.latencyMs: must be a finite number >= 0, got ${show(latencyMs)}`);
  }
  if (!isNum(jitterMs) || !(jitterMs >= 0) || jitterMs === Infinity) {
    throw new Error(`${field}.jitterMs: must be a finite number >= 0, got ${show(jitterMs)}`);
  }
  if (mode !== 'reliable' && mode !== 'lossy') {
    throw new Error(`${field}.mode: must be 'reliable' or 'lossy', got ${show(mode)}`);
  }
  if (mode === 'reliable' && !(isNum(loss) && loss >= 0 && loss < 1)) {
    throw new Error(`${field}.loss: must be in [0, 1) in reliable mode, got ${show(loss)}`);
  }
  if (mode === 'lossy' && !(isNum(loss) && loss >= 0 && loss <= 1)) {
    throw new Error(`${field}.loss: must be in [0, 1], got ${show(loss)}`);
  }
  if (!Number.isInteger(mtuBytes) || mtuBytes < MIN_MTU_BYTES) {
    throw new Error(`${field}.mtuBytes: must be an integer >= ${MIN_MTU_BYTES}, got ${show(mtuBytes)}`);
  }
  if (!isNum(rtoMs) || !(rtoMs >= 0) || rtoMs === Infinity) {
    throw new Error(`${field}.rtoMs: must be a finite number >= 0, got ${show(rtoMs)}`);
  }
  const out: ValidLinkSpec = { bandwidthMbps, latencyMs, jitterMs, loss, mode, mtuBytes, rtoMs };
  if (spec.burst !== undefined) {
    const b = validateGilbertElliott(spec.burst, `${field}.burst`);
    if (mode === 'reliable' && b.lossBad >= 1 && b.pBadToGood <= 0 && b.pGoodToBad > 0) {
      throw new Error(`${field}.burst.pBadToGood: must be > 0 in reliable mode when lossBad is 1 (the Bad state would never end), got 0`);
    }
    out.burst = b;
  }
  if (spec.bandwidthTrace !== undefined) out.bandwidthTrace = spec.bandwidthTrace;
  if (spec.latencyTrace !== undefined) out.latencyTrace = spec.latencyTrace;
  return out;
}

/** Packets a `bytes`-byte message needs at this MTU (0 for an empty message). */
export function packetCount(bytes: number, mtuBytes = DEFAULT_MTU_BYTES): number {
  return Math.ceil(bytes / (mtuBytes - HEADER_BYTES));
}

/** Bytes a `bytes`-byte message puts on the wire without losses: payload plus headers. */
export function wireBytesOf(bytes: number, mtuBytes = DEFAULT_MTU_BYTES): number {
  return bytes + HEADER_BYTES * packetCount(bytes, mtuBytes);
}

/** One directed FIFO link. */
export class Link {
  readonly spec: Readonly<ValidLinkSpec>;
  private readonly bitsPerSecond: number;
  private readonly latencyS: number;
  private readonly jitterS: number;
  private readonly rttS: number;
  private readonly rtoS: number;
  private readonly maxRtoS: number;
  private readonly payloadPerPacket: number;
  private readonly lossy: boolean;
  private readonly loss: number;
  private readonly losses: LossProcess;
  /** Gilbert–Elliott only: packets left before the next loss, carried across messages (−1: none). */
  private carry = -1;
  private readonly trace: CapacityTrace | undefined;
  private readonly latencyTrace: LatencyTrace | undefined;
  /** Traced links: capacity used so far, as a level of the trace's cumulative function. */
  private level = 0;
  private busy = -Infinity;
  private lastArrival = -Infinity;
  private readonly counters: LinkStats = emptyLinkStats();

  /**
   * @param name the link's name in logs and errors, e.g. `client-3/uplink`
   * @param spec validated here; `field` prefixes error messages
   * @param rng this link's own stream (loss and jitter draws)
   */
  constructor(
    readonly name: string,
    spec: LinkSpec,
    private readonly rng: Rng,
    field = 'link',
  ) {
    const s = validateLinkSpec(spec, field);
    this.spec = Object.freeze(s);
    this.bitsPerSecond = s.bandwidthMbps * 1e6;
    this.latencyS = s.latencyMs / 1000;
    this.jitterS = s.jitterMs / 1000;
    this.rttS = 2 * this.latencyS;
    this.rtoS = s.rtoMs / 1000;
    this.maxRtoS = Math.max(this.rtoS, MAX_RTO_MS / 1000);
    this.payloadPerPacket = s.mtuBytes - HEADER_BYTES;
    this.lossy = s.mode === 'lossy';
    this.losses = linkLosses(s, rng);
    this.loss = this.losses.meanLoss;
    this.trace = s.bandwidthTrace;
    this.latencyTrace = s.latencyTrace;
  }

  /** When the wire finishes serialising everything accepted so far (−∞ before the first message). */
  get busyUntil(): number {
    return this.busy;
  }

  /** A snapshot of the cumulative counters. */
  get stats(): LinkStats {
    return { ...this.counters };
  }

  /**
   * Sends a `bytes`-byte message at `sendTime` (seconds) and returns its fate. Calls must come in
   * the order the messages enter the link; `sendTime` may be earlier than `busyUntil` (it queues).
   * @example const d = link.transmit(65_536, kernel.now); if (!d.dropped) kernel.schedule(d.arrivalTime!, msg);
   */
  transmit(bytes: number, sendTime: number, options?: TransmitOptions): Delivery {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new Error(`${this.name}.transmit: bytes must be an integer >= 0, got ${bytes}`);
    }
    if (!Number.isFinite(sendTime)) {
      throw new Error(`${this.name}.transmit: sendTime must be finite, got ${sendTime}`);
    }
    const lossy = options?.reliable === undefined ? this.lossy : !options.reliable;
    if (!lossy && this.spec.burst === undefined && this.loss >= 1) {
      throw new Error(`${this.name}.transmit: a reliable message cannot cross a link with loss 1`);
    }
    const startTime = sendTime > this.busy ? sendTime : this.busy;
    const packets = Math.ceil(bytes / this.payloadPerPacket);
    let wireBytes = bytes + HEADER_BYTES * packets;
    let retransmissions = 0;
    let recovery = 0;
    let dropped = false;

    const rttS = this.latencyTrace === undefined ? this.rttS : 2 * this.latencyTrace.oneWayAt(startTime);
    if (packets > 0 && this.loss > 0) {
      if (lossy) {
        const gap = this.firstGap();
        dropped = gap < packets;
        if (this.spec.burst !== undefined) this.carryPast(gap, packets);
      } else {
        const lastSize = bytes - (packets - 1) * this.payloadPerPacket + HEADER_BYTES;
        const fullSize = this.payloadPerPacket + HEADER_BYTES;
        let gap = this.firstGap();
        let i = 0;
        while (gap < packets - i) {
          i += gap; // packets before i got through; packet i's transmission is lost
          const size = i === packets - 1 ? lastSize : fullSize;
          let rto = this.rtoS;
          let firstLoss = true;
          let next: number;
          do {
            retransmissions++;
            wireBytes += this.resentWireBytes(size);
            if (firstLoss && i < packets - 3) {
              recovery += rttS;
            } else {
              recovery += rto;
              rto = Math.min(2 * rto, this.maxRtoS);
            }
            firstLoss = false;
            next = this.losses.nextGap();
          } while (next === 0); // the retransmission itself was lost
          gap = next - 1; // the retransmission used up one success
          i++;
        }
        if (this.spec.burst !== undefined) this.carry = gap - (packets - i);
      }
    }

    let wireDone: number;
    if (this.trace === undefined) {
      wireDone = startTime + (wireBytes * 8) / this.bitsPerSecond;
    } else {
      // The trace's cumulative capacity: this message takes the next `wireBytes` of it.
      const from = Math.max(this.trace.cumulative(sendTime), this.level);
      this.level = from + wireBytes;
      wireDone = Math.max(startTime, this.trace.timeOfLevel(this.level));
    }
    this.busy = wireDone;

    const c = this.counters;
    c.sent++;
    c.bytesSent += bytes;
    c.wireBytes += wireBytes;
    c.retransmissions += retransmissions;
    let arrivalTime: number | null = null;
    if (dropped) {
      c.dropped++;
      c.bytesDropped += bytes;
    } else {
      const latency = this.latencyTrace === undefined ? this.latencyS : this.latencyTrace.oneWayAt(wireDone);
      let arrival = wireDone + recovery + latency;
      if (this.jitterS > 0) arrival += Math.abs(this.rng.normal(0, this.jitterS));
      if (arrival < this.lastArrival) arrival = this.lastArrival;
      this.lastArrival = arrival;
      arrivalTime = arrival;
      c.delivered++;
      c.bytesDelivered += bytes;
    }
    return { sendTime, startTime, arrivalTime, retransmissions, dropped, wireBytes, bytes, packets };
  }

  /**
   * Wire bytes one retransmitted packet adds (its payload and header). A named step so that the
   * checker's planted link bug (src/check/plantedBugs.ts) can swap it, as it swaps a machine's guard.
   */
  protected resentWireBytes(packetBytes: number): number {
    return packetBytes;
  }

  /**
   * Packets before the next loss at the start of a message. Independent loss is memoryless, so
   * a fresh draw is exact; a Gilbert–Elliott chain continues where the last message left it.
   */
  private firstGap(): number {
    if (this.carry >= 0) {
      const g = this.carry;
      this.carry = -1;
      return g;
    }
    return this.losses.nextGap();
  }

  /** Lossy Gilbert–Elliott messages: runs the chain through the rest of the message's packets. */
  private carryPast(gap: number, packets: number): void {
    let i = 0;
    let g = gap;
    while (g < packets - i) {
      i += g + 1;
      g = this.losses.nextGap();
    }
    this.carry = g - (packets - i);
  }
}
