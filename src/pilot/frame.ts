/**
 * Pilot frames: what crosses a pilot connection. A frame is `SWF1`, a 4-byte big-endian
 * header length, a JSON header, then `len` payload bytes. One logical message (a container
 * plus its WireMessage) may span several frames (`part` of `parts`) so a large tensor is sent
 * in chunks, each one waiting for the socket to drain. Every frame has its own `seq`
 * (per sender, strictly increasing): a replayed or duplicated frame is recognised by it.
 */
import { z } from 'zod';
import { MESSAGE_KINDS } from '../protocol/messages.js';

const MAGIC = 0x53574631; // 'SWF1'
/** Largest header accepted, in bytes. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Session kinds besides the protocol's message kinds (`clock`: a site's clock ping and the server's answer). */
export const SESSION_KINDS = ['hello', 'welcome', 'receipt', 'loss', 'clock', 'bye'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

const actorName = z.string().regex(/^(server|federator|client-\d{1,6})$/);
const int = (min: number): z.ZodNumber => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);

export const frameHeaderSchema = z
  .object({
    from: actorName,
    to: actorName,
    seq: int(1),
    kind: z.enum([...MESSAGE_KINDS, ...SESSION_KINDS] as unknown as [string, ...string[]]),
    round: int(-1),
    step: int(-1),
    /** Logical message id (per sender); its frames are parts 0..parts-1 in order. */
    mid: int(1),
    part: int(0),
    parts: int(1).max(1 << 20),
    /** Payload bytes of the whole logical message. */
    total: int(0),
    /** Payload bytes in this frame. */
    len: int(0),
    /** Sender's clock at sending, seconds since the run started (its own estimate). */
    t: z.number().finite(),
    /** Part 0 only: the message's description (validated by the receiver's own schema). */
    meta: z.unknown().optional(),
  })
  .strict()
  .refine((h) => h.part < h.parts && h.len <= h.total, { message: 'part must be < parts and len <= total' });

export type FrameHeader = z.infer<typeof frameHeaderSchema>;

export interface Frame {
  header: FrameHeader;
  payload: Uint8Array;
}

/** Serialises one frame. */
export function encodeFrame(header: FrameHeader, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.from(JSON.stringify({ ...header, len: payload.byteLength }));
  if (h.byteLength > MAX_HEADER_BYTES) throw new Error(`frame header: must be at most ${MAX_HEADER_BYTES} bytes, got ${h.byteLength}`);
  const out = Buffer.allocUnsafe(8 + h.byteLength + payload.byteLength);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE(h.byteLength, 4);
  h.copy(out, 8);
  out.set(payload, 8 + h.byteLength);
  return out;
}

/** Why a frame was refused. */
export type FrameError = 'short' | 'magic' | 'header-size' | 'header-json' | 'header-schema' | 'length';

/** Parses one frame; never throws on bad input (it answers why instead). */
export function decodeFrame(buf: Uint8Array): Frame | FrameError {
  if (buf.byteLength < 8) return 'short';
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0) !== MAGIC) return 'magic';
  const hl = view.getUint32(4);
  if (hl > MAX_HEADER_BYTES || 8 + hl > buf.byteLength) return 'header-size';
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, hl).toString('utf8'));
  } catch {
    return 'header-json';
  }
  const parsed = frameHeaderSchema.safeParse(raw);
  if (!parsed.success) return 'header-schema';
  const payload = buf.subarray(8 + hl);
  if (payload.byteLength !== parsed.data.len) return 'length';
  return { header: parsed.data, payload };
}
