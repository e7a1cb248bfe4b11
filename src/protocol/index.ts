/** The protocol's rules and vocabulary: message kinds, effects and events, actor names, state ownership. */
export { clientIndex, clientName } from './actorNames.js';
export { stateKey, type SflVariant } from './stateKey.js';
export {
  CODEC_KINDS,
  MESSAGE_KINDS,
  SPLIT_KINDS,
  blobOf,
  stepOf,
  withBlob,
  type ActorEvent,
  type ActorId,
  type BlobRef,
  type CodecSlot,
  type ControlOp,
  type Effect,
  type MessageKind,
  type TaskArgs,
  type TaskName,
  type WireMessage,
} from './messages.js';
