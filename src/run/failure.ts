/**
 * A failure shown to the user as one line, `splitwire: <what>: <why>`, with an exit status:
 * 2 for bad input (a scenario, a file it names, an output folder), 1 for a run that failed.
 * `details` are extra lines (one per bad file, already capped by whoever raised it).
 */
export class Failure extends Error {
  override readonly name = 'Failure';

  constructor(
    readonly what: string,
    readonly why: string,
    readonly exitCode: 1 | 2 = 2,
    readonly details: readonly string[] = [],
  ) {
    super(`${what}: ${why}`);
  }
}

/** At most this many bad files are listed in one failure; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 20;

/** `problems` capped at MAX_LISTED_PROBLEMS, with a last line counting the ones left out. */
export function capProblems(problems: readonly string[], max = MAX_LISTED_PROBLEMS): string[] {
  if (problems.length <= max) return [...problems];
  return [...problems.slice(0, max), `… and ${problems.length - max} more`];
}

/** The short name of a Node.js file-system error (`EACCES` → "permission denied"), else its message. */
export function fsReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'already exists',
    EISDIR: 'is a folder, not a file',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    ENOTEMPTY: 'folder not empty',
  };
  if (typeof code === 'string' && known[code] !== undefined) return `${known[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}
