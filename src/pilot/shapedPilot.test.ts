/**
 * `splitwire pilot --shape` end to end (root, network namespaces; skipped with the reason
 * printed otherwise): the built CLI (`npm run build` first), two sites, one round, tiny data.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sleepMs } from '../sim/realClock.js';
import { shapingMissing } from './shapedLinks.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../../scenarios/quickstart.yaml', import.meta.url));
const UP_MBPS = 1;
const LATENCY_MS = 20;
const SETS = [
  'protocol.clients=2',
  'protocol.rounds=1',
  'data.size=32',
  'data.samplesPerClient=16',
  'data.testSamples=8',
  'codec.name=quant',
  'compute.workers=1',
  'network.profile=custom',
  `network.uplink.bandwidthMbps=${UP_MBPS}`,
  'network.downlink.bandwidthMbps=4',
  `network.uplink.latencyMs=${LATENCY_MS}`,
  `network.downlink.latencyMs=${LATENCY_MS}`,
].flatMap((s) => ['--set', s]);

const why = shapingMissing();
if (why !== null) console.log(`shapedPilot.test: skipping: ${why}`);

function start(args: string[]): { child: ChildProcess; text: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { child, text: () => text, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

/** The run's namespace prefix, from its log line `namespace sw…c0`. */
const prefixOf = (text: string): string | null => /namespace (sw\w+)c0\b/.exec(text)?.[1] ?? null;
const leftovers = (prefix: string): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));

describe.skipIf(why !== null)('splitwire pilot --shape (root, network namespaces)', () => {
  it('runs on shaped links (uplink transfers take at least their bytes at the shaped rate) and leaves no namespace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-shaped-'));
    try {
      const p = start(['pilot', SCENARIO, '--shape', '--out', dir, ...SETS]);
      expect(await p.exit, p.text()).toBe(0);
      const prefix = prefixOf(p.text());
      expect(prefix).not.toBeNull();
      expect(leftovers(prefix as string)).toEqual([]);
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { pilot: { links: string }; rounds: unknown[] };
      expect(summary.pilot.links).toMatch(/^shaped: /);
      expect(summary.pilot.links).toContain(`site 1: up ${UP_MBPS} Mbit/s, ${LATENCY_MS} ms, loss 0 %; down 4 Mbit/s`);
      expect(summary.rounds).toHaveLength(1);
      const ups = readFileSync(join(dir, 'traffic.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; wireBytes: number; sendTime: number; recvTime: number | null })
        .filter((r) => r.kind === 'features.s1');
      expect(ups.length).toBeGreaterThan(0);
      for (const r of ups) {
        // Unshaped loopback moves 30 kB in well under a millisecond; shaped, it takes bytes/rate + latency.
        const floor = (r.wireBytes * 8) / (UP_MBPS * 1e6) + LATENCY_MS / 1000;
        expect((r.recvTime as number) - r.sendTime).toBeGreaterThan(0.8 * floor);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('removes its namespaces when interrupted (SIGINT) mid-run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-shaped-'));
    try {
      const p = start(['pilot', SCENARIO, '--shape', '--out', dir, ...SETS]);
      while (!/round 1 starts/.test(p.text())) {
        if (p.child.exitCode !== null) throw new Error(`pilot exited early: ${p.text()}`);
        await sleepMs(100);
      }
      const prefix = prefixOf(p.text()) as string;
      expect(leftovers(prefix).length).toBe(5); // the server's, two sites', two routers'
      p.child.kill('SIGINT');
      expect(await p.exit).toBe(130);
      expect(leftovers(prefix)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
