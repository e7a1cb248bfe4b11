import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EventQueue } from './eventQueue.js';

interface Item {
  time: number;
  seq: number;
  value: number;
}

/** Reference model: an array kept sorted by (time, seq). */
interface Model {
  items: Item[];
  nextSeq: number;
}

type Real = EventQueue<number>;

class PushCommand implements fc.Command<Model, Real> {
  constructor(
    readonly time: number,
    readonly value: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, q: Real): void {
    const seq = q.push(this.time, this.value);
    expect(seq).toBe(m.nextSeq);
    m.items.push({ time: this.time, seq: m.nextSeq++, value: this.value });
    m.items.sort((a, b) => a.time - b.time || a.seq - b.seq);
    expect(q.size).toBe(m.items.length);
  }
  toString(): string {
    return `push(${this.time}, ${this.value})`;
  }
}

class PopCommand implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, q: Real): void {
    const expected = m.items.shift();
    expect(q.peek()).toEqual(expected);
    expect(q.pop()).toEqual(expected);
    expect(q.size).toBe(m.items.length);
  }
  toString(): string {
    return 'pop()';
  }
}

class PopValueCommand implements fc.Command<Model, Real> {
  check(m: Readonly<Model>): boolean {
    return m.items.length > 0;
  }
  run(m: Model, q: Real): void {
    const head = m.items[0]!;
    expect(q.peekTime()).toBe(head.time);
    expect(q.peekSeq()).toBe(head.seq);
    expect(q.popValue()).toBe(head.value);
    m.items.shift();
  }
  toString(): string {
    return 'popValue()';
  }
}

// Few distinct times, so ties (FIFO order) are common.
const time = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
const commands = fc.commands(
  [
    fc.tuple(time, fc.integer()).map(([t, v]) => new PushCommand(t, v)),
    fc.constant(new PopCommand()),
    fc.constant(new PopValueCommand()),
  ],
  { maxCommands: 300 },
);

describe('EventQueue', () => {
  it('behaves like a sorted array ordered by (time, seq)', () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        fc.modelRun(() => ({ model: { items: [], nextSeq: 0 }, real: new EventQueue<number>(2) }), cmds);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('pops a large random batch in sorted order (exercises growth)', () => {
    const q = new EventQueue<number>(1);
    let x = 12345;
    const times: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const t = x % 1000;
      times.push(t);
      q.push(t, i);
    }
    let prevT = -Infinity;
    let prevV = -1;
    let disorders = 0;
    let popped = 0;
    while (q.size > 0) {
      const e = q.pop()!;
      popped++;
      if (e.time !== times[e.value]) disorders++;
      // increasing time; FIFO (increasing push index) among equal times
      if (e.time < prevT || (e.time === prevT && e.value < prevV)) disorders++;
      prevT = e.time;
      prevV = e.value;
    }
    expect(popped).toBe(20_000);
    expect(disorders).toBe(0);
  });

  it('reports empty state without throwing, rejects NaN, and clears', () => {
    const q = new EventQueue<string>();
    expect(q.peek()).toBeUndefined();
    expect(q.pop()).toBeUndefined();
    expect(q.popValue()).toBeUndefined();
    expect(q.peekTime()).toBe(Infinity);
    expect(q.peekSeq()).toBe(-1);
    expect(() => q.push(NaN, 'x')).toThrow('EventQueue.push: time must not be NaN, got NaN');
    q.push(2, 'a');
    q.push(1, 'b');
    q.clear();
    expect(q.size).toBe(0);
    expect(q.push(0, 'c')).toBe(2); // sequence numbers keep counting
    expect(q.pop()).toEqual({ time: 0, seq: 2, value: 'c' });
  });
});
