/**
 * Output folders as transactions. A run with `--out OUT` writes into the sibling `OUT.partial`,
 * which holds `run.lock` (pid and run id) while a process runs it, and renames it to `OUT` when
 * the run completes; an interrupted run's folder becomes `OUT.interrupted`. A live lock keeps a
 * second run out; a stale one (its pid gone) marks a killed run, refused unless forced or resumed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Scenario } from '../scenario/schema.js';
import { Failure, fsReason } from './failure.js';
import { VERSION } from './summary.js';

/** The lock file's name inside the partial folder. */
export const LOCK_FILE = 'run.lock';

/** What run.lock holds. */
export interface RunLock {
  pid: number;
  runId: string;
}

/** The folder a run writes into until it completes. */
export function partialDirOf(out: string): string {
  return `${out.replace(/[/\\]+$/, '')}.partial`;
}

/** Where an interrupted run's folder goes. */
export function interruptedDirOf(out: string): string {
  return `${out.replace(/[/\\]+$/, '')}.interrupted`;
}

/**
 * The run id: a hash of the resolved scenario and the splitwire version, so a resumed run keeps
 * its id and equal runs give byte-identical logs, while files of different runs differ.
 */
export function runIdOf(s: Scenario): string {
  return createHash('sha256').update(`${VERSION}\n${JSON.stringify(s)}`).digest('hex').slice(0, 16);
}

/** Whether process `pid` is alive on this machine. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** The lock of a partial folder, or null when it has none (or an unreadable one). */
export function readLock(partial: string): RunLock | null {
  try {
    const v = JSON.parse(readFileSync(`${partial}/${LOCK_FILE}`, 'utf8')) as Partial<RunLock>;
    return typeof v.pid === 'number' && typeof v.runId === 'string' ? { pid: v.pid, runId: v.runId } : null;
  } catch {
    return null;
  }
}

/** Writes the lock; fails with EEXIST when another process wrote one first (O_EXCL). */
export function writeLock(partial: string, lock: RunLock): void {
  writeFileSync(`${partial}/${LOCK_FILE}`, `${JSON.stringify(lock)}\n`, { flag: 'wx' });
}

/** Removes the lock (a run that stops, whatever the reason). */
export function releaseLock(partial: string): void {
  rmSync(`${partial}/${LOCK_FILE}`, { force: true });
}

/** How a folder looks before a run: missing, empty, non-empty, or not a folder. */
function stateOf(path: string): 'missing' | 'empty' | 'full' | 'file' {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return 'missing';
    throw new Failure(`--out ${path}`, fsReason(err));
  }
  if (!st.isDirectory()) return 'file';
  try {
    return readdirSync(path).length === 0 ? 'empty' : 'full';
  } catch (err) {
    throw new Failure(`--out ${path}`, fsReason(err));
  }
}

/** A run's claim on its output folder. */
export interface OutDir {
  out: string;
  partial: string;
  /** Moves the finished run into place (replacing `out` when forced) and drops the lock. */
  commit(): void;
  /** Drops the lock and renames the folder to `OUT.interrupted`; returns that path. */
  interrupt(): string;
  /** Drops the lock and leaves the partial folder as it is (a run that failed). */
  release(): void;
}

/** Options of claimOutDir. */
export interface ClaimOptions {
  runId: string;
  /** Replace a non-empty `out` (at commit) and discard a stale partial or interrupted folder. */
  force?: boolean;
}

/**
 * Claims `out` for a run: refuses (exit 2) a non-empty `out` unless forced, a live lock always,
 * a stale partial folder or an interrupted one unless forced; creates `OUT.partial` with its lock.
 * Nothing is touched before every check has passed.
 * @example const dir = claimOutDir('runs/q', { runId }); … dir.commit();
 */
export function claimOutDir(out: string, options: ClaimOptions): OutDir {
  const partial = partialDirOf(out);
  const interrupted = interruptedDirOf(out);
  const force = options.force === true;
  const outState = stateOf(out);
  if (outState === 'file') throw new Failure(`--out ${out}`, 'is a file, not a folder');
  if (outState === 'full' && !force) {
    throw new Failure(`--out ${out}`, 'folder is not empty (an earlier run?); pass --force to replace it, or choose another --out');
  }
  const partialState = stateOf(partial);
  if (partialState !== 'missing') {
    const lock = readLock(partial);
    if (lock !== null && pidAlive(lock.pid)) {
      throw new Failure(`--out ${out}`, `another run (pid ${lock.pid}, run id ${lock.runId}) is writing into ${partial}; wait for it or choose another --out`);
    }
    if (!force) {
      const who = lock === null ? 'an unfinished run' : `a killed run (pid ${lock.pid}, run id ${lock.runId})`;
      throw new Failure(`--out ${out}`, `${who} left ${partial}; pass --resume ${out} to continue it or --force to discard it`);
    }
  }
  if (!force && stateOf(interrupted) === 'full') {
    throw new Failure(`--out ${out}`, `an interrupted run left ${interrupted}; pass --resume ${out} to continue it or --force to discard it`);
  }
  try {
    if (partialState !== 'missing') rmSync(partial, { recursive: true, force: true });
    mkdirSync(dirname(partial), { recursive: true });
    mkdirSync(partial);
    writeLock(partial, { pid: process.pid, runId: options.runId });
  } catch (err) {
    // Another run created the folder between the checks and here: it holds the claim.
    if ((err as { code?: string }).code === 'EEXIST') throw new Failure(`--out ${out}`, `another run started writing into ${partial} at the same time`);
    throw new Failure(`--out ${out}`, `cannot create ${partial}: ${fsReason(err)}`);
  }
  return outDirHandle(out, partial, force);
}

/** The commit / interrupt / release handle of a claimed `OUT.partial`. */
function outDirHandle(out: string, partial: string, force: boolean): OutDir {
  const interrupted = interruptedDirOf(out);
  return {
    out,
    partial,
    commit(): void {
      releaseLock(partial);
      if (existsSync(out)) {
        // Replace whole: move the old folder aside first, so `out` is never half old, half new.
        const old = `${out.replace(/[/\\]+$/, '')}.replaced-${process.pid}`;
        renameSync(out, old);
        renameSync(partial, out);
        rmSync(old, { recursive: true, force: true });
      } else {
        renameSync(partial, out);
      }
      if (force) rmSync(interrupted, { recursive: true, force: true });
    },
    interrupt(): string {
      releaseLock(partial);
      rmSync(interrupted, { recursive: true, force: true });
      renameSync(partial, interrupted);
      return interrupted;
    },
    release(): void {
      try {
        unlinkSync(`${partial}/${LOCK_FILE}`);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Takes over a killed or interrupted run for `--resume`: `given` may be `OUT`, `OUT.partial` or
 * `OUT.interrupted`; the folder holding a checkpoint is locked again as `OUT.partial` (a live
 * lock is refused) and handed back like a fresh claim, so the resumed run commits to `OUT`.
 * @example const dir = adoptForResume('runs/q'); runScenario(s, { outDir: dir.partial, resume: true });
 */
export function adoptForResume(given: string, runId: (runDir: string) => string): OutDir {
  const trimmed = given.replace(/[/\\]+$/, '');
  const out = trimmed.replace(/\.(partial|interrupted)$/, '');
  const partial = partialDirOf(out);
  const candidates = [trimmed, partial, interruptedDirOf(out), out];
  const found = candidates.find((d) => existsSync(`${d}/checkpoint/state.bin`));
  if (found === undefined) {
    throw new Failure(`--resume ${given}`, `no checkpoint to continue from in ${[...new Set(candidates)].join(', ')} (a run killed before its first round boundary, or a finished one)`);
  }
  const lock = readLock(found);
  if (lock !== null && pidAlive(lock.pid)) {
    throw new Failure(`--resume ${given}`, `another run (pid ${lock.pid}, run id ${lock.runId}) is writing into ${found}`);
  }
  if (found !== partial) {
    if (existsSync(partial)) throw new Failure(`--resume ${given}`, `${partial} is in the way of continuing ${found}; remove one of them`);
    renameSync(found, partial);
  }
  releaseLock(partial);
  writeLock(partial, { pid: process.pid, runId: runId(partial) });
  return outDirHandle(out, partial, false);
}
