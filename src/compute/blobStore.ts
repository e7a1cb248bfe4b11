/**
 * Byte buffers and tensors that actors refer to by id (BlobRef). Actors never hold bytes;
 * the simulation resolves ids when it runs a task or sends a message, so the traffic log's
 * wire size is always the byteLength of a buffer that exists.
 */
import type { BlobRef } from '../protocol/messages.js';

/** A stored value: raw fp32 tensor, int labels, or encoded bytes. */
export type Blob =
  | { kind: 'tensor'; data: Float32Array; shape: number[] }
  | { kind: 'labels'; data: Uint8Array; shape: number[] }
  | { kind: 'bytes'; data: Uint8Array; rawBytes: number; codec: string };

export class BlobStore {
  private readonly blobs = new Map<number, Blob>();
  private nextId = 1;
  /** Bytes currently held, for the memory check. */
  heldBytes = 0;

  /** Stores a blob and returns its reference. */
  put(blob: Blob): BlobRef {
    const id = this.nextId++;
    this.blobs.set(id, blob);
    const bytes = blob.data.byteLength;
    this.heldBytes += bytes;
    const rawBytes = blob.kind === 'bytes' ? blob.rawBytes : bytes;
    const codec = blob.kind === 'bytes' ? blob.codec : 'none';
    return { id, bytes, rawBytes, codec };
  }

  /** The blob `id`; a missing id is a protocol bug and throws. */
  get(id: number): Blob {
    const b = this.blobs.get(id);
    if (b === undefined) throw new Error(`blob store: blob ${id} is not held (used after release?)`);
    return b;
  }

  /** Removes and returns the blob (its buffer may then be transferred). */
  take(id: number): Blob {
    const b = this.get(id);
    this.blobs.delete(id);
    this.heldBytes -= b.data.byteLength;
    return b;
  }

  /** Frees blobs; ids already freed are ignored (an abandoned step may release twice). */
  release(ids: readonly number[]): void {
    for (const id of ids) {
      const b = this.blobs.get(id);
      if (b !== undefined) {
        this.blobs.delete(id);
        this.heldBytes -= b.data.byteLength;
      }
    }
  }

  get size(): number {
    return this.blobs.size;
  }
}
