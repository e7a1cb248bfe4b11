/**
 * How the learned codecs' own weights travel (`codec.up`, `codec.down`): in which rounds they
 * are synced (`codec.syncEvery`, frozen codecs never again) and in what form
 * (`codec.updateBits`: full fp32 weights, or fp16 / 8-bit deltas against the last synced copy).
 *
 * A codec update is a list of tensors (one per codec part), each in its own codec container
 * (`none`, `fp16` or `quant` with its own grid), prefixed with its u32 byte length (LE).
 */
import { createCodec, decodeAny } from '../codecs/index.js';
import type { CodecOptions } from '../codecs/types.js';
import { codecTrains, type SlotPlan } from './codecPlan.js';

/** Bits per value of a codec update: 32 full fp32 weights, 16 fp16 deltas, 8 8-bit deltas. */
export type UpdateBits = 8 | 16 | 32;

/**
 * Rounds (index = round) at whose end the codecs are synced: each copy's weights go up, are
 * averaged, and go down with the next round's weights. A round syncs when some learned codec
 * trains in it and it is the N-th since the last sync, the codecs' last training round, or the
 * run's last round (so the evaluated codec is the average). Empty plans: no round syncs.
 *
 * @example codecSyncRounds(plans, 5, 2) // → [false, true, false, true, true]
 */
export function codecSyncRounds(plans: readonly SlotPlan[], rounds: number, syncEvery: number): boolean[] {
  const learned = plans.filter((p) => p.kind === 'learned');
  return Array.from({ length: rounds }, (_, r) => {
    const trains = learned.some((p) => codecTrains(p, r));
    if (!trains) return false;
    const lastTraining = !learned.some((p) => codecTrains(p, r + 1));
    return (r + 1) % syncEvery === 0 || lastTraining || r === rounds - 1;
  });
}

/** The codec version held after `round` rounds started: how many syncs came before it. */
export function codecVersionAt(sync: readonly boolean[], round: number): number {
  let v = 0;
  for (let r = 0; r < round && r < sync.length; r++) if (sync[r] === true) v += 1;
  return v;
}

function codecFor(bits: UpdateBits): CodecOptions {
  return bits === 32 ? { name: 'none' } : bits === 16 ? { name: 'fp16' } : { name: 'quant', bits: 8 };
}

/** Packs tensors (full weights or deltas) as one update buffer, each tensor coded at `bits`. */
export function encodeUpdate(parts: readonly Float32Array[], bits: UpdateBits): Uint8Array {
  const codec = createCodec(codecFor(bits));
  const chunks = parts.map((p) => codec.encode({ data: p, shape: [p.length] }));
  const out = new Uint8Array(chunks.reduce((a, c) => a + 4 + c.byteLength, 0));
  const view = new DataView(out.buffer);
  let off = 0;
  for (const c of chunks) {
    view.setUint32(off, c.byteLength, true);
    out.set(c, off + 4);
    off += 4 + c.byteLength;
  }
  return out;
}

/** The tensors of an update buffer, in order; a truncated buffer is an error. */
export function decodeUpdate(buf: Uint8Array): Float32Array[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const parts: Float32Array[] = [];
  let off = 0;
  while (off < buf.byteLength) {
    if (off + 4 > buf.byteLength) throw new Error(`codec update: truncated length at byte ${off}`);
    const n = view.getUint32(off, true);
    if (off + 4 + n > buf.byteLength) throw new Error(`codec update: chunk at byte ${off} needs ${n} bytes, ${buf.byteLength - off - 4} left`);
    parts.push(decodeAny(buf.subarray(off + 4, off + 4 + n)).data);
    off += 4 + n;
  }
  return parts;
}

/** `base + delta`, element-wise, as a new array. */
export function addDelta(base: Float32Array, delta: Float32Array): Float32Array {
  if (base.length !== delta.length) throw new Error(`codec update: delta has ${delta.length} values, base ${base.length}`);
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) out[i] = (base[i] as number) + (delta[i] as number);
  return out;
}

/** `value - base`, element-wise. */
export function subtract(value: Float32Array, base: Float32Array): Float32Array {
  const out = new Float32Array(value.length);
  for (let i = 0; i < value.length; i++) out[i] = (value[i] as number) - (base[i] as number);
  return out;
}

/**
 * What a receiver reconstructs from `value` sent as a delta against `base` at `bits`:
 * `base + decode(encode(value − base))`. The sender adopts it too, so both ends hold the same
 * copy bit for bit and no error accumulates between them.
 */
export function snapToDelta(value: Float32Array, base: Float32Array, bits: UpdateBits): Float32Array {
  if (bits === 32) return value.slice();
  const [d] = decodeUpdate(encodeUpdate([subtract(value, base)], bits));
  return addDelta(base, d as Float32Array);
}
