/**
 * The traffic log (docs/formats.md): one NDJSON line per message, written as soon as the
 * message's fate is known, flushed in chunks so a failed run keeps what it logged.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { CODEC_KINDS, SPLIT_KINDS, type MessageKind } from '../protocol/messages.js';

export interface TrafficRecord {
  seq: number;
  round: number;
  step: number;
  src: string;
  dst: string;
  kind: MessageKind;
  codec: string;
  rawBytes: number;
  wireBytes: number;
  sendTime: number;
  recvTime: number | null;
  retransmissions: number;
  dropped: boolean;
}

/** Field order of a line: fixed, so that equal runs give byte-identical logs. */
function line(r: TrafficRecord): string {
  return `{"seq":${r.seq},"round":${r.round},"step":${r.step},"src":${JSON.stringify(r.src)},"dst":${JSON.stringify(
    r.dst,
  )},"kind":"${r.kind}","codec":${JSON.stringify(r.codec)},"rawBytes":${r.rawBytes},"wireBytes":${r.wireBytes},"sendTime":${
    r.sendTime
  },"recvTime":${r.recvTime === null ? 'null' : r.recvTime},"retransmissions":${r.retransmissions},"dropped":${r.dropped}}\n`;
}

/** An NDJSON file written in chunks as lines come (a failed run keeps what it wrote). */
export class NdjsonWriter {
  private fd: number | null;
  private pending: string[] = [];
  /** Lines appended so far. */
  count = 0;

  /** @param path file to write, or null to keep nothing on disk (tests, sweeps that only need totals) */
  constructor(path: string | null) {
    this.fd = path === null ? null : openSync(path, 'w');
  }

  appendLine(text: string): void {
    this.count += 1;
    if (this.fd === null) return;
    this.pending.push(text);
    if (this.pending.length >= 512) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** traffic.ndjson. */
export class TrafficLog extends NdjsonWriter {
  append(record: TrafficRecord): void {
    this.appendLine(line(record));
  }
}

/** One compute task on the virtual timeline. */
export interface TimelineRecord {
  round: number;
  step: number;
  actor: string;
  task: string;
  device: string;
  start: number;
  end: number;
  flops: number;
}

/** timeline.ndjson: one line per compute task with its virtual start and end. */
export class TimelineLog extends NdjsonWriter {
  append(r: TimelineRecord): void {
    this.appendLine(
      `{"round":${r.round},"step":${r.step},"actor":${JSON.stringify(r.actor)},"task":"${r.task}","device":${JSON.stringify(
        r.device,
      )},"start":${r.start},"end":${r.end},"flops":${r.flops}}\n`,
    );
  }
}

/**
 * Per-kind and per-direction byte totals, accumulated as messages are logged. Direction (DESIGN
 * §8): `up` from a client, `down` to a client, `internal` between federator and split server.
 */
export class TrafficTotals {
  readonly byKind: Record<string, { raw: number; wire: number; messages: number }> = {};
  up = 0;
  down = 0;
  internal = 0;
  splitRaw = 0;
  splitWire = 0;
  /** Raw (fp32) bytes of every kind but the codecs' own: what an uncompressed run would send. */
  nonCodecRaw = 0;
  all = 0;
  dropped = 0;
  /** Bytes per batch (`client/round/step`) and kind, of batches a client abandoned or may abandon. */
  private readonly batches = new Map<string, Record<string, number>>();
  private readonly abandoned = new Set<string>();

  add(r: TrafficRecord): void {
    const k = (this.byKind[r.kind] ??= { raw: 0, wire: 0, messages: 0 });
    k.raw += r.rawBytes;
    k.wire += r.wireBytes;
    k.messages += 1;
    if (r.src.startsWith('client-')) this.up += r.wireBytes;
    else if (r.dst.startsWith('client-')) this.down += r.wireBytes;
    else this.internal += r.wireBytes;
    this.all += r.wireBytes;
    if (!CODEC_KINDS.has(r.kind)) this.nonCodecRaw += r.rawBytes;
    if (SPLIT_KINDS.has(r.kind)) {
      this.splitRaw += r.rawBytes;
      this.splitWire += r.wireBytes;
    }
    if (r.step >= 0 && (SPLIT_KINDS.has(r.kind) || r.kind === 'control')) {
      const client = r.src.startsWith('client-') ? r.src : r.dst;
      const b = this.batches.get(`${client}/${r.round}/${r.step}`) ?? {};
      b[r.kind] = (b[r.kind] ?? 0) + r.wireBytes;
      this.batches.set(`${client}/${r.round}/${r.step}`, b);
    }
    if (r.dropped) this.dropped += 1;
  }

  /** Client k gave up on batch (round, step): every byte of that batch, before or after, was spent for nothing. */
  abandon(k: number, round: number, step: number): void {
    this.abandoned.add(`client-${k}/${round}/${step}`);
  }

  /** Wire bytes of abandoned batches, per kind, and their total. */
  wasted(): Record<string, number> & { total: number } {
    const out: Record<string, number> & { total: number } = { total: 0 };
    for (const key of [...this.abandoned].sort()) {
      for (const [kind, bytes] of Object.entries(this.batches.get(key) ?? {})) {
        out[kind] = (out[kind] ?? 0) + bytes;
        out.total += bytes;
      }
    }
    return out;
  }
}
