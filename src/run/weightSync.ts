/**
 * How the model's client-side weights travel (`weights.down`, `weights.up`) at
 * `protocol.weightBits`:
 * - 32: full fp32 weights both ways, as the reference paper sends them;
 * - 16 / 8: fp16 / 8-bit deltas, one quantisation grid per parameter tensor
 *   (codecSync's update format). Up: the client's weights minus the round's global, which it
 *   loaded at the round's start. Down: the round's global minus the previous round's, to a
 *   client whose update of the previous round reached the federator (so it holds that
 *   global); any other client gets the round's global in full.
 *
 * The global adopts exactly what a delta's receiver rebuilds (previous version + decoded
 * delta), so the full and the delta form of a round decode to the same weights bit for bit and
 * no error builds up between the ends. Uploads are not snapped: the federator averages what it
 * decoded, so the quantisation error of an update is the client's loss.
 */
import { createCodec, decodeAny } from '../codecs/index.js';
import { addDelta, decodeUpdate, encodeUpdate, subtract, type UpdateBits } from './codecSync.js';
import type { Blob } from '../compute/blobStore.js';

/** Globals kept for late uploads and loads: enough for a round, its predecessor and stragglers. */
const KEEP = 4;

/** The blob label of a weights message: `none` for full weights, `delta-fp16` / `delta-q8` for deltas. */
export function weightLabel(bits: UpdateBits, delta: boolean): string {
  return !delta ? 'none' : bits === 16 ? 'delta-fp16' : 'delta-q8';
}

/** The round-by-round globals of the client-side model and the weight messages made from them. */
export class WeightVersions {
  private readonly versions = new Map<number, Float32Array>();

  /**
   * @param bits bits per value of a delta (32: deltas are never made)
   * @param segments the parameter tensors' sizes, in the packed vector's order (one grid each)
   */
  constructor(
    readonly bits: UpdateBits,
    private readonly segments: readonly number[],
  ) {
    const total = segments.reduce((a, n) => a + n, 0);
    if (segments.some((n) => !Number.isInteger(n) || n <= 0)) throw new RangeError(`weight segments must be positive integers, got [${segments.join(', ')}]`);
    if (total === 0) throw new RangeError('weight segments: empty model');
  }

  /**
   * The round's global, fixed the first time it is packed: with deltas, the previous version
   * plus the decoded delta (the caller stores it back as the global). Returns the blobs
   * `global.pack` offers: the full weights, then (deltas on, a previous version known) the delta.
   */
  pack(round: number, current: Float32Array): { global: Float32Array; blobs: Blob[] } {
    const prev = this.versions.get(round - 1);
    let global: Float32Array = current.slice();
    const blobs: Blob[] = [];
    let deltaBlob: Blob | null = null;
    if (this.bits !== 32 && prev !== undefined) {
      const bytes = encodeUpdate(this.split(subtract(current, prev)), this.bits);
      global = addDelta(prev, this.join(decodeUpdate(bytes)));
      deltaBlob = { kind: 'bytes', data: bytes, rawBytes: current.length * 4, codec: weightLabel(this.bits, true) };
    }
    this.versions.set(round, global);
    this.versions.delete(round - KEEP);
    blobs.push(fullBlob(global));
    if (deltaBlob !== null) blobs.push(deltaBlob);
    return { global, blobs };
  }

  /** Client weights after `round` as `weights.up`: a delta against the round's global, or in full when that global is gone. */
  up(round: number, local: Float32Array): Blob {
    const base = this.versions.get(round);
    if (this.bits === 32 || base === undefined) return fullBlob(local);
    const bytes = encodeUpdate(this.split(subtract(local, base)), this.bits);
    return { kind: 'bytes', data: bytes, rawBytes: local.length * 4, codec: weightLabel(this.bits, true) };
  }

  /**
   * The weights a message carries: in full, or its delta added to `baseRound`'s global (down:
   * the round before the message's; up: the message's round).
   */
  read(blob: Extract<Blob, { kind: 'bytes' }>, baseRound: number): Float32Array {
    if (blob.codec === 'none') return decodeAny(blob.data).data;
    const base = this.versions.get(baseRound);
    if (base === undefined) throw new Error(`weights: a ${blob.codec} delta needs the global of round ${baseRound}, which is no longer kept`);
    const delta = this.join(decodeUpdate(blob.data));
    if (delta.length !== base.length) throw new Error(`weights: delta has ${delta.length} values, the model ${base.length}`);
    return addDelta(base, delta);
  }

  private split(flat: Float32Array): Float32Array[] {
    const out: Float32Array[] = [];
    let off = 0;
    for (const n of this.segments) {
      out.push(flat.subarray(off, off + n));
      off += n;
    }
    if (off !== flat.length) throw new Error(`weights: vector has ${flat.length} values, the model's tensors ${off}`);
    return out;
  }

  private join(parts: readonly Float32Array[]): Float32Array {
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

function fullBlob(flat: Float32Array): Blob {
  const data = createCodec({ name: 'none' }).encode({ data: flat, shape: [flat.length] });
  return { kind: 'bytes', data, rawBytes: flat.length * 4, codec: 'none' };
}
