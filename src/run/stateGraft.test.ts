import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { captureState, restoreState } from './stateGraft.js';

class Counter {
  private n = 0;
  readonly rng: Rng;
  readonly shared: Float32Array;
  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.shared = new Float32Array(new SharedArrayBuffer(12));
  }
  tick(): number {
    this.n += 1;
    this.shared[this.n % 3] = this.rng.uniform();
    return this.n;
  }
}

/** A graph of the kinds a run holds: class instances, a shared reference, Map, Set, typed arrays, a settled promise, a function. */
function world(): {
  a: Counter;
  again: Counter;
  byName: Map<string, Counter | number[]>;
  seen: Set<number>;
  job: Promise<{ out: Float64Array }>;
  fn: () => number;
  frozen: Readonly<{ name: string }>;
} {
  const a = new Counter(1);
  return {
    a,
    again: a,
    byName: new Map<string, Counter | number[]>([['c', new Counter(2)]]),
    seen: new Set([1]),
    job: Promise.resolve({ out: new Float64Array([1, -Infinity]) }),
    fn: () => 42,
    frozen: Object.freeze({ name: 'edge-cpu' }),
  };
}

describe('captureState / restoreState', () => {
  it('a fresh graph restored from a capture continues exactly as the original', async () => {
    const live = world();
    for (let i = 0; i < 5; i++) live.a.tick();
    (live.byName.get('c') as Counter).tick();
    live.byName.set('list', [3, 4]);
    live.seen.add(9);
    const saved = deserialize(serialize(await captureState(live))) as Parameters<typeof restoreState>[1];

    const fresh = world();
    const sharedBuffer = fresh.a.shared;
    const fn = fresh.fn;
    restoreState(fresh, saved);
    // In place: the same objects (references held elsewhere stay valid), now in the saved state.
    expect(fresh.a.shared).toBe(sharedBuffer);
    expect(fresh.a.shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(fresh.again).toBe(fresh.a);
    expect(fresh.fn).toBe(fn);
    expect(fresh.a).toBeInstanceOf(Counter);
    expect([...fresh.seen]).toEqual([1, 9]);
    expect(fresh.byName.get('list')).toEqual([3, 4]);
    expect((await fresh.job).out).toEqual(new Float64Array([1, -Infinity]));
    expect(Array.from(fresh.a.shared)).toEqual(Array.from(live.a.shared));
    // Their futures agree: the RNG streams and counters were restored.
    for (let i = 0; i < 4; i++) expect(fresh.a.tick()).toBe(live.a.tick());
    expect(Array.from(fresh.a.shared)).toEqual(Array.from(live.a.shared));
    expect((fresh.byName.get('c') as Counter).rng.uniform()).toBe((live.byName.get('c') as Counter).rng.uniform());
  });

  it('waits for pending promises before capturing, and restores a transferred buffer as transferred', async () => {
    let resolve: (v: number) => void = () => undefined;
    const root: { p: Promise<number>; after: number; gone: Uint8Array } = { p: new Promise((r) => (resolve = r)), after: 0, gone: new Uint8Array(4) };
    void root.p.then((v) => (root.after = v));
    structuredClone(root.gone.buffer, { transfer: [root.gone.buffer as ArrayBuffer] });
    setTimeout(() => resolve(7), 5);
    const saved = await captureState(root);
    const fresh = { p: Promise.resolve(0), after: 0, gone: new Uint8Array(4) };
    restoreState(fresh, saved);
    expect(fresh.after).toBe(7);
    expect(await fresh.p).toBe(7);
    expect(fresh.gone.length).toBe(0);
    expect(() => new Uint8Array(fresh.gone.buffer)).toThrow(/detached/);
  });

  it('leaves skipped objects and root keys alone, and refuses what it cannot save', async () => {
    const handle = { open: true };
    const root = { handle, wall: 5, n: 1 };
    const saved = await captureState(root, { skip: new Set([handle]), skipRootKeys: new Set(['wall']) });
    const freshHandle = { open: false };
    const fresh = { handle: freshHandle, wall: 9, n: 0 };
    restoreState(fresh, saved, { skip: new Set([freshHandle]), skipRootKeys: new Set(['wall']) });
    expect(fresh).toEqual({ handle: { open: false }, wall: 9, n: 1 });
    await expect(captureState({ s: Symbol('x') })).rejects.toThrow('state.s: a symbol cannot be saved');
    await expect(captureState({ w: new WeakMap() })).rejects.toThrow('state.w: a WeakMap cannot be saved');
  });
});
