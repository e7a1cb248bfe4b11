/**
 * The one event vocabulary of splitwire (STYLE principle 5): every message kind that crosses
 * a link, every event an actor receives and every effect an actor asks for.
 */

/** Message kinds on the wire (DESIGN §1). */
export type MessageKind =
  | 'features.s1'
  | 'features.s2'
  | 'gradients.s2'
  | 'gradients.s1'
  | 'weights.down'
  | 'weights.up'
  | 'codec.down'
  | 'codec.up'
  | 'control';

export const MESSAGE_KINDS: readonly MessageKind[] = [
  'features.s1',
  'features.s2',
  'gradients.s2',
  'gradients.s1',
  'weights.down',
  'weights.up',
  'codec.down',
  'codec.up',
  'control',
];

/** The four split tensors' kinds: the ones the compression ratio is about. */
export const SPLIT_KINDS: ReadonlySet<MessageKind> = new Set(['features.s1', 'features.s2', 'gradients.s2', 'gradients.s1']);

/** The codecs' own weights (or weight updates): a codec pays for them in `trafficRatio`. */
export const CODEC_KINDS: ReadonlySet<MessageKind> = new Set(['codec.down', 'codec.up']);

/** `federator`, `server` (the split server) or `client-<k>`. */
export type ActorId = string;

/** Names a byte buffer held by the simulation's blob store; actors never hold tensor bytes. */
export interface BlobRef {
  readonly id: number;
  /** byteLength of the buffer. */
  readonly bytes: number;
  /** What the tensor would cost as fp32 (4 × elements); equals `bytes` for non-tensor payloads. */
  readonly rawBytes: number;
  /** Codec that produced the bytes (`none`, `fp16`, `quant8`, …). */
  readonly codec: string;
}

/** Control operations, carried by `control` messages as small JSON buffers. */
export type ControlOp =
  | { op: 'round.start'; participants: number[] }
  | { op: 'turn' }
  | { op: 'turn.done' }
  | { op: 'aggregate'; participants: number[]; samples: number[] }
  | { op: 'aggregated' }
  | { op: 'labels'; step: number; blob: BlobRef }
  /** The client gave up on batch `step` (step timeout): the server drops its work not yet started and sends no reply. */
  | { op: 'abandon'; step: number };

/**
 * A message between actors; `round` tags every message so late ones can be ignored. A
 * `weights.*` message with `codec: true` has a `codec.*` companion of the same round (the codecs'
 * weights or quantised update), and its receiver waits for both.
 */
export type WireMessage =
  | { kind: 'weights.down'; round: number; blob: BlobRef; codec?: boolean }
  | { kind: 'weights.up'; round: number; blob: BlobRef; samples: number; codec?: boolean }
  | { kind: 'codec.down'; round: number; blob: BlobRef }
  | { kind: 'codec.up'; round: number; blob: BlobRef }
  | { kind: 'features.s1'; round: number; step: number; blob: BlobRef }
  | { kind: 'features.s2'; round: number; step: number; blob: BlobRef }
  | { kind: 'gradients.s2'; round: number; step: number; blob: BlobRef }
  | { kind: 'gradients.s1'; round: number; step: number; blob: BlobRef }
  | { kind: 'control'; round: number; control: ControlOp };

/** Named compute tasks (run on the pool, or locally for bookkeeping ones). */
export type TaskName =
  | 'fe.forward'
  | 'fe.backward'
  | 'm.forward'
  | 'm.backward'
  | 'be.train'
  | 's.train'
  | 'encode'
  | 'decode'
  | 'weights.load'
  | 'weights.pack'
  | 'global.pack'
  | 'aggregate'
  | 'm.aggregate';

/** The four codec slots of a client (DESIGN §1). */
export type CodecSlot = 'F1' | 'F2' | 'G2' | 'G1';

/** What a task works on: blobs by reference, model state by owner. */
export interface TaskArgs {
  /** The client whose data, parameters or server-side copy the task uses. */
  readonly client?: number;
  readonly round: number;
  readonly step: number;
  readonly inputs?: readonly BlobRef[];
  readonly slot?: CodecSlot;
  /** aggregate / m.aggregate: who takes part and with how many samples. */
  readonly participants?: readonly number[];
  readonly samples?: readonly number[];
}

/** Events actors receive. */
export type ActorEvent =
  | { type: 'start' }
  | ({ type: 'message'; from: ActorId } & { msg: WireMessage })
  | { type: 'compute.done'; taskId: number; task: TaskName; outputs: BlobRef[]; loss?: number }
  | { type: 'timer'; name: string; round: number; step: number };

/** Effects actors ask the simulation to perform. */
export type Effect =
  | { type: 'send'; from: ActorId; to: ActorId; msg: WireMessage }
  | { type: 'compute'; actor: ActorId; taskId: number; task: TaskName; args: TaskArgs }
  | { type: 'timer'; actor: ActorId; delay: number; name: string; round: number; step: number }
  | { type: 'release'; blobs: number[] }
  | { type: 'round.complete'; round: number; participants: number[]; samples: number[] }
  | { type: 'finished' };

/** The step a message belongs to: its own, the labels or abandon op's, or -1 for round-level messages. */
export function stepOf(msg: WireMessage): number {
  if ('step' in msg) return msg.step;
  return msg.kind === 'control' && (msg.control.op === 'labels' || msg.control.op === 'abandon') ? msg.control.step : -1;
}

/** The blob a message carries (its payload, or the labels of a labels op), if any. */
export function blobOf(msg: WireMessage): BlobRef | null {
  if ('blob' in msg) return msg.blob;
  return msg.kind === 'control' && msg.control.op === 'labels' ? msg.control.blob : null;
}

/** `msg` carrying `blob` instead of its own buffer (a duplicate copy is a buffer of its own). */
export function withBlob(msg: WireMessage, blob: BlobRef): WireMessage {
  if ('blob' in msg) return { ...msg, blob } as WireMessage;
  if (msg.kind === 'control' && msg.control.op === 'labels') return { ...msg, control: { ...msg.control, blob } };
  return msg;
}
