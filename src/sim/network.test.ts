import { describe, it, expect } from 'vitest';
import { Network, type NetworkSpec, type ServerAccessModel } from './network.js';
import type { LinkSpec, Delivery } from './link.js';
import { Rng } from './rng.js';

const up: LinkSpec = { bandwidthMbps: 10, latencyMs: 20, jitterMs: 3, loss: 0.01, mode: 'reliable' };
const down: LinkSpec = { bandwidthMbps: 50, latencyMs: 20, jitterMs: 3, loss: 0.01, mode: 'reliable' };
const spec = (n: number): NetworkSpec => ({ clients: Array.from({ length: n }, () => ({ uplink: up, downlink: down })) });

describe('Network routing', () => {
  it('routes client → server/federator on the uplink and back on the downlink', () => {
    const net = new Network(spec(3), new Rng(1));
    expect(net.clientCount).toBe(3);
    expect(net.route('client-2', 'server')).toBe(net.uplink(2));
    expect(net.route('client-2', 'federator')).toBe(net.uplink(2));
    expect(net.route('server', 'client-0')).toBe(net.downlink(0));
    expect(net.route('federator', 'client-1')).toBe(net.downlink(1));
    expect(net.uplink(1).name).toBe('client-1/uplink');
    expect(net.downlink(1).name).toBe('client-1/downlink');
    expect(net.links().map((l) => l.name)).toEqual([
      'client-0/uplink', 'client-1/uplink', 'client-2/uplink',
      'client-0/downlink', 'client-1/downlink', 'client-2/downlink',
    ]);
  });

  it("shares one uplink between a client's server and federator traffic (FIFO)", () => {
    const net = new Network({ clients: [{ uplink: { ...up, jitterMs: 0, loss: 0 }, downlink: down }] }, new Rng(1));
    const a = net.send('client-0', 'server', 1_000_000, 0);
    const b = net.send('client-0', 'federator', 1000, 0);
    expect(b.startTime).toBe(net.uplink(0).busyUntil - (1040 * 8) / 10e6);
    expect(b.startTime).toBeGreaterThan(a.startTime);
    expect(b.arrivalTime!).toBeGreaterThanOrEqual(a.arrivalTime!);
  });

  it('passes the per-message reliable override to the link', () => {
    const lossy = { ...up, loss: 0.5, jitterMs: 0, mode: 'lossy' as const };
    const net = new Network({ clients: [{ uplink: lossy, downlink: lossy }] }, new Rng(4));
    const outcomes = Array.from({ length: 40 }, (_, i) => net.send('server', 'client-0', 50_000, i, { reliable: true }));
    expect(outcomes.every((d) => !d.dropped)).toBe(true);
    expect(outcomes.some((d) => d.retransmissions > 0)).toBe(true);
    expect(net.send('client-0', 'server', 50_000, 0).dropped).toBe(true); // 35 packets at 50 % loss
  });

  it('rejects unknown endpoints, out-of-range clients and routes it has no link for', () => {
    const net = new Network(spec(2), new Rng(1));
    expect(() => net.send('client-0', 'client-1', 1, 0)).toThrow('Network.send: no route from client-0 to client-1');
    expect(() => net.send('server', 'federator', 1, 0)).toThrow('Network.send: no route from server to federator');
    expect(() => net.send('client-0', 'cloud', 1, 0)).toThrow('Network.send: unknown endpoint "cloud"');
    expect(() => net.send('client-01', 'server', 1, 0)).toThrow('unknown endpoint "client-01"');
    expect(() => net.send('client-2', 'server', 1, 0)).toThrow('Network: client index must be an integer in [0, 1], got 2');
    expect(() => net.uplink(-1)).toThrow('got -1');
  });
});

describe('Network construction', () => {
  it('validates with field paths', () => {
    expect(() => new Network({ clients: [] }, new Rng(1))).toThrow('network.clients: must be a non-empty array, got []');
    const bad = { clients: [{ uplink: up, downlink: down }, { uplink: { ...up, bandwidthMbps: 0 }, downlink: down }] };
    expect(() => new Network(bad, new Rng(1))).toThrow('network.clients[1].uplink.bandwidthMbps: must be a finite number > 0, got 0');
    expect(() => new Network(bad, new Rng(1), { field: 'scenario.network' })).toThrow('scenario.network.clients[1].uplink.bandwidthMbps');
    const badDown = { clients: [{ uplink: up, downlink: { ...down, mode: 'udp' } }] } as unknown as NetworkSpec;
    expect(() => new Network(badDown, new Rng(1))).toThrow(`network.clients[0].downlink.mode: must be 'reliable' or 'lossy', got "udp"`);
  });

  it('gives each link its own child stream: same seed, same deliveries; other traffic does not shift them', () => {
    const a = new Network(spec(2), new Rng(7));
    const b = new Network(spec(2), new Rng(7));
    const trace = (net: Network, noise: boolean): (number | null)[] => {
      const out: (number | null)[] = [];
      for (let i = 0; i < 200; i++) {
        if (noise) net.send('server', 'client-1', 50_000, i * 0.1);
        out.push(net.send('client-0', 'server', 100_000, i * 0.1).arrivalTime);
      }
      return out;
    };
    expect(trace(a, false)).toEqual(trace(b, true));
    // every link has its own stream: identical specs and traffic still draw different jitter
    const d = new Network(spec(2), new Rng(7));
    const jitterOf = (link: 'uplink' | 'downlink', k: number): (number | null)[] =>
      Array.from({ length: 20 }, (_, i) => d[link](k).transmit(0, i).arrivalTime);
    const seqs = [jitterOf('uplink', 0), jitterOf('uplink', 1), jitterOf('downlink', 0), jitterOf('downlink', 1)];
    expect(new Set(seqs.map((x) => JSON.stringify(x))).size).toBe(4);
    const c = new Network(spec(2), new Rng(8));
    expect(trace(c, false)).not.toEqual(trace(new Network(spec(2), new Rng(7)), false));
  });

  it('passes every delivery through the server-side model, and sums stats', () => {
    const seen: string[] = [];
    const delayed: ServerAccessModel = {
      pass(direction, client, d: Delivery): Delivery {
        seen.push(`${direction}:${client}`);
        return { ...d, arrivalTime: d.arrivalTime === null ? null : d.arrivalTime + 1 };
      },
    };
    const plain = new Network(spec(2), new Rng(3));
    const net = new Network(spec(2), new Rng(3), { serverAccess: delayed });
    const d = net.send('client-1', 'server', 1000, 0);
    expect(d.arrivalTime).toBe(plain.send('client-1', 'server', 1000, 0).arrivalTime! + 1);
    net.send('federator', 'client-0', 2000, 0);
    expect(seen).toEqual(['up:1', 'down:0']);
    expect(net.totals()).toMatchObject({ sent: 2, bytesSent: 3000, delivered: 2, bytesDelivered: 3000, dropped: 0 });
  });
});
