import { describe, expect, it } from 'vitest';
import { BlobStore } from '../compute/blobStore.js';
import { createCodec, decodeAny } from '../codecs/index.js';
import type { WireMessage } from '../protocol/messages.js';
import { CLIENT_MAY_SEND, fromEnvelope, toEnvelope } from './wireMessage.js';
import { loggedSize } from './serveNode.js';

describe('protocol messages on a pilot connection', () => {
  it('carry a container byte for byte; the receiver stores a plain copy that decodes (not a Buffer view)', () => {
    const sender = new BlobStore();
    const data = Float32Array.from({ length: 1001 }, (_, i) => i / 7);
    const bytes = createCodec({ name: 'none' }).encode({ data, shape: [1001] });
    const ref = sender.put({ kind: 'bytes', data: bytes, rawBytes: 4004, codec: 'none' });
    const msg: WireMessage = { kind: 'weights.up', round: 3, blob: ref, samples: 64 };
    const env = toEnvelope('client-2', 'federator', msg, 9, sender, 0);
    // What a WebSocket hands over is a Buffer slice at an odd offset of a larger buffer.
    const pool = Buffer.alloc(env.payload.byteLength + 3);
    pool.set(env.payload, 3);
    const receiver = new BlobStore();
    const got = fromEnvelope({ ...env, payload: pool.subarray(3) }, receiver, CLIENT_MAY_SEND);
    if (typeof got === 'string') throw new Error(got);
    expect(got.id).toBe(9);
    expect(got.msg.kind).toBe('weights.up');
    const b = receiver.get((got.msg as Extract<WireMessage, { kind: 'weights.up' }>).blob.id);
    expect(Buffer.compare(Buffer.from(b.data as Uint8Array), Buffer.from(bytes))).toBe(0);
    expect(Array.from(decodeAny(b.data as Uint8Array).data)).toEqual(Array.from(data));
    expect(loggedSize(got.msg, receiver)).toEqual(loggedSize(msg, sender));
  });

  it('refuses what a site may not send, and descriptions that do not match the payload', () => {
    const s = new BlobStore();
    const ref = s.put({ kind: 'bytes', data: new Uint8Array(8), rawBytes: 32, codec: 'quant8' });
    const down = toEnvelope('client-0', 'federator', { kind: 'weights.down', round: 0, blob: ref }, 1, s, 0);
    expect(fromEnvelope(down, new BlobStore(), CLIENT_MAY_SEND)).toMatch(/may not be sent/);
    const agg = toEnvelope('client-0', 'server', { kind: 'control', round: 0, control: { op: 'aggregate', participants: [0], samples: [1] } }, 2, s, 0);
    expect(fromEnvelope(agg, new BlobStore(), CLIENT_MAY_SEND)).toMatch(/may not be sent/);
    const f = toEnvelope('client-0', 'server', { kind: 'features.s1', round: 0, step: 1, blob: ref }, 3, s, 0);
    expect(typeof fromEnvelope(f, new BlobStore(), CLIENT_MAY_SEND)).toBe('object');
    expect(fromEnvelope({ ...f, payload: new Uint8Array(7) }, new BlobStore(), CLIENT_MAY_SEND)).toMatch(/payload/);
    expect(fromEnvelope({ ...f, round: 1 }, new BlobStore(), CLIENT_MAY_SEND)).toMatch(/differs/);
    expect(fromEnvelope({ ...f, meta: { id: 1, msg: { kind: 'features.s1' } } }, new BlobStore(), CLIENT_MAY_SEND)).toMatch(/meta/);
  });
});
