import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SHAPED_SERVER_ADDRESS, ShapedLinks, shapingMissing, unshapeableLinks } from './shapedLinks.js';
import type { ClientLinks } from '../scenario/resolveNetwork.js';

const link = (bandwidthMbps: number, latencyMs: number): ClientLinks['uplink'] => ({ bandwidthMbps, latencyMs, jitterMs: 0, loss: 0 });

describe('unshapeableLinks', () => {
  it('names traces and bursty loss, accepts fixed links', () => {
    expect(unshapeableLinks([{ uplink: link(5, 40), downlink: link(20, 40) }])).toEqual([]);
    const bad = unshapeableLinks([{ uplink: { ...link(5, 40), latencyTrace: 'x.txt' }, downlink: { ...link(5, 40), burstLength: 4 } }]);
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatch(/^network links\[0\]\.uplink\.latencyTrace: must be absent/);
    expect(bad[1]).toMatch(/^network links\[0\]\.downlink\.burstLength: must be absent or 1 .* got 4$/);
  });
});

const why = shapingMissing();
if (why !== null) console.log(`shapedLinks.test: skipping the namespace tests: ${why}`);

/** Runs `script` with node inside namespace `ns`; resolves with its stdout. */
function inNs(ns: string, script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

// The server side: accept one connection, read UP bytes, answer with DOWN bytes.
const SERVER = `
const net = require('node:net');
const [host, up, down] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const srv = net.createServer((s) => {
  let got = 0;
  s.on('data', (d) => { got += d.length; if (got === up) s.end(Buffer.alloc(down)); });
  s.on('close', () => srv.close());
});
srv.listen(5555, host, () => console.log('ready'));
`;
// The site side: connect, then time sending UP bytes and receiving DOWN bytes.
const CLIENT = `
const net = require('node:net');
const [host, up, down] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const s = net.connect(5555, host, () => {
  const t0 = process.hrtime.bigint();
  let got = 0;
  s.on('data', (d) => { got += d.length; if (got === down) { console.log(Number(process.hrtime.bigint() - t0) / 1e9); s.destroy(); } });
  s.write(Buffer.alloc(up));
});
`;

describe.skipIf(why !== null)('ShapedLinks (root, network namespaces)', () => {
  it('shapes a site\'s uplink and downlink rates and latency, and removes every namespace on close', async () => {
    const net = await ShapedLinks.create([{ uplink: link(2, 30), downlink: link(4, 30) }], { seed: 1 });
    const names = [net.serverNs, ...net.sites.map((x) => x.ns)];
    try {
      const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      for (const n of names) expect(listed).toContain(n);
      const up = 250_000;
      const down = 500_000;
      const server = spawn('ip', ['netns', 'exec', net.serverNs, process.execPath, '-e', SERVER, SHAPED_SERVER_ADDRESS, String(up), String(down)], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 60_000 });
      await new Promise<void>((resolve) => server.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
      const seconds = Number(await inNs(net.sites[0]?.ns as string, CLIENT, [SHAPED_SERVER_ADDRESS, String(up), String(down)]));
      // Payload at the shaped rates (IP/TCP headers add ~3.5 %) plus one one-way latency each way.
      const expected = (up * 8) / 2e6 + (down * 8) / 4e6 + 0.06;
      console.log(`shapedLinks.test: 250 kB up at 2 Mbit/s + 500 kB down at 4 Mbit/s, 30 ms each way: measured ${seconds.toFixed(3)} s, expected ${expected.toFixed(3)} s`);
      expect(seconds / expected).toBeGreaterThan(0.95);
      expect(seconds / expected).toBeLessThan(1.2);
    } finally {
      net.close();
    }
    const after = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const n of names) expect(after).not.toContain(n);
  }, 60_000);
});
