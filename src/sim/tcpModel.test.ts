import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tcpTransfer, DEFAULT_TCP } from './tcpModel.js';

const path = { rateBps: 10e6, rttS: 0.02, oneWayS: 0.01, mtuBytes: 1500 };

describe('tcpTransfer', () => {
  it('adds slow-start stalls to serialisation: 100 kB at 10 Mbit/s, 20 ms RTT waits one round', () => {
    const t = tcpTransfer(100_000, path, []);
    const wire = 100_000 + 52 * Math.ceil(100_000 / 1448);
    expect(t.wireBytes).toBe(wire);
    // IW 10 packets take 12 ms, the first ACK is back at 21.2 ms: 9.2 ms idle, then the pipe is full.
    expect(t.stallSeconds).toBeCloseTo(0.0212 - 0.012, 4);
    expect(t.seconds).toBeCloseTo(t.stallSeconds + (wire * 8) / 10e6 + 0.01, 9);
  });

  it('a warm connection skips slow start', () => {
    expect(tcpTransfer(1_000_000, path, [], {}, [], true).stallSeconds).toBe(0);
  });

  it('loss lowers the rate towards the loss-limited window (1.22·MSS/(RTT·√p) order)', () => {
    const n = Math.ceil(20_000_000 / 1448);
    const lost = Array.from({ length: Math.floor(n / 100) }, (_, i) => 100 * i + 50); // 1 %
    const t = tcpTransfer(20_000_000, path, lost);
    const mathis = (1.22 * 1448 * 8) / (0.02 * Math.sqrt(0.01));
    expect(t.capBps).toBeLessThan(10e6);
    expect(t.capBps).toBeGreaterThan(0.5 * mathis);
    expect(t.capBps).toBeLessThan(1.5 * mathis);
    expect(t.retransmissions).toBe(lost.length);
  });

  it('a lost last packet waits a tail-loss probe; a lost retransmission an RTO', () => {
    const base = tcpTransfer(50_000, path, []).seconds;
    const n = Math.ceil(50_000 / 1448);
    expect(tcpTransfer(50_000, path, [n - 1]).seconds - base).toBeGreaterThan(2 * 0.02);
    expect(tcpTransfer(50_000, path, [3], {}, [3]).seconds - base).toBeGreaterThan(DEFAULT_TCP.minRtoS);
  });

  it('time grows with size and with loss, and the decomposition adds up (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000_000 }), fc.integer({ min: 1, max: 100 }), (bytes, extra) => {
        const a = tcpTransfer(bytes, path, []);
        const b = tcpTransfer(bytes + extra * 1448, path, []);
        expect(b.seconds).toBeGreaterThanOrEqual(a.seconds - 1e-12);
        const lossy = tcpTransfer(bytes, path, [0]);
        expect(lossy.seconds).toBeGreaterThanOrEqual(a.seconds - 1e-12);
        const sum = a.stallSeconds + (a.wireBytes * 8) / Math.min(path.rateBps, a.capBps) + a.tailSeconds + path.oneWayS;
        expect(sum).toBeCloseTo(a.seconds, 9);
      }),
      { seed: 42, numRuns: 80 },
    );
  });
});
