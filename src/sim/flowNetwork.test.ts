import { describe, it, expect } from 'vitest';
import { FlowNetwork } from './flowNetwork.js';
import { Link } from './link.js';
import { Rng } from './rng.js';

function runAll<T>(net: FlowNetwork<T>): Map<T, number> {
  const done = new Map<T, number>();
  for (let i = 0; i < 100_000; i++) {
    const t = net.nextEventTime();
    if (t === Infinity) break;
    for (const d of net.advanceTo(t)) done.set(d.tag, d.time);
  }
  return done;
}

describe('FlowNetwork', () => {
  it('reduces to the FIFO link for a lone flow (no latency phase, no cap)', () => {
    const link = new Link('l', { bandwidthMbps: 8, latencyMs: 0, jitterMs: 0, loss: 0, mode: 'reliable' }, new Rng(1));
    for (const bytes of [1, 1460, 100_000, 7_777_777]) {
      const fifo = link.transmit(bytes, 1000 * bytes); // idle link each time
      const net = new FlowNetwork<number>([{ name: 'l', bandwidthBps: 8e6 }]);
      net.start(1000 * bytes, { route: [0], wireBytes: fifo.wireBytes, latencyS: 0, capBps: Infinity, tag: 0 });
      expect(runAll(net).get(0)).toBeCloseTo(fifo.arrivalTime as number, 9);
    }
  });

  it('re-plans when flows start and end: two flows share, the survivor speeds up', () => {
    const net = new FlowNetwork<string>([{ name: 's', bandwidthBps: 8e6 }]); // 1 MB/s
    net.start(0, { route: [0], wireBytes: 1e6, latencyS: 0, capBps: Infinity, tag: 'a' });
    net.start(0, { route: [0], wireBytes: 3e6, latencyS: 0, capBps: Infinity, tag: 'b' });
    const done = runAll(net);
    expect(done.get('a')).toBeCloseTo(2, 9); // 0.5 MB/s each until a is done
    expect(done.get('b')).toBeCloseTo(4, 9); // then b alone: 2 MB left at 1 MB/s
  });

  it('holds a flow in its latency phase without using bandwidth, and honours its cap', () => {
    const net = new FlowNetwork<string>([{ name: 's', bandwidthBps: 8e6 }]);
    net.start(0, { route: [0], wireBytes: 1e6, latencyS: 0.5, capBps: Infinity, tag: 'late' });
    net.start(0, { route: [0], wireBytes: 1e6, latencyS: 0, capBps: 4e6, tag: 'capped' });
    const done = runAll(net);
    // capped: 0.5 MB/s all along (2 s); late: the other half from 0.5 s (0.75 MB by 2 s), then alone.
    expect(done.get('capped')).toBeCloseTo(2, 9);
    expect(done.get('late')).toBeCloseTo(2.25, 9);
  });

  it('rejects starting in the past and unknown resources', () => {
    const net = new FlowNetwork<number>([{ name: 's', bandwidthBps: 1e6 }]);
    net.start(1, { route: [0], wireBytes: 10, latencyS: 0, capBps: Infinity, tag: 0 });
    net.advanceTo(2);
    expect(() => net.start(1, { route: [0], wireBytes: 10, latencyS: 0, capBps: Infinity, tag: 1 })).toThrow('before the network');
    expect(() => net.start(3, { route: [4], wireBytes: 10, latencyS: 0, capBps: Infinity, tag: 1 })).toThrow('no resource 4');
  });

  it('scales: 1,000 clients behind one shared link, every flow completes, work per event stays linear', () => {
    const clients = 1000;
    const resources = [
      ...Array.from({ length: clients }, (_, k) => ({ name: `client-${k}`, bandwidthBps: 20e6 })),
      { name: 'server/in', bandwidthBps: 1e9 },
    ];
    const net = new FlowNetwork<number>(resources);
    for (let k = 0; k < clients; k++) {
      net.start(0, { route: [k, clients], wireBytes: 100_000 + 97 * k, latencyS: 0.001 * (k % 10), capBps: Infinity, tag: k });
    }
    const done = runAll(net);
    expect(done.size).toBe(clients);
    // Total bytes over the shared 1 Gbit/s link bound the makespan from below.
    const total = Array.from({ length: clients }, (_, k) => 100_000 + 97 * k).reduce((a, b) => a + b, 0);
    expect(Math.max(...done.values())).toBeGreaterThanOrEqual((total * 8) / 1e9);
    // Events: one per latency-phase end (10 distinct) and completion (≤ 1 per flow), no more.
    expect(net.replanCount).toBeLessThanOrEqual(clients + 10);
  });
});
