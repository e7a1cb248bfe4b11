import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { maxMinRates, type MaxMinFlow } from './maxMin.js';

describe('maxMinRates', () => {
  it('splits a link equally, and gives a capped flow its cap and the rest to the others', () => {
    expect([...maxMinRates([12], [{ route: [0], cap: Infinity }, { route: [0], cap: Infinity }, { route: [0], cap: Infinity }])]).toEqual([4, 4, 4]);
    expect([...maxMinRates([10], [{ route: [0], cap: Infinity }, { route: [0], cap: 2 }])]).toEqual([8, 2]);
  });

  it('solves the textbook line network (Bertsekas & Gallager example)', () => {
    // Links 0 and 1 of capacity 1; flow A crosses both, B uses 0, C uses 1; D uses link 2 (cap 10) with A? no.
    const r = maxMinRates([1, 1, 10], [
      { route: [0, 1], cap: Infinity },
      { route: [0], cap: Infinity },
      { route: [1], cap: Infinity },
      { route: [2, 1], cap: Infinity },
    ]);
    // Link 1 carries A, C, D: 1/3 each; then link 0 gives B the remaining 2/3.
    expect(r[0]).toBeCloseTo(1 / 3, 12);
    expect(r[1]).toBeCloseTo(2 / 3, 12);
    expect(r[2]).toBeCloseTo(1 / 3, 12);
    expect(r[3]).toBeCloseTo(1 / 3, 12);
  });

  it('star topology: private client links bound their flow, the shared link is water-filled', () => {
    // Three clients at 2, 5, 100 on a shared link of 12: 2, 5, and the remaining 5.
    const r = maxMinRates([2, 5, 100, 12], [
      { route: [0, 3], cap: Infinity },
      { route: [1, 3], cap: Infinity },
      { route: [2, 3], cap: Infinity },
    ]);
    expect([...r]).toEqual([2, 5, 5]);
  });

  it('is feasible, respects caps, and every flow has a saturated bottleneck or its cap (property)', () => {
    const arb = fc.record({
      caps: fc.array(fc.double({ min: 0.5, max: 100, noNaN: true }), { minLength: 1, maxLength: 6 }),
      flows: fc.array(
        fc.record({ route: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), cap: fc.oneof(fc.constant(Infinity), fc.double({ min: 0.1, max: 50, noNaN: true })) }),
        { minLength: 1, maxLength: 12 },
      ),
    });
    fc.assert(
      fc.property(arb, ({ caps, flows }) => {
        const fs: MaxMinFlow[] = flows.map((f) => ({ route: f.route.map((r) => r % caps.length).filter((r, i, a) => a.indexOf(r) === i), cap: f.cap }));
        const rate = maxMinRates(caps, fs);
        const used = caps.map(() => 0);
        fs.forEach((f, i) => f.route.forEach((r) => (used[r]! += rate[i]!)));
        used.forEach((u, r) => expect(u).toBeLessThanOrEqual((caps[r] as number) * (1 + 1e-9) + 1e-9));
        fs.forEach((f, i) => {
          expect(rate[i]!).toBeLessThanOrEqual(f.cap * (1 + 1e-9));
          const atCap = Math.abs(rate[i]! - f.cap) <= 1e-9 * Math.max(1, f.cap);
          // Max-min: some resource of the flow is full and no flow on it gets more than this one.
          const bottleneck = f.route.some(
            (r) => used[r]! >= (caps[r] as number) * (1 - 1e-9) - 1e-9 && fs.every((g, j) => !g.route.includes(r) || rate[j]! <= rate[i]! * (1 + 1e-9) + 1e-9),
          );
          expect(atCap || bottleneck).toBe(true);
        });
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
