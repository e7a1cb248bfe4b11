/**
 * `splitwire run --resume` after a real SIGKILL (issue 13): a child process running the CLI is
 * killed at a seeded random moment after its first round checkpoint, then resumed by a second
 * process; logs and summary must equal those of a run never killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledPath } from '../compute/pool.js';
import { Rng } from '../sim/rng.js';
import { partialDirOf } from './outputDir.js';
import { loadCheckpoint } from './checkpoint.js';

const SCENARIO = `name: resume-cli
seed: 5
data: { kind: lesion, size: 16, samplesPerClient: 8, testSamples: 8 }
model: { baseChannels: 2, depth: 3 }
protocol: { clients: 2, rounds: 4, batchSize: 4 }
network: { profile: rural-4g }
compute: { workers: 2, backend: wasm }
`;

const root = mkdtempSync(join(tmpdir(), 'splitwire-resume-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const main = compiledPath('cli/main.js');
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const summaryOf = (dir: string): Record<string, unknown> => {
  const { wallSeconds: _w, orchestrationOverhead: _o, ...rest } = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  return rest;
};

function cli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** Starts the CLI run into `out`, SIGKILLs it `delayMs` after its checkpoint of round `after`; resolves when it is dead. */
function runAndKill(scenarioFile: string, out: string, after: number, delayMs: number): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [main, 'run', scenarioFile, '--out', out, '--quiet'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      let rounds = -1;
      try {
        rounds = loadCheckpoint(partialDirOf(out))?.roundsDone ?? -1;
      } catch {
        // The folder is being created: look again.
      }
      if (rounds >= after) {
        clearInterval(poll);
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    }, 20);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === null) reject(new Error(`the run finished (exit ${code}) before it was killed`));
      else resolve(signal);
    });
  });
}

describe('splitwire run --resume after SIGKILL', { timeout: 600_000 }, () => {
  it('continues a killed run to the same traffic, timeline and summary as a run never killed', async () => {
    const seed = Number(process.env['RESUME_SEED'] ?? 20261202);
    const delayMs = Math.floor(new Rng(seed, 'kill-delay').uniform() * 300);
    console.log(`resume after SIGKILL: seed ${seed}, killed ${delayMs} ms after the round-1 checkpoint (replay with RESUME_SEED=${seed})`);
    const file = join(root, 'tiny.yaml');
    writeFileSync(file, SCENARIO);
    const a = join(root, 'A');
    const b = join(root, 'B');
    expect(cli(['run', file, '--out', a, '--quiet']).status).toBe(0);

    expect(await runAndKill(file, b, 1, delayMs)).toBe('SIGKILL');

    // A scenario that is not the run's is refused; the right one (or none) continues it.
    const other = cli(['run', file, '--set', 'seed=6', '--resume', b]);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('must be the one the run started with');
    const resumed = cli(['run', file, '--resume', b, '--quiet']);
    expect(resumed.stderr).toContain('resuming');
    expect(resumed.status).toBe(0);

    expect(sha(join(b, 'traffic.ndjson'))).toBe(sha(join(a, 'traffic.ndjson')));
    expect(sha(join(b, 'timeline.ndjson'))).toBe(sha(join(a, 'timeline.ndjson')));
    expect(summaryOf(b)).toEqual(summaryOf(a));
    // A finished run keeps no checkpoint; its resolved scenario stays.
    expect(existsSync(join(b, 'checkpoint'))).toBe(false);
    expect(existsSync(join(b, 'scenario.json'))).toBe(true);
  });
});
