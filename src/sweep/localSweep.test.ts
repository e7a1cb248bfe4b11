/** `splitwire sweep` without a queue: a pool of child processes here, and a re-run that runs nothing. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli/cli.js';
import { computeInThread } from './forkPoint.js';

const out = mkdtempSync(join(tmpdir(), 'splitwire-local-sweep-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; text: () => string } {
  let t = '';
  return { io: { stdout: (x) => void (t += x), stderr: (x) => void (t += x) }, text: () => t };
}

describe('local sweep', () => {
  it('runs seeds in parallel processes, writes rows and stats, and skips finished points on a re-run', async () => {
    const args = ['sweep', 'scenarios/quickstart.yaml', '--set', 'data.samplesPerClient=8', '--set', 'data.testSamples=8', '--set', 'protocol.rounds=1', '--set', 'codec.name=fp16', '--seeds', '1,2', '--jobs', '2', '--out', out];
    const first = capture();
    expect(await main(args, first.io), first.text()).toBe(0);
    expect(first.text()).toContain('sweep: 2 runs (1 settings × 2 seeds), 0 already done');
    expect(first.text()).toContain('2/2 done · 0 running · 0 failed');
    const doc = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as { rows: Array<{ dir: string; seed: number }>; stats: Array<{ seeds: number[] }> };
    expect(doc.rows.map((r) => [r.dir, r.seed])).toEqual([['base/seed=1', 1], ['base/seed=2', 2]]);
    expect(doc.stats[0]?.seeds).toEqual([1, 2]);
    const s1 = JSON.parse(readFileSync(join(out, 'base/seed=1/summary.json'), 'utf8')) as { seed: number; computeThreads: number };
    expect(s1.seed).toBe(1);
    // Two at once: on a machine of at most 2 cores each computes in its own thread, else in its pool.
    expect(s1.computeThreads).toBe(computeInThread(2) ? 0 : 2);
    const mtime = statSync(join(out, 'base/seed=2/traffic.ndjson')).mtimeMs;
    const again = capture();
    expect(await main(args, again.io)).toBe(0);
    expect(again.text()).toContain('2 already done');
    expect(statSync(join(out, 'base/seed=2/traffic.ndjson')).mtimeMs).toBe(mtime);
  }, 300_000);
});
