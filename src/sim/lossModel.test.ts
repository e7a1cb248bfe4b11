import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BernoulliLoss, GilbertElliottLoss, gilbertFromMean, lostPackets, validateGilbertElliott } from './lossModel.js';
import { Rng } from './rng.js';

function lossRate(gaps: () => number, packets: number): { rate: number; bursts: number } {
  let lost = 0;
  let bursts = 0;
  let i = 0;
  let prevLost = -2;
  while (i < packets) {
    const g = gaps();
    if (g === Infinity) break;
    i += g;
    if (i >= packets) break;
    lost++;
    if (i !== prevLost + 1) bursts++;
    prevLost = i;
    i++;
  }
  return { rate: lost / packets, bursts };
}

describe('BernoulliLoss', () => {
  it('loses the configured fraction and nothing at p = 0', () => {
    const b = new BernoulliLoss(0.02, new Rng(1, 'b'));
    expect(lossRate(() => b.nextGap(), 400_000).rate).toBeCloseTo(0.02, 3);
    expect(new BernoulliLoss(0, new Rng(1)).nextGap()).toBe(Infinity);
  });
});

describe('GilbertElliottLoss', () => {
  it('matches its stationary loss rate and mean burst length', () => {
    const spec = gilbertFromMean(0.02, 5);
    const ge = new GilbertElliottLoss(spec, new Rng(2, 'ge'));
    expect(ge.meanLoss).toBeCloseTo(0.02, 12);
    const { rate, bursts } = lossRate(() => ge.nextGap(), 1_000_000);
    expect(rate).toBeGreaterThan(0.017);
    expect(rate).toBeLessThan(0.023);
    const meanBurst = (rate * 1_000_000) / bursts;
    expect(meanBurst).toBeGreaterThan(4.3);
    expect(meanBurst).toBeLessThan(5.7);
  });

  it('is burstier than independent loss of the same rate (fewer, longer loss runs)', () => {
    const ge = new GilbertElliottLoss(gilbertFromMean(0.05, 8), new Rng(3));
    const b = new BernoulliLoss(0.05, new Rng(3));
    expect(lossRate(() => ge.nextGap(), 200_000).bursts).toBeLessThan(lossRate(() => b.nextGap(), 200_000).bursts / 4);
  });

  it('never loses with both loss probabilities 0, and always in an absorbing Bad state with lossBad 1', () => {
    expect(new GilbertElliottLoss({ pGoodToBad: 0.5, pBadToGood: 0.5, lossGood: 0, lossBad: 0 }, new Rng(1)).nextGap()).toBe(Infinity);
    const stuck = new GilbertElliottLoss({ pGoodToBad: 1, pBadToGood: 0 }, new Rng(1));
    stuck.nextGap();
    expect(stuck.nextGap()).toBe(0);
  });

  it('validates its parameters with the field name', () => {
    expect(() => validateGilbertElliott({ pGoodToBad: 1.5, pBadToGood: 0.1 }, 'link.burst')).toThrow(
      'link.burst.pGoodToBad: must be a number in [0, 1], got 1.5',
    );
  });
});

describe('lostPackets', () => {
  it('lists ascending in-range indices and carries the leftover gap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.double({ min: 0.001, max: 0.5, noNaN: true }), (n, p) => {
        const proc = new BernoulliLoss(p, new Rng(n, 'lp'));
        const { lost, carry } = lostPackets(proc, n, -1);
        for (let i = 0; i < lost.length; i++) {
          expect(lost[i]).toBeGreaterThanOrEqual(0);
          expect(lost[i]).toBeLessThan(n);
          if (i > 0) expect(lost[i]).toBeGreaterThan(lost[i - 1] as number);
        }
        expect(carry).toBeGreaterThanOrEqual(0);
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
