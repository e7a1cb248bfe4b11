import { describe, it, expect } from 'vitest';
import { benchKernel } from './bench.js';

describe('benchKernel', () => {
  it('delivers every event and reports a finite positive rate', () => {
    const r = benchKernel(20_000, { links: 4 });
    expect(r.n).toBe(20_000);
    expect(r.eventsPerS).toBeGreaterThan(0);
    expect(Number.isFinite(r.eventsPerS)).toBe(true);
    expect(r.virtualSeconds).toBeGreaterThan(0);
    // virtual time is deterministic for a seed even though wall time is not
    expect(benchKernel(20_000, { links: 4 }).virtualSeconds).toBe(r.virtualSeconds);
  });

  it('rejects a bad n', () => {
    expect(() => benchKernel(0)).toThrow('benchKernel: n must be an integer >= 1, got 0');
  });
});
