/**
 * Security of the pilot transport, on loopback: who may connect, who may send as whom, and
 * what bad, replayed, oversize, slow and fuzzed frames do to a live server (nothing but being
 * refused or ignored; other sites keep working).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { makeCerts, type CertFiles } from './certs.js';
import { WireServer } from './wireServer.js';
import { WireClient } from './wireClient.js';
import { encodeFrame, type FrameHeader } from './frame.js';
import type { Envelope } from './channel.js';

const nowMs = (): number => performance.now();
let dir: string;
let certs: CertFiles;
let rogue: CertFiles;
let server: WireServer;
let port: number;
const logs: string[] = [];
const received: { k: number; e: Envelope }[] = [];
const pem = (f: string): string => readFileSync(f, 'utf8');
const LIMITS = { chunkBytes: 64 * 1024, maxMessageBytes: 4 * 1024 * 1024, highWaterBytes: 256 * 1024 };

function client(k: number, files: { cert: string; key: string } | null, ca = certs.ca): WireClient {
  return new WireClient({
    url: `https://127.0.0.1:${port}`,
    site: k,
    ca: pem(ca),
    cert: files === null ? '' : pem(files.cert),
    key: files === null ? '' : pem(files.key),
    limits: LIMITS,
    nowMs,
  });
}

async function joined(k: number): Promise<WireClient> {
  const c = client(k, certs.sites[k] as { cert: string; key: string });
  await c.connect();
  return c;
}

function env(k: number, round: number, payload = new Uint8Array([1, 2, 3])): Envelope {
  return { from: `client-${k}`, to: 'server', kind: 'features.s1', round, step: 0, t: 0, meta: { n: round }, payload };
}

function header(k: number, seq: number, over: Partial<FrameHeader> = {}): FrameHeader {
  return { from: `client-${k}`, to: 'server', seq, kind: 'features.s1', round: 0, step: 0, mid: seq, part: 0, parts: 1, total: 0, len: 0, t: 0, ...over };
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const t0 = nowMs();
  while (!cond()) {
    if (nowMs() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const fromSite = (k: number): Envelope[] => received.filter((r) => r.k === k).map((r) => r.e);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'splitwire-wire-'));
  certs = makeCerts(join(dir, 'pilot'), 3);
  rogue = makeCerts(join(dir, 'rogue'), 3);
});

beforeAll(async () => {
  server = new WireServer({
    ca: pem(certs.ca),
    cert: pem(certs.server.cert),
    key: pem(certs.server.key),
    sites: 3,
    host: '127.0.0.1',
    port: 0,
    limits: LIMITS,
    pingMs: 250,
    messageTimeoutMs: 400,
    handshakeMs: 500,
    maxBadFrames: 50,
    log: (l) => logs.push(l),
    nowMs,
  });
  server.onMessage = (k, e) => received.push({ k, e });
  port = await server.listen();
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pilot transport security (mutual TLS over loopback)', () => {
  it('refuses a client without a certificate, and one whose certificate is from another CA, before any frame', async () => {
    await expect(client(0, null).connect()).rejects.toThrow();
    await expect(client(0, rogue.sites[0] as { cert: string; key: string }).connect()).rejects.toThrow();
    expect(server.stats['admitted'] ?? 0).toBe(0);
    expect(received).toHaveLength(0);
  });

  it("refuses site 0's certificate on site 1's address", async () => {
    const c = new WireClient({ url: `https://127.0.0.1:${port}`, site: 1, ca: pem(certs.ca), cert: pem(certs.sites[0]?.cert as string), key: pem(certs.sites[0]?.key as string), nowMs });
    await expect(c.connect()).rejects.toThrow();
    expect(server.connected(1)).toBe(false);
  });

  it('delivers a site message, streams a large one in chunks, and routes replies only to their site', async () => {
    const a = await joined(0);
    const b = await joined(1);
    const big = new Uint8Array(1_000_003).map((_, i) => i % 251);
    expect(await a.send(env(0, 1, big))).toBe(true);
    await until(() => fromSite(0).length === 1);
    expect(Buffer.compare(Buffer.from(fromSite(0)[0]?.payload ?? []), Buffer.from(big))).toBe(0);
    expect(server.stats['partial']).toBeGreaterThanOrEqual(15);
    const gotA: Envelope[] = [];
    const gotB: Envelope[] = [];
    a.onMessage = (e) => gotA.push(e);
    b.onMessage = (e) => gotB.push(e);
    await server.send(1, { from: 'server', to: 'client-1', kind: 'weights.down', round: 0, step: -1, t: 0, payload: new Uint8Array(10) });
    await until(() => gotB.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(gotA).toHaveLength(0);
    a.close();
    b.close();
    await until(() => !server.connected(0) && !server.connected(1));
  });

  it('closes a site that sends as another site; the other site keeps working', async () => {
    const a = await joined(0);
    const b = await joined(1);
    let closed = 0;
    a.onClose = (code) => (closed = code);
    a.socket()?.send(encodeFrame(header(1, 999_999)));
    await until(() => closed !== 0);
    expect(closed).toBe(1008);
    expect(received.some((r) => r.e.from === 'client-1' && r.k === 0)).toBe(false);
    const before = fromSite(1).length;
    await b.send(env(1, 2));
    await until(() => fromSite(1).length === before + 1);
    b.close();
  });

  it('ignores a replayed frame, and a rejoining site continues after its last seq', async () => {
    const a = await joined(0);
    const before = fromSite(0).length;
    const seq = server.lastSeqFrom(0) + 1;
    const f = encodeFrame(header(0, seq), new Uint8Array(0));
    a.socket()?.send(f);
    a.socket()?.send(f);
    await until(() => fromSite(0).length === before + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(fromSite(0)).toHaveLength(before + 1);
    expect(server.stats['replay']).toBeGreaterThanOrEqual(1);
    a.close();
    await until(() => !server.connected(0));
    const again = client(0, certs.sites[0] as { cert: string; key: string });
    const w = await again.connect();
    expect(w.lastSeq).toBe(seq);
    await again.send(env(0, 3));
    await until(() => fromSite(0).length === before + 2);
    again.close();
  });

  it('drops oversize, truncated and malformed frames without crashing or losing the other site', async () => {
    const a = await joined(0);
    const b = await joined(1);
    const before = fromSite(0).length;
    const whole = encodeFrame(header(0, server.lastSeqFrom(0) + 1, { total: 8 }), new Uint8Array(8));
    a.socket()?.send(whole.subarray(0, whole.length - 3)); // truncated
    a.socket()?.send(Buffer.from('not a frame')); // malformed
    a.socket()?.send(encodeFrame(header(0, server.lastSeqFrom(0) + 5, { total: 5 * 1024 * 1024, parts: 100 }), new Uint8Array(10))); // declares too much
    await new Promise((r) => setTimeout(r, 100));
    expect(fromSite(0)).toHaveLength(before);
    let closed = 0;
    a.onClose = (code) => (closed = code);
    a.socket()?.send(new Uint8Array(LIMITS.chunkBytes + 64 * 1024)); // over the WebSocket size limit
    await until(() => closed !== 0);
    expect(closed).toBe(1009);
    const nb = fromSite(1).length;
    await b.send(env(1, 4));
    await until(() => fromSite(1).length === nb + 1);
    b.close();
  });

  it('closes a slow-loris connection that stalls in its upgrade request', async () => {
    const raw = tlsConnect({ host: '127.0.0.1', port, ca: pem(certs.ca), cert: pem(certs.sites[2]?.cert as string), key: pem(certs.sites[2]?.key as string), servername: 'localhost' });
    let rawClosed = false;
    raw.on('close', () => (rawClosed = true));
    raw.on('error', () => undefined);
    raw.on('secureConnect', () => raw.write('GET /site/2 HTTP/1.1\r\nHost: localhost\r\n'));
    await until(() => rawClosed, 5000);
  }, 10_000);

  it('closes a connection that leaves a message half sent', async () => {
    const a = await joined(2);
    let closed = false;
    a.onClose = () => (closed = true);
    a.socket()?.send(encodeFrame(header(2, server.lastSeqFrom(2) + 1, { parts: 4, total: 40 }), new Uint8Array(10)));
    await until(() => closed, 5000);
    expect(server.stats['timeout']).toBeGreaterThanOrEqual(2);
  }, 10_000);

  it('10,000 fuzzed frames into a live server: all refused or ignored, server alive, site 1 unharmed', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? 20261202);
    console.log(`wire fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const names = fc.constantFrom('client-1', 'client-2', 'server', 'federator', 'client-0x', 'x');
    const valid = fc.record({
      from: names,
      to: fc.constantFrom('server', 'federator', 'client-1'),
      seq: fc.integer({ min: -2, max: 2 ** 40 }),
      kind: fc.constantFrom('features.s1', 'weights.up', 'control', 'hello', 'bogus'),
      round: fc.integer({ min: -3, max: 1e6 }),
      step: fc.integer({ min: -3, max: 1e6 }),
      mid: fc.integer({ min: 0, max: 100 }),
      part: fc.integer({ min: 0, max: 5 }),
      parts: fc.integer({ min: 0, max: 5 }),
      total: fc.integer({ min: 0, max: 1e7 }),
      len: fc.integer({ min: 0, max: 10 }),
      t: fc.double(),
    });
    const framed = fc.tuple(valid, fc.uint8Array({ maxLength: 64 })).map(([h, p]) => {
      try {
        return new Uint8Array(encodeFrame(h as FrameHeader, p));
      } catch {
        return p;
      }
    });
    const cut = fc.tuple(framed, fc.nat()).map(([f, n]) => f.subarray(0, n % (f.length + 1)));
    const flipped = fc.tuple(framed, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([f, i, x]) => {
      const g = f.slice();
      if (g.length > 0) g[i % g.length]! ^= x;
      return g;
    });
    const frames = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 128 }), framed, cut, flipped), { seed, numRuns: 10_000 });
    expect(frames).toHaveLength(10_000);
    const b = await joined(1);
    const before0 = fromSite(0).length;
    let a = await joined(0);
    let sent = 0;
    for (const f of frames) {
      if (a.socket()?.readyState !== 1) a = await joined(0);
      a.socket()?.send(f);
      sent++;
      if (sent % 200 === 0) await new Promise((r) => setTimeout(r, 1));
      if (sent % 1000 === 0) {
        const nb = fromSite(1).length;
        await b.send(env(1, 100 + sent / 1000));
        await until(() => fromSite(1).length === nb + 1);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    // Nothing from site 0's socket was taken as a message of another sender, or as a message at all:
    // every fuzzed frame claims another sender, a bad seq, or is malformed.
    // (A bit flip may turn a frame into a valid one of site 0's own: that one is site 0's message.)
    const taken = fromSite(0).slice(before0);
    expect(taken.every((e) => e.from === 'client-0')).toBe(true);
    expect(taken.length).toBeLessThan(20);
    console.log(`wire fuzz verdicts ${JSON.stringify(server.stats)}`);
    expect(fromSite(1).length).toBeGreaterThanOrEqual(10);
    const nb = fromSite(1).length;
    await b.send(env(1, 999));
    await until(() => fromSite(1).length === nb + 1);
    a.close();
    b.close();
  }, 120_000);

  it('never writes key material to its log', () => {
    expect(logs.length).toBeGreaterThan(0);
    const secrets = [certs.server.key, ...certs.sites.map((s) => s.key)].map((f) => pem(f).split('\n')[1] as string);
    for (const line of logs) {
      expect(line).not.toContain('PRIVATE KEY');
      for (const s of secrets) expect(line).not.toContain(s);
    }
  });
});
