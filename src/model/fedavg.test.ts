import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fedAvg } from './fedavg.js';

describe('fedAvg', () => {
  it('weights each update by its sample count', () => {
    const out = fedAvg([
      { params: Float32Array.from([1, 10, -4]), samples: 3 },
      { params: Float32Array.from([5, 2, 0]), samples: 1 },
    ]);
    expect(Array.from(out)).toEqual([2, 8, -3]);
    expect(out).toBeInstanceOf(Float32Array);
  });

  it('validates every update, naming it', () => {
    expect(() => fedAvg([])).toThrow('fedAvg.updates: must not be empty, got 0 updates');
    expect(() =>
      fedAvg([
        { params: new Float32Array(2), samples: 1 },
        { params: new Float32Array(3), samples: 1 },
      ]),
    ).toThrow('fedAvg.updates[1].params: must have length 2, got 3');
    expect(() => fedAvg([{ params: new Float32Array(2), samples: 0 }])).toThrow('fedAvg.updates[0].samples: must be > 0, got 0');
    expect(() => fedAvg([{ params: new Float32Array(2), samples: NaN }])).toThrow('fedAvg.updates[0].samples: must be > 0, got NaN');
  });

  it('stays within the clients’ range and is order-independent', () => {
    const update = fc.record({
      params: fc.float32Array({ minLength: 4, maxLength: 4, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      samples: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.array(update, { minLength: 1, maxLength: 6 }), (updates) => {
        const avg = fedAvg(updates);
        const rev = fedAvg([...updates].reverse());
        for (let i = 0; i < 4; i++) {
          const vals = updates.map((u) => u.params[i] as number);
          expect(avg[i]).toBeGreaterThanOrEqual(Math.fround(Math.min(...vals)));
          expect(avg[i]).toBeLessThanOrEqual(Math.fround(Math.max(...vals)));
          expect(Math.abs((avg[i] as number) - (rev[i] as number))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(avg[i] as number)));
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
