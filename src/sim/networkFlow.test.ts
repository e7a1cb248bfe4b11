import { describe, it, expect } from 'vitest';
import { Network, type NetworkSpec } from './network.js';
import type { LinkSpec, Delivery } from './link.js';
import { Rng } from './rng.js';

const fast: LinkSpec = { bandwidthMbps: 100, latencyMs: 10, jitterMs: 0, loss: 0, mode: 'reliable' };

function drain(net: Network): Map<number, Delivery> {
  const out = new Map<number, Delivery>();
  for (let i = 0; i < 100_000; i++) {
    const t = net.nextEventTime();
    if (t === undefined) break;
    for (const c of net.advanceTo(t)) out.set(c.tag, c.delivery);
  }
  return out;
}

function spec(n: number, extra: Partial<NetworkSpec> = {}): NetworkSpec {
  return { clients: Array.from({ length: n }, () => ({ uplink: fast, downlink: fast })), ...extra };
}

describe('Network, flow model', () => {
  it('is chosen by a server access link; the fifo API then refuses', () => {
    const net = new Network(spec(2, { server: { uplinkMbps: 10, downlinkMbps: 10, latencyMs: 1 } }), new Rng(1));
    expect(net.isFlowModel).toBe(true);
    expect(() => net.send('client-0', 'server', 10, 0)).toThrow('uses the flow model');
    expect(new Network(spec(1), new Rng(1)).isFlowModel).toBe(false);
    expect(() => new Network(spec(1, { model: 'fifo', server: { uplinkMbps: 1, downlinkMbps: 1, latencyMs: 0 } }), new Rng(1))).toThrow(
      "network.model: a server or federator access link needs the 'flow' model, got 'fifo'",
    );
    expect(() => new Network(spec(1, { server: { uplinkMbps: 0, downlinkMbps: 1, latencyMs: 0 } }), new Rng(1))).toThrow(
      'network.server.uplinkMbps: must be a finite number > 0, got 0',
    );
  });

  it("shares the server's downlink among concurrent uploads (asymmetric: its uplink is separate)", () => {
    const server = { uplinkMbps: 100, downlinkMbps: 10, latencyMs: 0 };
    const alone = new Network(spec(4, { server }), new Rng(1));
    alone.startTransfer('client-0', 'server', 2_000_000, 0, undefined, 0);
    const t1 = drain(alone).get(0)!.arrivalTime!;
    const shared = new Network(spec(4, { server }), new Rng(1));
    for (let k = 0; k < 4; k++) shared.startTransfer(`client-${k}`, 'server', 2_000_000, 0, undefined, k);
    const t4 = drain(shared).get(0)!.arrivalTime!;
    // Four uploads through 10 Mbit/s take about four times as long as one.
    expect(t4 / t1).toBeGreaterThan(3.3);
    expect(t4 / t1).toBeLessThan(4.1);
    // Downloads use the server's 100 Mbit/s uplink instead: no such slowdown.
    const down = new Network(spec(4, { server }), new Rng(1));
    for (let k = 0; k < 4; k++) down.startTransfer('server', `client-${k}`, 2_000_000, 0, undefined, k);
    expect(drain(down).get(0)!.arrivalTime!).toBeLessThan(t1);
  });

  it('the federator shares the server link unless it has its own', () => {
    const server = { uplinkMbps: 100, downlinkMbps: 10, latencyMs: 0 };
    const run = (own: boolean): number => {
      const net = new Network(spec(2, own ? { server, federator: server } : { server }), new Rng(1));
      net.startTransfer('client-0', 'server', 2_000_000, 0, undefined, 0);
      net.startTransfer('client-1', 'federator', 2_000_000, 0, undefined, 1);
      return drain(net).get(0)!.arrivalTime!;
    };
    expect(run(false)).toBeGreaterThan(1.5 * run(true));
  });

  it('delivers in send order per sender and receiver, and counts bytes sent = delivered + dropped', () => {
    const lossy: LinkSpec = { ...fast, loss: 0.02, mode: 'lossy' };
    const net = new Network({ clients: [{ uplink: lossy, downlink: lossy }], server: { uplinkMbps: 50, downlinkMbps: 50, latencyMs: 2 } }, new Rng(3));
    const sizes = [3_000_000, 1000, 200_000, 10, 50_000];
    sizes.forEach((b, i) => net.startTransfer('client-0', 'server', b, 0.001 * i, i === 2 ? { reliable: true } : undefined, i));
    const got = drain(net);
    expect(got.size).toBe(sizes.length);
    let prev = -Infinity;
    for (let i = 0; i < sizes.length; i++) {
      const d = got.get(i)!;
      if (d.arrivalTime !== null) {
        expect(d.arrivalTime).toBeGreaterThanOrEqual(prev);
        prev = d.arrivalTime;
      }
    }
    expect(got.get(2)!.dropped).toBe(false); // sent reliably
    expect(got.get(0)!.dropped).toBe(true); // ~2000 packets at 2 % loss
    const s = net.totals();
    expect(s.bytesSent).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(s.bytesDelivered + s.bytesDropped).toBe(s.bytesSent);
    expect(net.inFlight).toBe(0);
  });

  it('is deterministic for a seed', () => {
    const once = (): (number | null)[] => {
      const net = new Network(
        { clients: [{ uplink: { ...fast, loss: 0.01, jitterMs: 3 }, downlink: fast }], server: { uplinkMbps: 20, downlinkMbps: 20, latencyMs: 1 } },
        new Rng(9),
      );
      for (let i = 0; i < 5; i++) net.startTransfer('client-0', 'server', 300_000, i * 0.01, undefined, i);
      return [...drain(net).values()].map((d) => d.arrivalTime);
    };
    expect(once()).toEqual(once());
  });
});
