import { describe, it, expect } from 'vitest';
import { Link, type LinkSpec } from './link.js';
import { Network, type NetworkSpec } from './network.js';
import { Rng } from './rng.js';

const lossy: LinkSpec = { bandwidthMbps: 20, latencyMs: 15, jitterMs: 2, loss: 0.01, mode: 'reliable' };
const spec = (extra: Partial<NetworkSpec> = {}): NetworkSpec => ({ clients: [{ uplink: lossy, downlink: lossy }], ...extra });
const backbone = (): Link => new Link('backbone', { bandwidthMbps: 10_000, latencyMs: 0.1, jitterMs: 0, loss: 0, mode: 'reliable' }, new Rng(3, 'bb'));

describe('Network.offer: one API for both link models', () => {
  it('FIFO: decides the message at once, as send does, with its tag', () => {
    const a = new Network(spec(), new Rng(7));
    const b = new Network(spec(), new Rng(7));
    for (let i = 0; i < 5; i++) {
      const [c] = a.offer('client-0', 'server', 40_000 + i, i * 0.01, undefined, 100 + i);
      expect(c).toEqual({ tag: 100 + i, delivery: b.send('client-0', 'server', 40_000 + i, i * 0.01) });
    }
    expect(a.nextEventTime()).toBeUndefined();
    expect(a.advanceTo(Infinity)).toEqual([]);
  });

  it('flow: decides nothing at offer; advanceTo yields the delivery, as after startTransfer', () => {
    const server = { uplinkMbps: 50, downlinkMbps: 50, latencyMs: 1 };
    const a = new Network(spec({ server }), new Rng(7));
    const b = new Network(spec({ server }), new Rng(7));
    expect(a.offer('server', 'client-0', 100_000, 0, { reliable: true }, 9)).toEqual([]);
    b.startTransfer('server', 'client-0', 100_000, 0, { reliable: true }, 9);
    expect(a.nextEventTime()).toBe(b.nextEventTime());
    expect(a.advanceTo(Infinity)).toEqual(b.advanceTo(Infinity));
  });

  it('routes federator ↔ server on the backbone in either model, and refuses without one', () => {
    const direct = backbone();
    const expected = direct.transmit(5_000, 1);
    for (const extra of [{}, { server: { uplinkMbps: 50, downlinkMbps: 50, latencyMs: 1 } }]) {
      const net = new Network(spec(extra), new Rng(7), { backbone: backbone() });
      expect(net.offer('federator', 'server', 5_000, 1, undefined, 4)).toEqual([{ tag: 4, delivery: expected }]);
    }
    expect(() => new Network(spec(), new Rng(7)).offer('federator', 'server', 5_000, 1, undefined, 4)).toThrow('no route from federator to server');
  });
});
