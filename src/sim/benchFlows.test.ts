import { describe, it, expect } from 'vitest';
import { benchFlows } from './bench.js';

describe('benchFlows (flow model at 1,000 clients)', () => {
  it('delivers every upload and reply of 1,000 clients sharing one server link, in bounded time', () => {
    const r = benchFlows(1000, 1);
    expect(r.messages).toBe(2000);
    expect(r.peakInFlight).toBe(1000);
    expect(r.virtualSeconds).toBeGreaterThan(0);
    // Linear work per event: 1,000 concurrent flows, 4,000 events, well under the test budget.
    expect(r.seconds).toBeLessThan(20);
  }, 60_000);
});
