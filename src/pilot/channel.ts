/**
 * One end of a pilot connection, above the WebSocket: sends logical messages as frames
 * (chunked above `chunkBytes`, one message at a time, waiting for the socket to drain) and
 * turns incoming frames back into messages, refusing replays, impostors and bad frames.
 */
import type WebSocket from 'ws';
import { decodeFrame, encodeFrame, type FrameError, type FrameHeader } from './frame.js';

/** A logical message between a site and the server. */
export interface Envelope {
  from: string;
  to: string;
  kind: string;
  round: number;
  step: number;
  /** Sender's clock when it started sending (seconds since the run started). */
  t: number;
  meta?: unknown;
  payload: Uint8Array;
}

/** Limits of a connection, with their defaults in {@link DEFAULT_LIMITS}. */
export interface ChannelLimits {
  /** Payload bytes per frame; larger messages are streamed in chunks of this size. */
  chunkBytes: number;
  /** Largest logical message accepted, in payload bytes. */
  maxMessageBytes: number;
  /** Bytes queued on the socket above which the sender waits before the next chunk. */
  highWaterBytes: number;
}

export const DEFAULT_LIMITS: ChannelLimits = { chunkBytes: 256 * 1024, maxMessageBytes: 256 * 1024 * 1024, highWaterBytes: 1024 * 1024 };

/** Largest WebSocket message a connection with `limits` accepts (a chunk plus its header). */
export function maxFrameBytes(limits: ChannelLimits): number {
  return limits.chunkBytes + 32 * 1024;
}

/** What became of one incoming frame. */
export type Verdict = 'ok' | 'partial' | 'replay' | 'impostor' | 'misrouted' | 'order' | 'oversize' | FrameError;

/** Who may appear as sender and receiver on this end. */
export interface Peers {
  /** Accepted `from` values (on the server: exactly the site's own actor name). */
  from: ReadonlySet<string>;
  /** Accepted `to` values. */
  to: ReadonlySet<string>;
}

interface Partial {
  header: FrameHeader;
  buf: Uint8Array;
  filled: number;
  next: number;
  since: number;
}

/** Reassembles messages from frames; one instance per connection direction. */
export class FrameReceiver {
  /** Highest frame seq accepted so far (persisted across reconnections by the owner). */
  lastSeq: number;
  private partial: Partial | null = null;
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly peers: Peers,
    private readonly limits: ChannelLimits,
    lastSeq = 0,
  ) {
    this.lastSeq = lastSeq;
  }

  /** Since when (ms, caller's clock) a message has been half received, or null. */
  partialSince(): number | null {
    return this.partial === null ? null : this.partial.since;
  }

  /** Feeds one WebSocket message; a whole logical message goes to `deliver`. */
  feed(data: Uint8Array, nowMs: number, deliver: (e: Envelope) => void): Verdict {
    const v = this.verdict(data, nowMs, deliver);
    this.counts[v] = (this.counts[v] ?? 0) + 1;
    return v;
  }

  private verdict(data: Uint8Array, nowMs: number, deliver: (e: Envelope) => void): Verdict {
    const f = decodeFrame(data);
    if (typeof f === 'string') return f;
    const h = f.header;
    if (!this.peers.from.has(h.from)) return 'impostor';
    if (!this.peers.to.has(h.to)) return 'misrouted';
    if (h.seq <= this.lastSeq) return 'replay';
    if (h.total > this.limits.maxMessageBytes) return 'oversize';
    this.lastSeq = h.seq;
    const p = this.partial;
    if (h.part === 0) {
      // A new message while another is half received: the sender gave up on that one.
      this.partial = null;
      if (h.parts === 1) {
        if (h.len !== h.total) return 'length';
        deliver({ from: h.from, to: h.to, kind: h.kind, round: h.round, step: h.step, t: h.t, meta: h.meta, payload: new Uint8Array(f.payload) });
        return 'ok';
      }
      const buf = new Uint8Array(h.total);
      if (h.len > h.total) return 'length';
      buf.set(f.payload, 0);
      this.partial = { header: h, buf, filled: h.len, next: 1, since: nowMs };
      return 'partial';
    }
    if (p === null || h.mid !== p.header.mid || h.part !== p.next || h.parts !== p.header.parts || h.total !== p.header.total) {
      this.partial = null;
      return 'order';
    }
    if (p.filled + h.len > p.header.total) {
      this.partial = null;
      return 'length';
    }
    p.buf.set(f.payload, p.filled);
    p.filled += h.len;
    p.next += 1;
    if (p.next < p.header.parts) return 'partial';
    this.partial = null;
    if (p.filled !== p.header.total) return 'length';
    const h0 = p.header;
    deliver({ from: h0.from, to: h0.to, kind: h0.kind, round: h0.round, step: h0.step, t: h0.t, meta: h0.meta, payload: p.buf });
    return 'ok';
  }
}

/** Sends messages on one socket, one at a time, in chunks, respecting backpressure. */
export class FrameSender {
  private queue: Promise<boolean> = Promise.resolve(true);
  private mid = 0;

  /** @param nextSeq first frame seq to use (continues across reconnections) */
  constructor(
    private readonly ws: WebSocket,
    private readonly limits: ChannelLimits,
    public nextSeq: number,
  ) {}

  /** Queues `e`; resolves true once its last frame was handed to the socket, false if the socket closed. */
  send(e: Envelope): Promise<boolean> {
    const job = this.queue.then(() => this.sendNow(e));
    this.queue = job.catch(() => false);
    return job;
  }

  private async sendNow(e: Envelope): Promise<boolean> {
    const total = e.payload.byteLength;
    const chunk = this.limits.chunkBytes;
    const parts = Math.max(1, Math.ceil(total / chunk));
    const mid = ++this.mid;
    for (let part = 0; part < parts; part++) {
      if (this.ws.readyState !== this.ws.OPEN) return false;
      const header: FrameHeader = {
        from: e.from,
        to: e.to,
        seq: this.nextSeq++,
        kind: e.kind,
        round: e.round,
        step: e.step,
        mid,
        part,
        parts,
        total,
        len: 0,
        t: e.t,
        ...(part === 0 && e.meta !== undefined ? { meta: e.meta } : {}),
      };
      const frame = encodeFrame(header, e.payload.subarray(part * chunk, Math.min(total, (part + 1) * chunk)));
      const sent = new Promise<boolean>((resolve) => this.ws.send(frame, { binary: true }, (err) => resolve(err === undefined || err === null)));
      // Backpressure: stop queueing once the socket holds more than the high-water mark.
      if (this.ws.bufferedAmount > this.limits.highWaterBytes || part === parts - 1) {
        if (!(await sent)) return false;
      }
    }
    return true;
  }
}
