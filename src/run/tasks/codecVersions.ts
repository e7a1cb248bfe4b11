/**
 * The learned codecs' synced versions (codec.syncEvery) and the codec messages made from them:
 * `codec.down` (the round's version in full, or a delta against the one before) and `codec.up`
 * (a client's trained codecs, in full or as deltas against the round's version), and reading
 * them back. The formats are codecSync.ts's; this holds the versions of one run.
 */
import { TaskErrors } from './errors.js';
import type { Blob, BlobStore } from '../../compute/blobStore.js';
import type { BlobRef, CodecSlot } from '../../protocol/messages.js';
import { codecTrains, type SlotPlan } from '../codecPlan.js';
import { addDelta, codecSyncRounds, codecVersionAt, decodeUpdate, encodeUpdate, subtract, type UpdateBits } from '../codecSync.js';
import { stateKey } from '../../protocol/index.js';
import type { World } from '../world.js';

export class CodecVersions {
  /** Rounds at whose end the codecs are synced (codec.up, then codec.down): codecSync.ts. */
  readonly codecSync: boolean[];
  /** Synced codec versions: every codec part's values, and the delta that made them (null: sent in full). */
  private readonly codecVersions = new Map<number, { parts: Float32Array[]; delta: Uint8Array | null }>();

  constructor(
    private readonly world: World,
    private readonly blobs: BlobStore,
    private readonly plan: (slot: CodecSlot) => SlotPlan,
  ) {
    const s = world.scenario;
    this.codecSync = codecSyncRounds(world.codecs, s.protocol.rounds, s.codec.syncEvery);
  }

  get updateBits(): UpdateBits {
    return this.world.scenario.codec.updateBits;
  }

  /** Every learned codec's state name, client-sent first (the order of a codec update). */
  get codecParts(): string[] {
    return [...this.world.clientCodecParts, ...this.world.serverCodecParts];
  }

  /**
   * The synced codec version `v` (the global codecs after `v` syncs), fixed the first time it is
   * packed: with delta updates it becomes what the receivers reconstruct (codecSync.snapToDelta),
   * and the global codecs take exactly those values.
   */
  codecVersion(v: number): { parts: Float32Array[]; delta: Uint8Array | null } {
    const known = this.codecVersions.get(v);
    if (known !== undefined) return known;
    const variant = this.world.scenario.protocol.variant;
    const keys = this.codecParts.map((p) => stateKey('global', p, variant));
    const current = keys.map((k) => this.world.store.get(k).params.slice());
    const prev = this.codecVersions.get(v - 1);
    let entry: { parts: Float32Array[]; delta: Uint8Array | null } = { parts: current, delta: null };
    if (prev !== undefined && this.updateBits !== 32) {
      const delta = encodeUpdate(current.map((c, i) => subtract(c, prev.parts[i] as Float32Array)), this.updateBits);
      const parts = decodeUpdate(delta).map((d, i) => addDelta(prev.parts[i] as Float32Array, d));
      keys.forEach((k, i) => this.world.store.setParams(k, parts[i] as Float32Array));
      entry = { parts, delta };
    }
    this.codecVersions.set(v, entry);
    this.codecVersions.delete(v - 2);
    return entry;
  }

  /** A codec update blob: `none` when it holds full weights, `delta-fp16` / `delta-q8` for deltas. */
  codecBlob(bytes: Uint8Array, elements: number, delta: boolean): Blob {
    const label = !delta ? 'none' : this.updateBits === 16 ? 'delta-fp16' : 'delta-q8';
    return { kind: 'bytes', data: bytes, rawBytes: elements * 4, codec: label };
  }

  /** Decodes a codec update of `parts` sent in `round` (full weights, or deltas against the round's synced version). */
  readCodecUpdate(ref: BlobRef | undefined, parts: readonly string[], round: number, consume: boolean): Float32Array[] {
    if (ref === undefined) throw TaskErrors.codecUpdateMissing();
    const b = consume ? this.blobs.take(ref.id) : this.blobs.get(ref.id);
    if (b.kind !== 'bytes') throw TaskErrors.codecUpdate(`blob ${ref.id} is ${b.kind}`);
    const values = decodeUpdate(b.data);
    if (values.length !== parts.length) throw TaskErrors.codecUpdate(`${values.length} tensors, expected ${parts.length}`);
    if (b.codec === 'none') return values;
    // A delta is against the version the receiver holds: down, the one before the round's; up, the round's.
    const v = codecVersionAt(this.codecSync, round) - (consume ? 0 : 1);
    const base = this.codecVersions.get(v);
    if (base === undefined) throw TaskErrors.codecUpdate(`no synced version ${v} to apply a delta to`);
    return values.map((d, i) => addDelta(this.partIn(base.parts, parts[i] ?? ''), d));
  }

  /** The client codecs uploaded in `round` (codec.up): those that trained, in a sync round; none otherwise. */
  upCodecParts(round: number): string[] {
    if (this.codecSync[round] !== true) return [];
    return this.world.clientCodecParts.filter((p) => !this.frozen(p, round));
  }

  /** The server codecs averaged at the end of `round`: those that trained, in a sync round. */
  serverSynced(round: number): string[] {
    if (this.codecSync[round] !== true) return [];
    return this.world.serverCodecParts.filter((p) => !this.frozen(p, round));
  }

  codecElements(): number {
    const variant = this.world.scenario.protocol.variant;
    return this.codecParts.reduce((a, p) => a + this.world.store.get(stateKey('global', p, variant)).params.length, 0);
  }

  /**
   * The codec forms `global.pack` offers for `round`: the round's synced version in full, then
   * (delta updates, after the first sync) its delta against the version before. None without
   * learned codecs. The federator sends each client the one it can use, or none if it is current.
   */
  codecDown(round: number): Blob[] {
    if (this.codecParts.length === 0) return [];
    const version = this.codecVersion(codecVersionAt(this.codecSync, round));
    const elements = version.parts.reduce((a, p) => a + p.length, 0);
    const full = this.codecBlob(encodeUpdate(version.parts, 32), elements, false);
    return version.delta !== null ? [full, this.codecBlob(version.delta, elements, true)] : [full];
  }

  /** Client k's codec.up for `round` (a sync round): its trained codecs, in full or as deltas against the round's version. */
  codecUp(k: number, round: number): Blob[] {
    const parts = this.upCodecParts(round);
    if (parts.length === 0) return [];
    const variant = this.world.scenario.protocol.variant;
    const values = parts.map((p) => this.world.store.get(stateKey(k, p, variant)).params);
    const elements = values.reduce((a, v) => a + v.length, 0);
    if (this.updateBits === 32) return [this.codecBlob(encodeUpdate(values, 32), elements, false)];
    const base = this.codecVersion(codecVersionAt(this.codecSync, round));
    const deltas = values.map((v, i) => subtract(v, this.partIn(base.parts, parts[i] ?? '')));
    return [this.codecBlob(encodeUpdate(deltas, this.updateBits), elements, true)];
  }

  /** Whether the codec state `codec/<slot>` no longer trains in `round`. */
  frozen(part: string, round: number): boolean {
    const slot = part.slice('codec/'.length) as CodecSlot;
    return !codecTrains(this.plan(slot), round);
  }

  /** The values of codec part `name` in a version's `parts` (kept in `codecParts` order). */
  private partIn(parts: readonly Float32Array[], name: string): Float32Array {
    const v = parts[this.codecParts.indexOf(name)];
    if (v === undefined) throw TaskErrors.codecUpdate(`${name} is not a synced codec part`);
    return v;
  }
}
