import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SimKernel } from './kernel.js';

describe('SimKernel', () => {
  it('delivers a whole instant as one batch, in scheduling order, and advances the clock', () => {
    const k = new SimKernel<string>();
    k.schedule(2, 'c');
    k.schedule(1, 'a');
    k.schedule(2, 'd');
    k.schedule(1, 'b');
    expect(k.now).toBe(0);
    expect(k.pending).toBe(4);
    expect(k.nextTime()).toBe(1);
    expect(k.popDue()).toEqual({ time: 1, events: ['a', 'b'] });
    expect(k.now).toBe(1);
    expect(k.popDue()).toEqual({ time: 2, events: ['c', 'd'] });
    expect(k.popDue()).toBeUndefined();
    expect(k.now).toBe(2);
    expect(k.nextTime()).toBeUndefined();
    expect(k.eventsScheduled).toBe(4);
    expect(k.eventsDelivered).toBe(4);
  });

  it('puts events scheduled at the current instant into the next batch at the same time', () => {
    const k = new SimKernel<string>({ startTime: 5 });
    k.after(0.5, 'first');
    expect(k.popDue()).toEqual({ time: 5.5, events: ['first'] });
    k.schedule(k.now, 'same-instant');
    k.after(0, 'also');
    expect(k.popDue()).toEqual({ time: 5.5, events: ['same-instant', 'also'] });
  });

  it('rejects times in the past or not finite, naming the value', () => {
    const k = new SimKernel<number>();
    k.schedule(3, 0);
    k.popDue();
    expect(() => k.schedule(2.5, 1)).toThrow('SimKernel.schedule: at must be a finite time >= now (3), got 2.5');
    expect(() => k.schedule(NaN, 1)).toThrow('got NaN');
    expect(() => k.schedule(Infinity, 1)).toThrow('got Infinity');
    expect(() => k.after(-1, 1)).toThrow('SimKernel.after: delay must be a finite number >= 0, got -1');
    expect(() => k.after(NaN, 1)).toThrow('got NaN');
    expect(() => new SimKernel({ startTime: NaN })).toThrow('SimKernel.startTime: must be a finite number, got NaN');
    expect(k.pending).toBe(0);
  });

  it('cancels pending events lazily and only once', () => {
    const k = new SimKernel<string>();
    const a = k.schedule(1, 'a');
    const b = k.schedule(1, 'b');
    const c = k.schedule(2, 'c');
    const d = k.schedule(3, 'd');
    expect(k.cancel(a)).toBe(true);
    expect(k.cancel(a)).toBe(false);
    expect(k.cancel(99)).toBe(false);
    expect(k.cancel(-1)).toBe(false);
    expect(k.cancel(0.5)).toBe(false);
    expect(k.pending).toBe(3);
    expect(k.popDue()).toEqual({ time: 1, events: ['b'] });
    expect(k.cancel(b)).toBe(false); // already delivered
    expect(k.cancel(c)).toBe(true);
    // the instant at t = 2 held only a cancelled event: it is skipped, not returned empty
    expect(k.nextTime()).toBe(3);
    expect(k.popDue()).toEqual({ time: 3, events: ['d'] });
    expect(k.cancel(d)).toBe(false);
    expect(k.pending).toBe(0);
    expect(k.popDue()).toBeUndefined();
    expect(k.eventsDelivered).toBe(2);
    expect(k.eventsCancelled).toBe(2);
  });

  it('skips an instant whose events were all cancelled, without a nextTime() call first', () => {
    const k = new SimKernel<string>();
    k.cancel(k.schedule(1, 'gone'));
    k.schedule(2, 'kept');
    expect(k.popDue()).toEqual({ time: 2, events: ['kept'] });
  });

  it('popDueInto reuses the caller array', () => {
    const k = new SimKernel<number>();
    const out: number[] = [42];
    k.schedule(1, 7);
    expect(k.popDueInto(out)).toBe(1);
    expect(out).toEqual([7]);
    expect(k.popDueInto(out)).toBeUndefined();
    expect(out).toEqual([]);
  });

  it('matches a reference model under random schedule / cancel / pop (property)', () => {
    type Op = { op: 'schedule'; delay: number } | { op: 'cancel'; pick: number } | { op: 'pop' } | { op: 'peek' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('schedule' as const), delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4 }), fc.double({ min: 0, max: 10, noNaN: true })) }),
      fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.constant({ op: 'pop' as const }),
      fc.constant({ op: 'peek' as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const k = new SimKernel<number>();
        // model: pending events as (time, seq); delivered seqs
        let pending: { time: number; seq: number }[] = [];
        const issued: number[] = [];
        let now = 0;
        let delivered = 0;
        for (const o of ops) {
          if (o.op === 'schedule') {
            const seq = k.after(o.delay, issued.length);
            expect(seq).toBe(issued.length);
            pending.push({ time: now + o.delay, seq });
            issued.push(seq);
          } else if (o.op === 'cancel') {
            if (issued.length === 0) continue;
            const seq = issued[o.pick % issued.length]!;
            const wasPending = pending.some((p) => p.seq === seq);
            expect(k.cancel(seq)).toBe(wasPending);
            pending = pending.filter((p) => p.seq !== seq);
          } else if (o.op === 'peek') {
            // only on request: nextTime() purges cancelled heads, which popDue must do by itself
            expect(k.nextTime()).toBe(pending.length === 0 ? undefined : Math.min(...pending.map((p) => p.time)));
          } else {
            const batch = k.popDue();
            if (pending.length === 0) {
              expect(batch).toBeUndefined();
              continue;
            }
            const t = Math.min(...pending.map((p) => p.time));
            const due = pending.filter((p) => p.time === t).sort((a, b) => a.seq - b.seq);
            expect(batch).toEqual({ time: t, events: due.map((p) => p.seq) });
            pending = pending.filter((p) => p.time !== t);
            now = t;
            delivered += due.length;
          }
          expect(k.now).toBe(now);
          expect(k.pending).toBe(pending.length);
          expect(k.eventsDelivered).toBe(delivered);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('grows its bookkeeping past many events', () => {
    const k = new SimKernel<number>();
    const seqs: number[] = [];
    for (let i = 0; i < 5000; i++) seqs.push(k.schedule(i % 10, i));
    for (let i = 0; i < 5000; i += 2) expect(k.cancel(seqs[i]!)).toBe(true);
    let count = 0;
    for (let b = k.popDue(); b !== undefined; b = k.popDue()) {
      count += b.events.length;
      expect(b.events.every((e) => e % 2 === 1 && e % 10 === b.time)).toBe(true);
    }
    expect(count).toBe(2500);
    expect(k.eventsScheduled).toBe(5000);
  });
});
