import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Failure } from './failure.js';
import { claimOutDir, interruptedDirOf, partialDirOf, pidAlive, readLock } from './outputDir.js';

const root = mkdtempSync(join(tmpdir(), 'splitwire-outdir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `o${n++}`);
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

function failure(fn: () => unknown): Failure {
  try {
    fn();
  } catch (err) {
    if (err instanceof Failure) return err;
    throw err;
  }
  throw new Error('expected a Failure');
}

describe('claimOutDir', () => {
  it('names the sibling folders', () => {
    expect(partialDirOf('runs/q/')).toBe('runs/q.partial');
    expect(interruptedDirOf('runs/q')).toBe('runs/q.interrupted');
  });

  it('writes into OUT.partial under a lock, then renames it into place', () => {
    const out = fresh();
    const dir = claimOutDir(out, { runId: 'r1' });
    expect(readLock(dir.partial)).toEqual({ pid: process.pid, runId: 'r1' });
    writeFileSync(join(dir.partial, 'summary.json'), '{}');
    dir.commit();
    expect(existsSync(dir.partial)).toBe(false);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe('{}');
    expect(existsSync(join(out, 'run.lock'))).toBe(false);
  });

  it('refuses a non-empty OUT (exit 2, names --force) and, forced, replaces it whole at commit', () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(join(out, 'roi.json'), 'old');
    const f = failure(() => claimOutDir(out, { runId: 'r' }));
    expect(f.exitCode).toBe(2);
    expect(f.why).toContain('--force');
    expect(existsSync(partialDirOf(out))).toBe(false);
    const dir = claimOutDir(out, { runId: 'r', force: true });
    expect(readFileSync(join(out, 'roi.json'), 'utf8')).toBe('old'); // untouched until the run completes
    writeFileSync(join(dir.partial, 'summary.json'), 'new');
    dir.commit();
    expect(existsSync(join(out, 'roi.json'))).toBe(false);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe('new');
  });

  it('refuses a live lock always, a stale one unless forced', () => {
    const out = fresh();
    const first = claimOutDir(out, { runId: 'a' });
    expect(pidAlive(process.pid)).toBe(true);
    expect(failure(() => claimOutDir(out, { runId: 'b', force: true })).why).toContain(`another run (pid ${process.pid}, run id a)`);
    const pid = deadPid();
    expect(pidAlive(pid)).toBe(false);
    writeFileSync(join(first.partial, 'run.lock'), JSON.stringify({ pid, runId: 'a' }));
    const stale = failure(() => claimOutDir(out, { runId: 'b' }));
    expect(stale.why).toContain(`a killed run (pid ${pid}, run id a)`);
    expect(stale.why).toContain('--resume');
    const second = claimOutDir(out, { runId: 'b', force: true });
    expect(readLock(second.partial)).toEqual({ pid: process.pid, runId: 'b' });
  });

  it('an interrupted run goes to OUT.interrupted, which a later run does not overwrite unforced', () => {
    const out = fresh();
    const dir = claimOutDir(out, { runId: 'a' });
    writeFileSync(join(dir.partial, 'summary.json'), '{"status":"interrupted"}');
    expect(dir.interrupt()).toBe(interruptedDirOf(out));
    expect(existsSync(join(interruptedDirOf(out), 'summary.json'))).toBe(true);
    expect(existsSync(join(interruptedDirOf(out), 'run.lock'))).toBe(false);
    expect(failure(() => claimOutDir(out, { runId: 'a' })).why).toContain('an interrupted run left');
  });

  it('file-system errors are one-line failures: a file as OUT, a file in the path, no permission', () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    expect(failure(() => claimOutDir(file, { runId: 'r' })).why).toBe('is a file, not a folder');
    const under = failure(() => claimOutDir(join(file, 'sub'), { runId: 'r' }));
    expect(under.exitCode).toBe(2);
    expect(under.why).toContain('ENOTDIR');
    if (process.getuid?.() !== 0) {
      const ro = join(root, 'read-only');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      expect(failure(() => claimOutDir(join(ro, 'run'), { runId: 'r' })).why).toContain('EACCES');
    }
  });
});
