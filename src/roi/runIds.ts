/**
 * Run ids across files: every file a run writes carries its id (`runId` on each NDJSON line,
 * in summary.json, in roi.json's inputs), so files of different runs left in one folder are
 * refused instead of being combined into figures and prices that no run produced.
 */
import { open, readFile } from 'node:fs/promises';
import { InputError } from './errors.js';

const EDGE = 64 * 1024;

function idOfLine(line: string | undefined): string | null {
  if (line === undefined || line.trim() === '') return null;
  try {
    const v = JSON.parse(line) as { runId?: unknown };
    return typeof v.runId === 'string' ? v.runId : null;
  } catch {
    return null;
  }
}

/**
 * The run id of an NDJSON log, from its first and last complete lines (they must agree);
 * null when the file lacks one (an older splitwire, a pilot log) or is missing.
 * @example await runIdOfLog('runs/q/traffic.ndjson') // '0874aa78b0c92333'
 */
export async function runIdOfLog(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(EDGE, size));
    await fh.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(EDGE, size));
    await fh.read(tail, 0, tail.length, size - tail.length);
    const first = idOfLine(head.toString('utf8').split('\n')[0]);
    const lines = tail.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    // The last line may be cut by a kill: take the last one that parses.
    let last: string | null = null;
    for (let i = lines.length - 1; i >= 0 && last === null; i--) last = idOfLine(lines[i]);
    if (first !== null && last !== null && first !== last) {
      throw new InputError(`${path}: mixes two runs (run id ${first} on the first line, ${last} on the last); rerun into an empty folder`);
    }
    return first ?? last;
  } finally {
    await fh.close();
  }
}

/** The `runId` of a JSON file at `field` (e.g. `runId`, `inputs.runId`), or null. */
export async function runIdOfJson(path: string, field: readonly string[]): Promise<string | null> {
  let v: unknown;
  try {
    v = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
  for (const k of field) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' ? v : null;
}

/**
 * Throws an InputError when two of `files` carry different run ids (files without one pass).
 * Returns the common id, or null when none has one.
 */
export function sameRun(files: ReadonlyArray<{ path: string; runId: string | null }>): string | null {
  const withId = files.filter((f): f is { path: string; runId: string } => f.runId !== null);
  const first = withId[0];
  const other = withId.find((f) => f.runId !== first?.runId);
  if (first !== undefined && other !== undefined) {
    throw new InputError(
      `${other.path} is from run ${other.runId} but ${first.path} is from run ${first.runId}; files of different runs cannot be combined (rerun into an empty folder)`,
    );
  }
  return first?.runId ?? null;
}
