import { describe, expect, it } from 'vitest';
import { ParamStore } from './paramStore.js';
import { adamStepShared } from './optimizer.js';

const grads = Float32Array.from([0.3, -0.2, 0.5, 1.0, -0.7, 0.1]);

function stepped(opts: Parameters<typeof adamStepShared>[2], steps = 3): Float32Array {
  const state = new ParamStore().create('p', new Float32Array(6).fill(1));
  for (let i = 0; i < steps; i++) adamStepShared(state, grads, opts);
  return state.params.slice();
}

describe('adamStepShared with learning-rate groups', () => {
  it('steps each group with its own rate and equals separate Adam runs per slice', () => {
    const grouped = stepped({ lr: 1e-3, groups: [{ start: 2, end: 4, lr: 1e-1 }] });
    const slow = stepped({ lr: 1e-3 });
    const fast = stepped({ lr: 1e-1 });
    expect(Array.from(grouped)).toEqual([slow[0], slow[1], fast[2], fast[3], slow[4], slow[5]]);
    // Adam moves each element by about lr per step at the start: the fast slice moved ~100× farther.
    expect(Math.abs(1 - (grouped[2] as number))).toBeGreaterThan(50 * Math.abs(1 - (grouped[0] as number)));
  });

  it('rejects overlapping or out-of-range groups', () => {
    expect(() => stepped({ lr: 1e-3, groups: [{ start: 0, end: 3, lr: 1 }, { start: 2, end: 4, lr: 1 }] })).toThrow(/overlaps/);
    expect(() => stepped({ lr: 1e-3, groups: [{ start: 4, end: 7, lr: 1 }] })).toThrow(/exceeds 6/);
  });
});
