/**
 * The wire format shared by the check's endpoints and its driver: each message is an 8-byte
 * header (flow id, payload size; big-endian uint32) followed by the payload.
 */

/** Bytes of the per-message header. */
export const MESSAGE_HEADER_BYTES = 8;
