/**
 * A protocol message as it crosses a pilot connection: the WireMessage (blob references
 * replaced by indices into the payload) in the first frame's meta, the blobs' bytes as the
 * payload. The receiver checks the description against a schema and an allow-list of the
 * kinds its peer may send, then stores the blobs locally under its own ids.
 */
import { z } from 'zod';
import type { Blob, BlobStore } from '../compute/blobStore.js';
import type { BlobRef, WireMessage } from '../protocol/messages.js';
import type { Envelope } from './channel.js';

const nat = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const blobRef = z.object({ id: nat, bytes: nat, rawBytes: nat, codec: z.string().max(64) }).strict();
const blobDesc = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('bytes'), len: nat, rawBytes: nat, codec: z.string().max(64) }).strict(),
  z.object({ kind: z.literal('labels'), len: nat, shape: z.array(nat).max(8) }).strict(),
  z.object({ kind: z.literal('tensor'), len: nat, shape: z.array(nat).max(8) }).strict(),
]);
const ints = z.array(nat).max(100_000);
const control = z.discriminatedUnion('op', [
  z.object({ op: z.literal('round.start'), participants: ints }).strict(),
  z.object({ op: z.literal('turn') }).strict(),
  z.object({ op: z.literal('turn.done') }).strict(),
  z.object({ op: z.literal('aggregate'), participants: ints, samples: ints }).strict(),
  z.object({ op: z.literal('aggregated') }).strict(),
  z.object({ op: z.literal('labels'), step: nat, blob: blobRef }).strict(),
  z.object({ op: z.literal('abandon'), step: nat }).strict(),
]);
const round = nat;
const step = nat;
const wireMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('weights.down'), round, blob: blobRef, codec: z.boolean().optional() }).strict(),
  z.object({ kind: z.literal('weights.up'), round, blob: blobRef, samples: nat, codec: z.boolean().optional() }).strict(),
  z.object({ kind: z.literal('codec.down'), round, blob: blobRef }).strict(),
  z.object({ kind: z.literal('codec.up'), round, blob: blobRef }).strict(),
  z.object({ kind: z.literal('features.s1'), round, step, blob: blobRef }).strict(),
  z.object({ kind: z.literal('features.s2'), round, step, blob: blobRef }).strict(),
  z.object({ kind: z.literal('gradients.s2'), round, step, blob: blobRef }).strict(),
  z.object({ kind: z.literal('gradients.s1'), round, step, blob: blobRef }).strict(),
  z.object({ kind: z.literal('control'), round, control }).strict(),
]);
const metaSchema = z.object({ id: nat, msg: wireMessage, blobs: z.array(blobDesc).max(4) }).strict();

/** The meta of a protocol message's first frame. */
export type MessageMeta = z.infer<typeof metaSchema>;

/**
 * What a site may send to whom (everything else is dropped): client → server its split
 * tensors, turn hand-backs and labels; client → federator its weights.
 */
export const CLIENT_MAY_SEND: Readonly<Record<string, ReadonlySet<string>>> = {
  server: new Set(['features.s1', 'gradients.s2', 'control:turn.done', 'control:labels', 'control:abandon']),
  federator: new Set(['weights.up', 'codec.up']),
};

/** `kind`, or `control:<op>` for control messages. */
export function kindKey(msg: WireMessage): string {
  return msg.kind === 'control' ? `control:${msg.control.op}` : msg.kind;
}

function refsOf(msg: WireMessage): BlobRef[] {
  if (msg.kind === 'control') return msg.control.op === 'labels' ? [msg.control.blob] : [];
  return [msg.blob];
}

function bytesOf(b: Blob): Uint8Array {
  return new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
}

/** Builds the envelope of `msg` from the sender's blob store (blobs are read, not taken). */
export function toEnvelope(from: string, to: string, msg: WireMessage, id: number, blobs: BlobStore, t: number): Envelope {
  const refs = refsOf(msg);
  const held = refs.map((r) => blobs.get(r.id));
  const descs: MessageMeta['blobs'] = held.map((b) =>
    b.kind === 'bytes'
      ? { kind: 'bytes', len: b.data.byteLength, rawBytes: b.rawBytes, codec: b.codec }
      : { kind: b.kind, len: b.data.byteLength, shape: [...b.shape] },
  );
  const index = (r: BlobRef, i: number): BlobRef => ({ ...r, id: i });
  const described: WireMessage =
    msg.kind === 'control'
      ? msg.control.op === 'labels'
        ? { ...msg, control: { ...msg.control, blob: index(msg.control.blob, 0) } }
        : msg
      : { ...msg, blob: index(msg.blob, 0) };
  const total = held.reduce((a, b) => a + b.data.byteLength, 0);
  const payload = new Uint8Array(total);
  let off = 0;
  for (const b of held) {
    payload.set(bytesOf(b), off);
    off += b.data.byteLength;
  }
  const stepOf = 'step' in msg ? msg.step : msg.kind === 'control' && msg.control.op === 'labels' ? msg.control.step : -1;
  const meta: MessageMeta = { id, msg: described as MessageMeta['msg'], blobs: descs };
  return { from, to, kind: msg.kind, round: msg.round, step: stepOf, t, meta, payload };
}

/**
 * Checks an incoming envelope and stores its blobs; returns the message with local blob ids
 * and the sender's message id, or why it was refused.
 */
export function fromEnvelope(e: Envelope, blobs: BlobStore, allowed?: Readonly<Record<string, ReadonlySet<string>>>): { id: number; msg: WireMessage } | string {
  const parsed = metaSchema.safeParse(e.meta);
  if (!parsed.success) return 'meta: does not describe a protocol message';
  const { id, msg, blobs: descs } = parsed.data;
  const m = msg as WireMessage;
  if (m.kind !== e.kind || m.round !== e.round) return 'meta: kind or round differs from the frame header';
  if (allowed !== undefined && !(allowed[e.to]?.has(kindKey(m)) ?? false)) return `kind: ${kindKey(m)} may not be sent to ${e.to}`;
  const refs = refsOf(m);
  if (refs.length !== descs.length) return 'meta: blob count differs from the message';
  const total = descs.reduce((a, d) => a + d.len, 0);
  if (total !== e.payload.byteLength) return 'meta: blob lengths differ from the payload';
  const local: BlobRef[] = [];
  let off = 0;
  for (const d of descs) {
    // A plain copy (not a Buffer view, whose slice() would share memory): codecs read `.buffer`.
    const raw = new Uint8Array(e.payload.subarray(off, off + d.len));
    off += d.len;
    let blob: Blob;
    if (d.kind === 'bytes') blob = { kind: 'bytes', data: raw, rawBytes: d.rawBytes, codec: d.codec };
    else if (d.kind === 'labels') blob = { kind: 'labels', data: raw, shape: d.shape };
    else {
      if (d.len % 4 !== 0) return 'meta: tensor length is not a multiple of 4';
      blob = { kind: 'tensor', data: new Float32Array(raw.buffer, raw.byteOffset, d.len / 4), shape: d.shape };
    }
    local.push(blobs.put(blob));
  }
  const ref = local[0] as BlobRef;
  const out: WireMessage =
    m.kind === 'control' ? (m.control.op === 'labels' ? { ...m, control: { ...m.control, blob: ref } } : m) : { ...m, blob: ref };
  return { id, msg: out };
}
