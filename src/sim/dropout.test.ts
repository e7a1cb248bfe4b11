import { describe, it, expect } from 'vitest';
import { Availability } from './dropout.js';
import { Rng } from './rng.js';

describe('Availability', () => {
  it('answers each (client, round) the same whatever the query order', () => {
    const pairs: [number, number][] = [];
    for (let c = 0; c < 20; c++) for (let r = 0; r < 20; r++) pairs.push([c, r]);
    const forward = new Availability({ dropoutProb: 0.4 }, new Rng(11, 'availability'));
    const a = new Map(pairs.map(([c, r]) => [`${c}/${r}`, forward.isAvailable(c, r)]));
    const shuffled = new Rng(5).shuffle([...pairs]);
    const other = new Availability({ dropoutProb: 0.4 }, new Rng(11, 'availability'));
    for (const [c, r] of shuffled) expect(other.isAvailable(c, r)).toBe(a.get(`${c}/${r}`));
    // asking twice gives the same answer
    for (const [c, r] of pairs.slice(0, 50)) expect(forward.isAvailable(c, r)).toBe(a.get(`${c}/${r}`));
  });

  it('drops clients at the configured rate, independently of round', () => {
    const avail = new Availability({ dropoutProb: 0.3 }, new Rng(2, 'availability'));
    let down = 0;
    const n = 200 * 50;
    for (let c = 0; c < 200; c++) for (let r = 0; r < 50; r++) if (!avail.isAvailable(c, r)) down++;
    expect(Math.abs(down / n - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / n));
    // consecutive rounds of one client are not copies of each other
    const rounds = Array.from({ length: 50 }, (_, r) => avail.isAvailable(0, r));
    expect(new Set(rounds).size).toBe(2);
  });

  it('handles the extremes and lists available clients', () => {
    expect(new Availability({ dropoutProb: 0 }, new Rng(1)).availableClients(5, 3)).toEqual([0, 1, 2, 3, 4]);
    expect(new Availability({ dropoutProb: 1 }, new Rng(1)).availableClients(5, 3)).toEqual([]);
    const avail = new Availability({ dropoutProb: 0.5 }, new Rng(1));
    const list = avail.availableClients(30, 2);
    expect(list).toEqual(Array.from({ length: 30 }, (_, k) => k).filter((k) => avail.isAvailable(k, 2)));
  });

  it('depends on the seed', () => {
    const a = new Availability({ dropoutProb: 0.5 }, new Rng(1));
    const b = new Availability({ dropoutProb: 0.5 }, new Rng(2));
    const row = (x: Availability): boolean[] => Array.from({ length: 64 }, (_, k) => x.isAvailable(k, 0));
    expect(row(a)).not.toEqual(row(b));
  });

  it('validates its inputs', () => {
    expect(() => new Availability({ dropoutProb: 1.2 }, new Rng(1))).toThrow('availability.dropoutProb: must be a number in [0, 1], got 1.2');
    expect(() => new Availability({ dropoutProb: NaN }, new Rng(1), 'scenario.faults')).toThrow('scenario.faults.dropoutProb: must be a number in [0, 1], got NaN');
    const avail = new Availability({ dropoutProb: 0.1 }, new Rng(1));
    expect(() => avail.isAvailable(-1, 0)).toThrow('Availability.isAvailable: client must be an integer >= 0, got -1');
    expect(() => avail.isAvailable(0, 0.5)).toThrow('Availability.isAvailable: round must be an integer >= 0, got 0.5');
  });
});
