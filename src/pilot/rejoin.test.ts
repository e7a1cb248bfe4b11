/**
 * A site whose process dies mid-run and is started again rejoins: real processes (the built
 * CLI, `npm run build` first) on loopback, two sites, tiny data. Site 1's process is killed
 * (SIGKILL) the moment round 1 starts and started again at once; the server keeps serving,
 * round 1 closes at its deadline without site 1, and site 1 takes part in rounds 2 and 3.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sleepMs } from '../sim/realClock.js';
import { makeCerts } from './certs.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../../scenarios/quickstart.yaml', import.meta.url));
const SETS = [
  'protocol.clients=2',
  'protocol.rounds=3',
  'data.size=32',
  'data.samplesPerClient=16',
  'data.testSamples=8',
  'protocol.roundDeadlineS=15',
  'protocol.stepTimeoutS=4',
  'codec.name=quant',
  'compute.workers=1',
].flatMap((s) => ['--set', s]);

interface Proc {
  child: ChildProcess;
  text: () => string;
  exit: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, text: () => text, exit };
}

/** Resolves when `p`'s output matches `re` (polled; the test's own timeout bounds it). */
async function waitFor(p: Proc, re: RegExp): Promise<RegExpExecArray> {
  for (;;) {
    const m = re.exec(p.text());
    if (m !== null) return m;
    if (p.child.exitCode !== null) throw new Error(`exited (${p.child.exitCode}) before ${re}: ${p.text()}`);
    await sleepMs(100);
  }
}

describe('pilot: a site killed mid-run rejoins', () => {
  it('round 1 closes without site 1 at its deadline; site 1 takes part in rounds 2 and 3', async () => {
    expect(existsSync(MAIN), `${MAIN} is missing: run npm run build first`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-rejoin-'));
    const procs: Proc[] = [];
    try {
      makeCerts(join(dir, 'certs'), 2);
      const server = start(['serve', SCENARIO, '--listen', '127.0.0.1:0', '--certs', join(dir, 'certs'), '--out', join(dir, 'out'), ...SETS]);
      procs.push(server);
      const port = (await waitFor(server, /^listening .*:(\d+)$/m))[1] as string;
      const join1 = (k: number): Proc =>
        start(['join', SCENARIO, '--server', `https://127.0.0.1:${port}`, '--site', String(k), '--cert', join(dir, 'certs', `site-${k}.pem`), '--key', join(dir, 'certs', `site-${k}.key`), '--ca', join(dir, 'certs', 'ca.pem'), ...SETS]);
      const site0 = join1(0);
      const site1 = join1(1);
      procs.push(site0, site1);
      await waitFor(server, /round 1 starts/);
      site1.child.kill('SIGKILL');
      expect(await site1.exit).toBeNull();
      const again = join1(1);
      procs.push(again);
      await waitFor(again, /client-1: joined/);
      expect(await server.exit).toBe(0);
      expect(await site0.exit).toBe(0);
      expect(await again.exit).toBe(0);
      const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as {
        status: string;
        rounds: { round: number; participants: number; dropped: number[]; simulatedSeconds: number }[];
      };
      expect(summary.status).toBe('complete');
      expect(summary.rounds.map((r) => [r.round, r.participants, r.dropped])).toEqual([
        [0, 1, [1]],
        [1, 2, []],
        [2, 2, []],
      ]);
      console.log(`rejoin.test: rounds end at ${summary.rounds.map((r) => `${r.simulatedSeconds.toFixed(1)} s`).join(', ')}`);
      // Round 1 waited for site 1 until its deadline (15 s), not much longer.
      const first = summary.rounds[0]?.simulatedSeconds ?? 0;
      expect(first).toBeGreaterThanOrEqual(15);
      expect(first).toBeLessThan(25);
      // Site 1's update of round 1 never arrived; its updates of rounds 2 and 3 did.
      const traffic = readFileSync(join(dir, 'out', 'traffic.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { round: number; kind: string; src: string; dropped: boolean });
      const ups = (round: number): number => traffic.filter((t) => t.kind === 'weights.up' && t.src === 'client-1' && t.round === round && !t.dropped).length;
      expect([ups(0), ups(1), ups(2)]).toEqual([0, 1, 1]);
      // The server saw site 1 leave and join again.
      expect(server.text()).toMatch(/site 1 left[\s\S]*site 1 joined/);
    } finally {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
