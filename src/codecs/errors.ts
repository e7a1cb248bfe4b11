/**
 * Error type and factories of the codec layer. Every message names the component
 * (`container`, `rans`, a codec name) and the offending value, so a failing stream
 * can be diagnosed from the message alone (piscina keeps its messages in one place too).
 */

/** Thrown for any invalid codec input, corrupt or truncated stream, or bad option. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** `0x` followed by 8 lower-case hex digits. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/** Error factories with the exact messages the tests check. */
export const Errors = {
  truncated: (need: number, got: number): CodecError =>
    new CodecError(`container: truncated (need at least ${need} bytes, got ${got})`),
  badMagic: (got: number): CodecError =>
    new CodecError(`container: bad magic (expected 'SWZ1', got ${hex32(got)})`),
  badVersion: (expected: number, got: number): CodecError =>
    new CodecError(`container: unsupported version (expected ${expected}, got ${got})`),
  badCodecId: (detail: string): CodecError => new CodecError(`container: bad codec id (${detail})`),
  lengthMismatch: (declared: number, available: number): CodecError =>
    new CodecError(
      `container: length mismatch (header declares a ${declared}-byte payload, buffer holds ${available})`,
    ),
  checksumMismatch: (expected: number, got: number): CodecError =>
    new CodecError(`container: checksum mismatch (expected ${hex32(expected)}, got ${hex32(got)})`),
  invalidField: (field: string, rule: string, got: unknown): CodecError =>
    new CodecError(`${field}: must be ${rule}, got ${formatValue(got)}`),
  wrongCodec: (codec: string, got: string): CodecError =>
    new CodecError(`${codec}: container holds codec '${got}'`),
  badPayload: (codec: string, detail: string): CodecError => new CodecError(`${codec}: corrupt payload (${detail})`),
  corruptStream: (detail: string): CodecError => new CodecError(`rans: corrupt stream (${detail})`),
};

/** Renders a value for an error message: strings quoted, arrays bracketed, numbers as-is. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}
