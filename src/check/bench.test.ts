import { describe, expect, it } from 'vitest';
import { benchCheck } from './bench.js';

describe('benchCheck', () => {
  it('times schedules on the quickstart protocol and finds no violation in the real one', async () => {
    const r = await benchCheck({ schedules: 12, workers: 1, determinismEvery: 4 });
    expect(r.violations).toBe(0);
    expect(r.checkSchedulesPerS).toBeGreaterThan(0);
    expect(r.check10kSeconds).toBeCloseTo(10_000 / r.checkSchedulesPerS, 6);
  }, 60_000);
});
