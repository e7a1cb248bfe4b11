import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Link, validateLinkSpec, packetCount, wireBytesOf, type LinkSpec } from './link.js';
import { Rng } from './rng.js';

/** An Rng whose uniform() replays a script, then returns values that mean "no more losses". */
class ScriptedRng extends Rng {
  private readonly script: number[];
  constructor(values: number[]) {
    super(0, 'scripted');
    this.script = [...values];
  }
  override uniform(): number {
    return this.script.length > 0 ? this.script.shift()! : 1 - 1e-12;
  }
  get remaining(): number {
    return this.script.length;
  }
}

const P = 0.01;
/** The uniform draw that makes the geometric skip yield exactly m successes before the next loss. */
const skip = (m: number): number => 1 - Math.pow(1 - P, m + 0.5);

// 8 Mbit/s: one byte takes exactly 1 µs on the wire.
const base: LinkSpec = { bandwidthMbps: 8, latencyMs: 10, jitterMs: 0, loss: 0, mode: 'reliable' };
const ser = (wire: number): number => (wire * 8) / 8e6;

describe('validateLinkSpec', () => {
  it('fills defaults', () => {
    expect(validateLinkSpec(base)).toEqual({ ...base, mtuBytes: 1500, rtoMs: 200 });
  });

  it('names the field, with the caller prefix, and the bad value', () => {
    const f = 'network.clients[2].uplink';
    const bad = (patch: object): (() => unknown) => () => validateLinkSpec({ ...base, ...patch } as LinkSpec, f);
    expect(() => validateLinkSpec({ ...base, bandwidthMbps: 0 })).toThrow('link.bandwidthMbps: must be a finite number > 0, got 0');
    expect(bad({ bandwidthMbps: 0 })).toThrow(`${f}.bandwidthMbps: must be a finite number > 0, got 0`);
    expect(bad({ bandwidthMbps: Infinity })).toThrow('got Infinity');
    expect(bad({ bandwidthMbps: '5' })).toThrow(`${f}.bandwidthMbps: must be a finite number > 0, got "5"`);
    expect(bad({ latencyMs: -1 })).toThrow(`${f}.latencyMs: must be a finite number >= 0, got -1`);
    expect(bad({ jitterMs: NaN })).toThrow(`${f}.jitterMs: must be a finite number >= 0, got NaN`);
    expect(bad({ loss: 1 })).toThrow(`${f}.loss: must be in [0, 1) in reliable mode, got 1`);
    expect(bad({ loss: 1, mode: 'lossy' })).not.toThrow();
    expect(bad({ loss: 1.5, mode: 'lossy' })).toThrow(`${f}.loss: must be in [0, 1], got 1.5`);
    expect(bad({ mode: 'tcp' })).toThrow(`${f}.mode: must be 'reliable' or 'lossy', got "tcp"`);
    expect(bad({ mtuBytes: 40 })).toThrow(`${f}.mtuBytes: must be an integer >= 68, got 40`);
    expect(bad({ mtuBytes: 1500.5 })).toThrow('got 1500.5');
    expect(bad({ rtoMs: -5 })).toThrow(`${f}.rtoMs: must be a finite number >= 0, got -5`);
    expect(() => new Link('x', { ...base, loss: -0.1 }, new Rng(1), 'scenario.link')).toThrow(
      'scenario.link.loss: must be in [0, 1) in reliable mode, got -0.1',
    );
  });
});

describe('packets and headers', () => {
  it('adds 40 header bytes per MTU-sized packet', () => {
    expect(packetCount(0)).toBe(0);
    expect(packetCount(1)).toBe(1);
    expect(packetCount(1460)).toBe(1);
    expect(packetCount(1461)).toBe(2);
    expect(wireBytesOf(1460)).toBe(1500);
    expect(wireBytesOf(1461)).toBe(1541);
    expect(wireBytesOf(1000, 576)).toBe(1000 + 2 * 40);
  });
});

describe('Link.transmit without loss', () => {
  it('arrives after serialisation + latency, and queues FIFO behind earlier messages', () => {
    const link = new Link('l', base, new Rng(1));
    const a = link.transmit(14_600, 1); // 10 packets, 15,000 wire bytes = 15 ms
    expect(a).toEqual({ sendTime: 1, startTime: 1, arrivalTime: 1 + ser(15_000) + 0.01, retransmissions: 0, dropped: false, wireBytes: 15_000, bytes: 14_600, packets: 10 });
    expect(link.busyUntil).toBe(1 + ser(15_000));
    const b = link.transmit(1460, 1.005); // waits until the wire is free
    expect(b.startTime).toBe(1 + ser(15_000));
    expect(b.arrivalTime).toBe(b.startTime + ser(1500) + 0.01);
    const c = link.transmit(100, 5); // idle link: starts at once
    expect(c.startTime).toBe(5);
  });

  it('treats a 0-byte message as a pure propagation delay: no packets, no wire time, never lost', () => {
    const link = new Link('l', { ...base, loss: 1, mode: 'lossy' }, new Rng(1));
    const d = link.transmit(0, 2);
    expect(d).toEqual({ sendTime: 2, startTime: 2, arrivalTime: 2.01, retransmissions: 0, dropped: false, wireBytes: 0, bytes: 0, packets: 0 });
    expect(link.busyUntil).toBe(2);
    expect(link.transmit(1, 2).dropped).toBe(true); // loss = 1 drops any real packet
  });

  it('rejects bad arguments, naming the link', () => {
    const link = new Link('client-0/uplink', base, new Rng(1));
    expect(() => link.transmit(-1, 0)).toThrow('client-0/uplink.transmit: bytes must be an integer >= 0, got -1');
    expect(() => link.transmit(1.5, 0)).toThrow('got 1.5');
    expect(() => link.transmit(10, NaN)).toThrow('client-0/uplink.transmit: sendTime must be finite, got NaN');
  });
});

describe('Link.transmit loss recovery (reliable, scripted draws)', () => {
  const lossy: LinkSpec = { ...base, loss: P };
  const send = (draws: number[], bytes = 14_600) => {
    const rng = new ScriptedRng(draws);
    const d = new Link('l', lossy, rng).transmit(bytes, 0);
    expect(rng.remaining).toBe(0);
    return d;
  };

  it('an early packet lost once costs its retransmission plus one RTT (fast retransmit)', () => {
    const d = send([skip(0)]); // packet 0 of 10 lost, then no loss
    expect(d.retransmissions).toBe(1);
    expect(d.wireBytes).toBe(16_500);
    expect(d.arrivalTime).toBeCloseTo(ser(16_500) + 0.02 + 0.01, 12);
  });

  it('a loss among the last 3 packets costs an RTO (no dup-ACKs to trigger fast retransmit)', () => {
    const d = send([skip(7)]); // packet 7 of 0..9
    expect(d.retransmissions).toBe(1);
    expect(d.arrivalTime).toBeCloseTo(ser(16_500) + 0.2 + 0.01, 12);
    const e = send([skip(6)]); // packet 6 is not in the tail: RTT
    expect(e.arrivalTime).toBeCloseTo(ser(16_500) + 0.02 + 0.01, 12);
  });

  it('retransmits a short last packet at its own size', () => {
    const d = send([skip(9)], 9 * 1460 + 100); // last packet: 100 + 40 bytes
    expect(d.packets).toBe(10);
    expect(d.wireBytes).toBe(9 * 1500 + 140 + 140);
    expect(d.arrivalTime).toBeCloseTo(ser(9 * 1500 + 280) + 0.2 + 0.01, 12);
  });

  it('a lost retransmission waits an RTO, doubling on each repeat', () => {
    const d = send([skip(2), skip(0), skip(0)]); // packet 2 lost, then its retransmission twice
    expect(d.retransmissions).toBe(3);
    expect(d.wireBytes).toBe(15_000 + 3 * 1500);
    expect(d.arrivalTime).toBeCloseTo(ser(19_500) + 0.02 + 0.2 + 0.4 + 0.01, 12);
  });

  it('counts separate losses separately', () => {
    const d = send([skip(1), skip(3)]); // packet 1 lost; its retransmission + 2 more succeed; packet 4 lost
    expect(d.retransmissions).toBe(2);
    expect(d.arrivalTime).toBeCloseTo(ser(18_000) + 0.04 + 0.01, 12);
  });

  it('lossy mode drops the message if any packet is lost, still using the wire', () => {
    const spec: LinkSpec = { ...base, loss: P, mode: 'lossy' };
    const dropped = new Link('l', spec, new ScriptedRng([skip(9)])).transmit(14_600, 0);
    expect(dropped).toMatchObject({ dropped: true, arrivalTime: null, retransmissions: 0, wireBytes: 15_000 });
    const kept = new Link('l', spec, new ScriptedRng([skip(10)])).transmit(14_600, 0);
    expect(kept.dropped).toBe(false);
    const link = new Link('l', spec, new ScriptedRng([skip(0)]));
    link.transmit(14_600, 0);
    expect(link.busyUntil).toBe(ser(15_000));
    expect(link.stats).toMatchObject({ sent: 1, delivered: 0, dropped: 1, bytesSent: 14_600, bytesDropped: 14_600, wireBytes: 15_000 });
  });
});

describe('Link.transmit per-message mode', () => {
  it('sends a reliable message over a lossy link with retransmissions, and a datagram over a reliable one', () => {
    const lossySpec: LinkSpec = { ...base, loss: P, mode: 'lossy' };
    const r = new Link('l', lossySpec, new ScriptedRng([skip(0)])).transmit(14_600, 0, { reliable: true });
    expect(r).toMatchObject({ dropped: false, retransmissions: 1, wireBytes: 16_500 });
    const dgram = new Link('l', { ...base, loss: P }, new ScriptedRng([skip(0)])).transmit(14_600, 0, { reliable: false });
    expect(dgram).toMatchObject({ dropped: true, arrivalTime: null, retransmissions: 0 });
    const dflt = new Link('l', lossySpec, new ScriptedRng([skip(0)])).transmit(14_600, 0, {});
    expect(dflt.dropped).toBe(true);
  });

  it('refuses a reliable message on a link that loses everything', () => {
    const link = new Link('client-1/downlink', { ...base, loss: 1, mode: 'lossy' }, new Rng(1));
    expect(() => link.transmit(10, 0, { reliable: true })).toThrow('client-1/downlink.transmit: a reliable message cannot cross a link with loss 1');
  });
});

describe('Link.transmit statistics (seeded)', () => {
  it('lossy drop rate matches 1 - (1 - p)^packets', () => {
    const link = new Link('l', { ...base, loss: 0.02, mode: 'lossy' }, new Rng(5, 'drop'));
    let dropped = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (link.transmit(14_600, i).dropped) dropped++;
    const p = 1 - Math.pow(0.98, 10); // 0.183
    expect(Math.abs(dropped / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  it('reliable retransmissions average packets * p / (1 - p)', () => {
    const link = new Link('l', { ...base, loss: 0.05 }, new Rng(5, 'retx'));
    const n = 5000;
    for (let i = 0; i < n; i++) link.transmit(146_000, i * 10); // 100 packets
    const mean = link.stats.retransmissions / n;
    expect(mean).toBeGreaterThan(100 * (0.05 / 0.95) * 0.95);
    expect(mean).toBeLessThan(100 * (0.05 / 0.95) * 1.05);
  });

  it('jitter is a half-normal delay: mean jitterMs * sqrt(2 / pi), never negative', () => {
    const link = new Link('l', { ...base, jitterMs: 4 }, new Rng(5, 'jitter'));
    const n = 20_000;
    let sum = 0;
    let negative = 0;
    for (let i = 0; i < n; i++) {
      const d = link.transmit(1460, i); // spaced 1 s apart: the FIFO clamp never binds
      const extra = d.arrivalTime! - (d.startTime + ser(1500) + 0.01);
      if (extra < -1e-12) negative++;
      sum += extra;
    }
    expect(negative).toBe(0);
    expect(Math.abs(sum / n - 0.004 * Math.sqrt(2 / Math.PI))).toBeLessThan(0.0001);
  });

  it('is deterministic for a given stream', () => {
    const run = (): unknown[] => {
      const link = new Link('l', { ...base, loss: 0.1, jitterMs: 5 }, new Rng(9, 'link/l'));
      return Array.from({ length: 50 }, (_, i) => link.transmit(i * 997, i * 0.001));
    };
    expect(run()).toEqual(run());
  });
});

describe('Link properties', () => {
  const spec = (lossy: boolean): fc.Arbitrary<LinkSpec> =>
    fc.record({
      bandwidthMbps: fc.double({ min: 0.1, max: 1000, noNaN: true }),
      latencyMs: fc.double({ min: 0, max: 200, noNaN: true }),
      jitterMs: lossy ? fc.double({ min: 0, max: 50, noNaN: true }) : fc.constant(0),
      loss: lossy ? fc.double({ min: 0, max: 0.3, noNaN: true }) : fc.constant(0),
      mode: fc.constantFrom('reliable' as const, 'lossy' as const),
      mtuBytes: fc.integer({ min: 68, max: 9000 }),
    });
  const bytes = fc.integer({ min: 0, max: 5_000_000 });
  const sends = fc.array(fc.tuple(bytes, fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 40 });

  it('delivery time is monotone non-decreasing in size (fresh link, no loss, no jitter)', () => {
    fc.assert(
      fc.property(spec(false), bytes, bytes, fc.double({ min: 0, max: 1e4, noNaN: true }), (s, a, b, t) => {
        const [small, big] = a <= b ? [a, b] : [b, a];
        const ta = new Link('a', s, new Rng(1)).transmit(small, t).arrivalTime!;
        const tb = new Link('b', s, new Rng(1)).transmit(big, t).arrivalTime!;
        expect(ta).toBeLessThanOrEqual(tb);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('with no loss and no jitter, arrival = start + serialisation + latency exactly, start = max(send, busyUntil)', () => {
    fc.assert(
      fc.property(spec(false), sends, (s, msgs) => {
        const link = new Link('l', s, new Rng(1));
        let t = 0;
        let busy = -Infinity;
        for (const [n, dt] of msgs) {
          t += dt;
          const d = link.transmit(n, t);
          const start = Math.max(t, busy);
          const wire = wireBytesOf(n, s.mtuBytes);
          const serialisation = (wire * 8) / (s.bandwidthMbps * 1e6);
          expect(d.startTime).toBe(start);
          expect(d.wireBytes).toBe(wire);
          expect(d.arrivalTime).toBe(start + serialisation + s.latencyMs / 1000);
          busy = start + serialisation;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('arrivals on a link stay FIFO and bytes sent = bytes delivered + bytes dropped', () => {
    fc.assert(
      fc.property(spec(true), fc.integer(), sends, (s, seed, msgs) => {
        const link = new Link('l', s, new Rng(seed, 'link'));
        let t = 0;
        let last = -Infinity;
        let total = 0;
        for (const [n, dt] of msgs) {
          t += dt;
          const d = link.transmit(n, t);
          total += n;
          expect(d.dropped).toBe(d.arrivalTime === null);
          expect(d.wireBytes).toBeGreaterThanOrEqual(wireBytesOf(n, s.mtuBytes));
          if (d.arrivalTime !== null) {
            expect(d.arrivalTime).toBeGreaterThanOrEqual(last);
            expect(d.arrivalTime).toBeGreaterThan(d.startTime - 1e-9);
            last = d.arrivalTime;
          }
        }
        const st = link.stats;
        expect(st.bytesSent).toBe(total);
        expect(st.bytesSent).toBe(st.bytesDelivered + st.bytesDropped);
        expect(st.sent).toBe(st.delivered + st.dropped);
        expect(st.sent).toBe(msgs.length);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
