/**
 * Errors that the `roi` and `report` commands show to the user as they are (one line, no stack):
 * a bad input file or field, a missing file, a bad command line. Anything else is a bug.
 */

/** Bad input: a file, a field or a value. The message names where and what. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Bad command line: the CLI prints the message and the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** How a bad value is shown after "got": strings quoted, the rest as JSON. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** `path: must be …, got …` as an InputError. */
export function fieldError(path: string, must: string, value: unknown): InputError {
  return new InputError(`${path}: must be ${must}, got ${shown(value)}`);
}
