import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Link } from './link.js';
import { Rng } from './rng.js';
import { LatencyTrace, MahimahiTrace, ThroughputTrace, shiftTrace, MAHIMAHI_OPPORTUNITY_BYTES } from './trace.js';
import { syntheticTrace } from './syntheticTrace.js';
import { FlowNetwork } from './flowNetwork.js';

describe('MahimahiTrace', () => {
  it('counts 1500 bytes per opportunity and loops with the last timestamp as period', () => {
    const t = MahimahiTrace.parse('# two packets at 1 ms, one at 3 ms\n1\n1\n3\n');
    expect(t.periodS).toBe(0.003);
    expect(t.cumulative(0.0009)).toBe(0);
    expect(t.cumulative(0.001)).toBe(3000);
    expect(t.cumulative(0.003)).toBe(4500);
    expect(t.cumulative(0.004)).toBe(7500); // second loop: opportunities at 4, 4, 6 ms
    expect(t.timeOfLevel(4501)).toBeCloseTo(0.004, 12);
    expect(t.meanBps).toBeCloseTo((4500 * 8) / 0.003, 6);
  });

  it('rejects bad files with the line', () => {
    expect(() => MahimahiTrace.parse('1\nx\n', 'up.mahi')).toThrow('up.mahi: line 2: expected 1 number, got "x"');
    expect(() => MahimahiTrace.parse('5\n3\n', 'up.mahi')).toThrow('timestamps must not decrease');
    expect(() => MahimahiTrace.parse('0\n', 'up.mahi')).toThrow('the last timestamp must be > 0 ms, got 0');
  });
});

describe('ThroughputTrace and LatencyTrace', () => {
  it('integrates a piecewise-constant rate and inverts it', () => {
    const t = ThroughputTrace.parse('0 8\n1 0\n2 16\n'); // 8 Mbit/s, outage, 16 Mbit/s; period 3 s
    expect(t.periodS).toBe(3);
    expect(t.cumulative(1)).toBeCloseTo(1e6, 6);
    expect(t.cumulative(2)).toBeCloseTo(1e6, 6);
    expect(t.cumulative(3)).toBeCloseTo(3e6, 6);
    expect(t.timeOfLevel(1.5e6)).toBeCloseTo(2.25, 9); // skips the outage
    expect(t.timeOfLevel(4e6)).toBeCloseTo(4, 9); // second loop
    expect(t.rateAt(1.5)).toBe(0);
    expect(t.nextChange(1.5)).toBe(2);
  });

  it('latency traces give half the RTT', () => {
    const l = LatencyTrace.parse('0 40\n10 100\n');
    expect(l.oneWayAt(5)).toBe(0.02);
    expect(l.oneWayAt(12)).toBe(0.05);
  });

  it('shifting keeps C(0) = 0 and moves the shape', () => {
    const t = ThroughputTrace.parse('0 8\n1 16\n');
    const s = shiftTrace(t, 1);
    expect(s.cumulative(0)).toBe(0);
    expect(s.cumulative(1)).toBeCloseTo(2e6, 6);
  });
});

describe('a trace-driven link delivers exactly the bytes its trace allows', () => {
  it('FIFO link: by each completion, bytes serialised = trace capacity since the busy period began (property)', () => {
    const trace = MahimahiTrace.parse(syntheticTrace({ seed: 5, durationS: 2, medianMbps: 6 }).mahimahi);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const link = new Link('t', { bandwidthMbps: 1, latencyMs: 0, jitterMs: 0, loss: 0, mode: 'reliable', bandwidthTrace: trace }, new Rng(1));
        let wire = 0;
        for (const s of sizes) {
          const d = link.transmit(s, 0); // all queued at t = 0: one busy period
          wire += d.wireBytes;
          const allowed = trace.cumulative(d.arrivalTime as number);
          // Enough capacity by the arrival, and not a whole opportunity more than needed.
          expect(allowed).toBeGreaterThanOrEqual(wire);
          expect(allowed - wire).toBeLessThan(MAHIMAHI_OPPORTUNITY_BYTES * 2 + 1);
          expect(trace.cumulative((d.arrivalTime as number) - 1e-9)).toBeLessThan(wire);
        }
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('flow model: a lone flow on a traced resource finishes when the trace has carried its bytes (property)', () => {
    const trace = ThroughputTrace.parse(syntheticTrace({ seed: 9, durationS: 5, medianMbps: 4, outageProb: 0.05 }).mbps);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_000_000 }), fc.double({ min: 0, max: 4, noNaN: true }), (bytes, start) => {
        const net = new FlowNetwork<number>([{ name: 'r', bandwidthBps: 1, trace }]);
        net.start(start, { route: [0], wireBytes: bytes, latencyS: 0, capBps: Infinity, tag: 0 });
        let done: number | undefined;
        for (let i = 0; i < 100_000 && done === undefined; i++) {
          const t = net.nextEventTime();
          for (const d of net.advanceTo(t)) done = d.time;
        }
        expect(done).toBeDefined();
        const carried = trace.cumulative(done as number) - trace.cumulative(start);
        // Exact up to floating-point settling at segment boundaries (bytes in a million).
        expect(Math.abs(carried - bytes)).toBeLessThan(1e-6 * bytes + 1);
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});
