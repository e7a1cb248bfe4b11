import { describe, it, expect } from 'vitest';
import { Availability } from './dropout.js';
import { AvailabilityTrace } from './availabilityTrace.js';
import { Rng } from './rng.js';

describe('AvailabilityTrace', () => {
  it('reads "time_s client state" lines; own lines beat * lines of the same time; the last state holds', () => {
    const t = AvailabilityTrace.parse('# maintenance\n10 * off\n10 2 on\n20 * on\n5 1 0\n15 1 1\n');
    expect(t.isOn(0, 0)).toBe(true);
    expect(t.isOn(0, 12)).toBe(false);
    expect(t.isOn(2, 12)).toBe(true);
    expect(t.isOn(1, 7)).toBe(false);
    expect(t.isOn(1, 16)).toBe(true); // its own "on" at 15 is later than "* off" at 10
  });

  it('names the bad line', () => {
    expect(() => AvailabilityTrace.parse('1 x on', 'avail.txt')).toThrow('avail.txt: line 1: client must be an integer >= 0 or *, got "x"');
    expect(() => AvailabilityTrace.parse('1 0 maybe', 'avail.txt')).toThrow('state must be on, off, 1 or 0, got "maybe"');
  });
});

describe('Availability: crashes, schedules, stragglers', () => {
  it('crashes about crashProb of (client, round) pairs, at a step in range, deterministically', () => {
    const a = new Availability({ dropoutProb: 0, crashProb: 0.3 }, new Rng(4, 'availability'));
    let crashes = 0;
    for (let k = 0; k < 200; k++) {
      for (let r = 0; r < 10; r++) {
        const s = a.crashStep(k, r, 8);
        if (s !== null) {
          crashes++;
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThan(8);
          expect(a.canExchange(k, r, s - 1, 8, 0)).toBe(true);
          expect(a.canExchange(k, r, s, 8, 0)).toBe(false);
          expect(a.canExchange(k, r, 8, 8, 0)).toBe(false); // its weights never leave
        }
        expect(a.crashStep(k, r, 8)).toBe(s);
      }
    }
    expect(crashes / 2000).toBeGreaterThan(0.26);
    expect(crashes / 2000).toBeLessThan(0.34);
  });

  it('follows an on/off schedule in time', () => {
    const a = new Availability({ dropoutProb: 0, schedule: AvailabilityTrace.parse('100 0 off\n200 0 on') }, new Rng(1));
    expect(a.canExchange(0, 0, 0, 4, 50)).toBe(true);
    expect(a.canExchange(0, 0, 0, 4, 150)).toBe(false);
    expect(a.canExchange(1, 0, 0, 4, 150)).toBe(true);
  });

  it('slows a fraction of clients down by the straggler factor', () => {
    const a = new Availability({ dropoutProb: 0, stragglerFraction: 0.25, stragglerSlowdown: 4 }, new Rng(2));
    const f = Array.from({ length: 1000 }, (_, k) => a.slowdown(k));
    expect(new Set(f)).toEqual(new Set([1, 4]));
    expect(f.filter((x) => x === 4).length).toBeGreaterThan(200);
    expect(f.filter((x) => x === 4).length).toBeLessThan(300);
    expect(() => new Availability({ dropoutProb: 0, stragglerSlowdown: 0.5 }, new Rng(1), 'network.availability')).toThrow(
      'network.availability.stragglerSlowdown: must be a finite number >= 1, got 0.5',
    );
  });
});
