import { describe, it, expect } from 'vitest';
import { pairedLosses, segmentDraw } from './pairedLoss.js';
import { DELAY_LINE_C } from './delayLineSource.js';

describe('segmentDraw replays the delay line', () => {
  it('gives the same draws as the C code (golden values computed with the line\'s mix64)', () => {
    expect(segmentDraw(7, 5001, 0, 0)).toBe(0.30237073975674977);
    expect(segmentDraw(7, 5001, 123, 1)).toBe(0.85864411490579817);
    expect(segmentDraw(7, 65535, 13000, 2)).toBe(0.13408273755940481);
    expect(segmentDraw(1, 5002, 9, 0)).toBe(0.93695917955528796);
    // The C source still uses the same constants.
    expect(DELAY_LINE_C).toContain('0xBF58476D1CE4E5B9ULL');
    expect(DELAY_LINE_C).toContain('((uint64_t)port << 48) ^ ((uint64_t)attempt << 32) ^ segment');
  });

  it('loses about the configured fraction, differently per port', () => {
    const a = pairedLosses(2, 20_000, 100_000, 0.01);
    expect(a.lost.length).toBeGreaterThan(900);
    expect(a.lost.length).toBeLessThan(1100);
    expect(a.lostAgain.every((j) => a.lost.includes(j))).toBe(true);
    expect(pairedLosses(2, 20_001, 1000, 0.01).lost).not.toEqual(pairedLosses(2, 20_000, 1000, 0.01).lost);
  });
});
