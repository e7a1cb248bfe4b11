/**
 * Shapes shared by every codec. A codec turns a tensor into container bytes
 * (see container.ts) and back; learned codecs (transforms + entropy model + rANS coder)
 * implement the same interface.
 */

/** A dense fp32 tensor in row-major order; `data.length` equals the product of `shape`. */
export interface TensorData {
  data: Float32Array;
  shape: number[];
}

/** A named tensor codec. `encode` returns complete container bytes; `decode` accepts them. */
export interface Codec {
  readonly name: string;
  encode(t: TensorData): Uint8Array;
  decode(buf: Uint8Array): TensorData;
}

/** A name in the registry's `CLASSIC_CODECS` (`none`, `fp16`, `quant`, `topk`, …). */
export type CodecName = string;

/** Options of `createCodec`; each option's schema and default live in its codec's descriptor. */
export type CodecOptions = {
  name: CodecName;
  /** quant only: bits per value, an integer in 1..16. Default 8. */
  bits?: number;
  /** topk only: fraction of values kept, in (0, 1]. Default 0.01. */
  fraction?: number;
};

/**
 * The payload half of a codec: what goes inside the container. `wrapPayloadCodec`
 * (payloadCodec.ts) adds the container; the registry also uses it to decode any stream by
 * the codec id the stream carries.
 */
export interface PayloadCodec {
  readonly name: string;
  encodePayload(t: TensorData): Uint8Array;
  /** `count` is the element count implied by `shape`, already checked to be a safe integer. */
  decodePayload(payload: Uint8Array, shape: number[], count: number): Float32Array;
}
