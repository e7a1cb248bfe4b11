import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Device, DEVICE_PROFILES, validateDeviceProfile } from './cost.js';

describe('Device', () => {
  it('takes flops / (gflops * 1e9) seconds and queues FIFO on one lane', () => {
    const dev = new Device({ name: 'd', gflops: 20 });
    const a = dev.reserve(0, 2e9); // 0.1 s
    expect(a).toEqual({ start: 0, end: 0.1, lane: 0 });
    const b = dev.reserve(0.05, 4e9); // waits for a
    expect(b.start).toBe(0.1);
    expect(b.end).toBeCloseTo(0.3, 15);
    const c = dev.reserve(1, 0); // idle again; zero work is instantaneous
    expect(c).toEqual({ start: 1, end: 1, lane: 0 });
    expect(dev.busySeconds).toBeCloseTo(0.3, 15);
  });

  it('runs up to `lanes` tasks in parallel, each on the lane that frees first', () => {
    const dev = new Device({ name: 'server', gflops: 1, lanes: 2 });
    expect(dev.reserve(0, 3e9)).toEqual({ start: 0, end: 3, lane: 0 });
    expect(dev.reserve(0, 1e9)).toEqual({ start: 0, end: 1, lane: 1 });
    expect(dev.reserve(0, 1e9)).toEqual({ start: 1, end: 2, lane: 1 });
    expect(dev.reserve(0, 1e9)).toEqual({ start: 2, end: 3, lane: 1 });
    expect(dev.reserve(0, 1e9)).toEqual({ start: 3, end: 4, lane: 0 }); // tie: lowest lane
  });

  it('never overlaps reservations on a lane and honours ready times (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0.5, max: 5e4, noNaN: true }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 1e11, noNaN: true })), { maxLength: 60 }),
        (lanes, gflops, tasks) => {
          const dev = new Device({ name: 'd', gflops, lanes });
          const intervals: { start: number; end: number }[][] = Array.from({ length: lanes }, () => []);
          let total = 0;
          for (const [ready, flops] of tasks) {
            const r = dev.reserve(ready, flops);
            expect(r.start).toBeGreaterThanOrEqual(ready);
            const expected = flops / (gflops * 1e9);
            expect(Math.abs(r.end - r.start - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, r.end));
            for (const prev of intervals[r.lane]!) expect(r.start >= prev.end || r.end <= prev.start).toBe(true);
            intervals[r.lane]!.push(r);
            total += expected;
          }
          expect(dev.busySeconds).toBeCloseTo(total, 6);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('validates profiles and arguments with field paths', () => {
    expect(() => new Device({ name: 'x', gflops: 0 })).toThrow('device.gflops: must be a finite number > 0, got 0');
    expect(() => new Device({ name: 'x', gflops: 1, lanes: 0 }, 'devices.server')).toThrow('devices.server.lanes: must be an integer >= 1, got 0');
    expect(() => validateDeviceProfile({ name: '', gflops: 1 })).toThrow('device.name: must be a non-empty string, got ""');
    const dev = new Device({ name: 'edge', gflops: 1 });
    expect(() => dev.reserve(NaN, 1)).toThrow('Device(edge).reserve: readyTime must be finite, got NaN');
    expect(() => dev.reserve(0, -1)).toThrow('Device(edge).reserve: flops must be a finite number >= 0, got -1');
  });

  it('ships valid built-in profiles, ordered by speed', () => {
    const names = ['edge-cpu', 'laptop-cpu', 'workstation-gpu', 'datacenter-gpu'];
    expect(Object.keys(DEVICE_PROFILES)).toEqual(names);
    const speeds = names.map((n) => {
      const p = DEVICE_PROFILES[n]!;
      expect(p.name).toBe(n);
      expect(validateDeviceProfile(p)).toEqual({ lanes: 1, ...p });
      return p.gflops;
    });
    expect([...speeds].sort((a, b) => a - b)).toEqual(speeds);
    expect(() => {
      (DEVICE_PROFILES['edge-cpu'] as { gflops: number }).gflops = 1;
    }).toThrow();
  });
});
