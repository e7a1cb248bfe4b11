/**
 * Payload framing of the learned codecs (inside the SWZ1 container, which already carries the
 * codec id, the tensor shape and a CRC):
 *
 * | size | field                                                                  |
 * | ---- | ---------------------------------------------------------------------- |
 * | 1    | format version (low 4 bits, = 1) · context (high 4: 0 none, 1 serial, 2 checkerboard) |
 * | 1    | stages (low 4 bits) · hyper stages (high 4)                            |
 * | 2    | latent channels N, u16 LE                                              |
 * | var  | for every stream but the last: its length, LEB128                      |
 * | …    | the rANS streams, z first where there is one, y last                    |
 *
 * The configuration bytes let a decoder built with another spec fail with a clear message
 * instead of decoding garbage.
 */
import { Errors } from '../errors.js';
import type { ContextKind, ResolvedLearnedSpec } from './types.js';

const FORMAT = 1;
const CONTEXT_CODE: Record<'none' | ContextKind, number> = { none: 0, serial: 1, checkerboard: 2 };

/** Bytes of the configuration header. */
export const PAYLOAD_HEADER_BYTES = 4;

function contextCode(spec: ResolvedLearnedSpec): number {
  return CONTEXT_CODE[spec.context ?? 'none'];
}

/** Header + length-prefixed streams. */
export function writePayload(spec: ResolvedLearnedSpec, streams: Uint8Array[]): Uint8Array {
  const lengths: number[] = [];
  for (let k = 0; k < streams.length - 1; k++) {
    let n = (streams[k] as Uint8Array).length;
    do {
      lengths.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n > 0);
  }
  const total = PAYLOAD_HEADER_BYTES + lengths.length + streams.reduce((s, b) => s + b.length, 0);
  const out = new Uint8Array(total);
  out[0] = FORMAT | (contextCode(spec) << 4);
  out[1] = spec.stages | (spec.hyperStages << 4);
  out[2] = spec.latent & 0xff;
  out[3] = spec.latent >>> 8;
  out.set(lengths, PAYLOAD_HEADER_BYTES);
  let p = PAYLOAD_HEADER_BYTES + lengths.length;
  for (const s of streams) {
    out.set(s, p);
    p += s.length;
  }
  return out;
}

/** Checks the header against `spec` and splits `count` streams; throws CodecError naming the mismatch. */
export function readPayload(spec: ResolvedLearnedSpec, payload: Uint8Array, count: number): Uint8Array[] {
  const bad = (detail: string): Error => Errors.badPayload(spec.name, detail);
  if (payload.length < PAYLOAD_HEADER_BYTES) throw bad(`${payload.length} bytes, need at least ${PAYLOAD_HEADER_BYTES}`);
  const b0 = payload[0] as number;
  const b1 = payload[1] as number;
  if ((b0 & 0x0f) !== FORMAT) throw bad(`format ${b0 & 0x0f}, expected ${FORMAT}`);
  const got = {
    context: b0 >>> 4,
    stages: b1 & 0x0f,
    hyperStages: b1 >>> 4,
    latent: (payload[2] as number) | ((payload[3] as number) << 8),
  };
  const want = { context: contextCode(spec), stages: spec.stages, hyperStages: spec.hyperStages, latent: spec.latent };
  for (const k of ['context', 'stages', 'hyperStages', 'latent'] as const) {
    if (got[k] !== want[k]) throw bad(`coded with ${k} ${got[k]}, this codec has ${want[k]}`);
  }
  let p = PAYLOAD_HEADER_BYTES;
  const lengths: number[] = [];
  for (let k = 0; k < count - 1; k++) {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (p >= payload.length) throw bad(`truncated stream length ${k}`);
      const byte = payload[p++] as number;
      n += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) break;
      if (scale > 2 ** 35) throw bad(`stream length ${k} over 5 bytes`);
    }
    lengths.push(n);
  }
  const streams: Uint8Array[] = [];
  for (const n of lengths) {
    if (p + n > payload.length) throw bad(`stream of ${n} bytes runs past the payload's end`);
    streams.push(payload.subarray(p, p + n));
    p += n;
  }
  streams.push(payload.subarray(p));
  return streams;
}
