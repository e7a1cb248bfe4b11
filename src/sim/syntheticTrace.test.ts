import { describe, it, expect } from 'vitest';
import { syntheticTrace } from './syntheticTrace.js';
import { MahimahiTrace, ThroughputTrace } from './trace.js';

describe('syntheticTrace', () => {
  it('is a function of its options, parses in both formats, and the two agree on the bytes', () => {
    const a = syntheticTrace({ seed: 7, durationS: 20, medianMbps: 12 });
    expect(syntheticTrace({ seed: 7, durationS: 20, medianMbps: 12 })).toEqual(a);
    expect(syntheticTrace({ seed: 8, durationS: 20, medianMbps: 12 }).mahimahi).not.toBe(a.mahimahi);
    const m = MahimahiTrace.parse(a.mahimahi);
    const t = ThroughputTrace.parse(a.mbps);
    expect(m.periodS).toBeCloseTo(20, 9);
    expect(t.periodS).toBeCloseTo(20, 9);
    // Mahimahi rounds down to whole opportunities and ends on one: a few opportunities apart at most.
    expect(Math.abs(m.cumulative(20) - t.cumulative(20))).toBeLessThan(1500 * 5);
    expect(a.meanMbps).toBeGreaterThan(4);
    expect(a.meanMbps).toBeLessThan(40);
  });
});
