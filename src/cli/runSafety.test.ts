/**
 * `splitwire run` as a careless user and a crashing machine would drive it: the built CLI,
 * spawned, with tiny runs (1–3 rounds, 8 samples per client). Needs `npm run build` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledPath } from '../compute/pool.js';

const root = mkdtempSync(join(tmpdir(), 'splitwire-safety-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cli = (): string => compiledPath('cli/main.js');
const TINY = ['--set', 'data.samplesPerClient=8', '--set', 'data.testSamples=8', '--set', 'data.size=32', '--quiet'];

function run(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [cli(), 'run', 'scenarios/quickstart.yaml', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Every file under `dir` with its size and mtime: equal snapshots = untouched. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .sort()
    .map((f) => {
      const st = statSync(join(dir, f));
      return `${f} ${st.size} ${st.mtimeMs}`;
    });
}

/** A one-line failure with no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^splitwire: /);
  expect(stderr).not.toMatch(/\n\s+at /);
}

function png(w: number, h: number, grey: number): Buffer {
  const p = new PNG({ width: w, height: h });
  p.data.fill(grey);
  return PNG.sync.write(p);
}

describe('splitwire run: output folders, files it names, signals', () => {
  it('refuses a non-empty --out with exit 2, naming --force, and leaves it untouched', () => {
    const out = join(root, 'full');
    mkdirSync(out);
    writeFileSync(join(out, 'summary.json'), '{"old":true}\n');
    const before = snapshot(out);
    const r = run(['--out', out, ...TINY, '--set', 'protocol.rounds=1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--force');
    expect(r.stderr).toContain('not empty');
    expectOneLine(r.stderr);
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(`${out}.partial`)).toBe(false);
  }, 60_000);

  it('a missing trace file: exit 2, one line, no stack trace, nothing written', () => {
    const out = join(root, 'no-trace');
    const r = run(['--out', out, '--set', 'network.uplink.bandwidthTrace.file=missing.mbps', '--set', 'network.uplink.bandwidthTrace.format=mbps']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    // A --set path resolves from the current directory, so the message names it in full.
    expect(r.stderr).toMatch(/network\.uplink\.bandwidthTrace: cannot read trace "[^"]*missing\.mbps"/);
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
  }, 60_000);

  it('a corrupt and a truncated PNG: exit 2, every bad file listed, no stack trace, nothing written', () => {
    const data = join(root, 'data');
    mkdirSync(join(data, 'images'), { recursive: true });
    mkdirSync(join(data, 'masks'), { recursive: true });
    for (let i = 0; i < 12; i++) {
      writeFileSync(join(data, 'images', `${i}.png`), png(16, 16, 90 + i));
      writeFileSync(join(data, 'masks', `${i}.png`), png(16, 16, 0));
    }
    const out = join(root, 'bad-data');
    const args = ['--out', out, '--set', 'data.kind=folder', '--set', `data.path=${data}`, '--set', 'data.size=16'];
    writeFileSync(join(data, 'images', '3.png'), Buffer.from('definitely not a PNG'));
    const one = run(args);
    expect(one.status).toBe(2);
    expectOneLine(one.stderr);
    expect(one.stderr).toContain(`${join(data, 'images', '3.png')}: not a readable image`);
    const good = png(16, 16, 7);
    writeFileSync(join(data, 'images', '5.png'), good.subarray(0, good.length - 20));
    const two = run(args);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/^splitwire: scenarios\/quickstart\.yaml: 2 problems/);
    expect(two.stderr).toContain(`${join(data, 'images', '5.png')}: not a readable image: truncated or corrupt file`);
    expect(two.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
  }, 120_000);

  it('refuses a second run into a folder a live run holds, and a killed run’s folder unless --force', () => {
    const out = join(root, 'locked');
    mkdirSync(`${out}.partial`);
    // This test process is alive: its pid makes a live lock.
    writeFileSync(join(`${out}.partial`, 'run.lock'), JSON.stringify({ pid: process.pid, runId: 'other' }));
    const live = run(['--out', out, ...TINY, '--set', 'protocol.rounds=1']);
    expect(live.status).toBe(2);
    expectOneLine(live.stderr);
    expect(live.stderr).toContain(`another run (pid ${process.pid}, run id other)`);
    // A pid that exited: a killed run, refused without --force.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(`${out}.partial`, 'run.lock'), JSON.stringify({ pid: Number(dead.stdout), runId: 'killed' }));
    const stale = run(['--out', out, ...TINY, '--set', 'protocol.rounds=1']);
    expect(stale.status).toBe(2);
    expect(stale.stderr).toContain('a killed run');
    expect(stale.stderr).toContain('--force');
    const forced = run(['--out', out, ...TINY, '--set', 'protocol.rounds=1', '--force']);
    expect(forced.status).toBe(0);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { status: string; runId: string; roundsCompleted: number };
    expect(summary.status).toBe('complete');
    expect(summary.roundsCompleted).toBe(1);
    for (const f of ['traffic.ndjson', 'timeline.ndjson']) {
      const lines = readFileSync(join(out, f), 'utf8').trimEnd().split('\n');
      expect(lines.every((l) => (JSON.parse(l) as { runId: string }).runId === summary.runId)).toBe(true);
    }
    // --force replaces a completed run whole.
    writeFileSync(join(out, 'roi.json'), '{}');
    const again = run(['--out', out, ...TINY, '--set', 'protocol.rounds=1', '--force']);
    expect(again.status).toBe(0);
    expect(existsSync(join(out, 'roi.json'))).toBe(false);
  }, 240_000);

  it('SIGINT after round 1 of 3: exit 130, the rounds done in the log, summary "interrupted" in OUT.interrupted', async () => {
    const out = join(root, 'sigint');
    const child = spawn(process.execPath, [cli(), 'run', 'scenarios/quickstart.yaml', '--out', out, ...TINY.slice(0, -1), '--set', 'protocol.rounds=3'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const status = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('round 1/3') && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (code) => resolve(code));
    });
    expect(status).toBe(130);
    expect(stderr).toContain(`interrupted by SIGINT after`);
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
    const dir = `${out}.interrupted`;
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { status: string; roundsCompleted: number; runId: string };
    expect(summary.status).toBe('interrupted');
    expect(summary.roundsCompleted).toBeGreaterThanOrEqual(1);
    expect(summary.roundsCompleted).toBeLessThan(3);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    const records = readFileSync(join(dir, 'traffic.ndjson'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { round: number; seq: number; runId: string });
    // Every message of round 0: seq runs 0..n-1 with no gap, all of the run.
    expect(records.filter((r) => r.round === 0).length).toBeGreaterThan(0);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    expect(records.every((r) => r.runId === summary.runId)).toBe(true);
  }, 240_000);

  it('refuses a run past the memory estimate unless --force, before writing anything', () => {
    const out = join(root, 'huge');
    const r = run(['--out', out, '--set', 'protocol.clients=100000', '--set', 'data.size=1024']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/needs about .* of memory, .* is available; make it smaller or pass --force/);
    expect(existsSync(`${out}.partial`)).toBe(false);
  }, 60_000);
});
