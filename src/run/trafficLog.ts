/**
 * The traffic log (docs/formats.md): one NDJSON line per message, written as soon as the
 * message's fate is known, written in chunks and flushed (to the disk) at every round end, so a
 * killed run leaves a valid prefix holding every message of its completed rounds. Every line
 * ends with the run's id (`runId`), so files of different runs cannot be mixed unnoticed.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
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
  /** 1 on the second copy of a message the network duplicated (a fault schedule's `duplicate`); absent on what a sender sent. */
  copy?: number;
}

/** `,"runId":"…"}` plus newline: the end of every line of a run's logs. */
function lineEnd(runId: string | undefined): string {
  return runId === undefined ? '}\n' : `,"runId":${JSON.stringify(runId)}}\n`;
}

/** Field order of a line: fixed, so that equal runs give byte-identical logs (`copy` only on a duplicate's copy, so runs without faults keep their bytes). */
function line(r: TrafficRecord, end: string): string {
  return `{"seq":${r.seq},"round":${r.round},"step":${r.step},"src":${JSON.stringify(r.src)},"dst":${JSON.stringify(
    r.dst,
  )},"kind":"${r.kind}","codec":${JSON.stringify(r.codec)},"rawBytes":${r.rawBytes},"wireBytes":${r.wireBytes},"sendTime":${
    r.sendTime
  },"recvTime":${r.recvTime === null ? 'null' : r.recvTime},"retransmissions":${r.retransmissions},"dropped":${r.dropped}${r.copy ? `,"copy":${r.copy}` : ''}${end}`;
}

/** An NDJSON file written in chunks as lines come (a failed run keeps what it wrote). */
export class NdjsonWriter {
  private fd: number | null;
  private pending: string[] = [];
  /** Lines appended so far. */
  count = 0;

  /** What ends each line: the run id field (when given) and the newline. */
  protected readonly end: string;

  /**
   * @param path file to write, or null to keep nothing on disk (tests, sweeps that only need totals)
   * @param runId the run's id, written as the last field of every line
   * @param append continue an existing file (a resumed run, after cutting it back to its checkpoint)
   */
  constructor(path: string | null, runId?: string, append = false) {
    this.fd = path === null ? null : openSync(path, append ? 'a' : 'w');
    this.end = lineEnd(runId);
  }

  appendLine(text: string): void {
    this.count += 1;
    if (this.fd === null) return;
    this.pending.push(text);
    if (this.pending.length >= 512) this.write();
  }

  /** Hands the pending lines to the OS (survives a killed process, not a machine crash). */
  private write(): void {
    if (this.fd === null || this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
  }

  /** Writes every pending line and syncs the file to the disk (called at every round end and on signals). */
  async flush(): Promise<void> {
    this.write();
    if (this.fd !== null) fdatasyncSync(this.fd);
  }

  close(): void {
    this.write();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** traffic.ndjson. */
export class TrafficLog extends NdjsonWriter {
  append(record: TrafficRecord): void {
    this.appendLine(line(record, this.end));
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
      )},"start":${r.start},"end":${r.end},"flops":${r.flops}${this.end}`,
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
