/**
 * Adam applied in place to a shared PartState: the update of model/adam.ts, with moments that
 * live in shared memory so any pool worker can step any part.
 */
import { adamOptions, adamUpdate, type AdamOptions } from '../model/adam.js';
import type { PartState } from './paramStore.js';

/** A slice [start, end) of a flat parameter vector that steps with its own learning rate. */
export interface LrGroup {
  start: number;
  end: number;
  lr: number;
}

/** Adam's options, plus slices with their own learning rate (the rest uses `lr`). */
export interface GroupedAdamOptions extends AdamOptions {
  groups?: readonly LrGroup[];
}

/** One Adam step on `state` with gradients `grads`; each group's slice steps with its own rate. */
export function adamStepShared(state: PartState, grads: Float32Array, opts: GroupedAdamOptions): void {
  if (grads.length !== state.params.length) {
    throw new Error(`adam: gradient length ${grads.length} does not match parameter length ${state.params.length}`);
  }
  const t = (state.t[0] as number) + 1;
  state.t[0] = t;
  const { groups, ...base } = opts;
  const options = adamOptions(base);
  // Adam is element-wise, so slices stepped separately equal one step with per-element rates.
  let at = 0;
  const step = (start: number, end: number, lr: number): void => {
    if (end <= start) return;
    const v = (a: Float32Array): Float32Array => a.subarray(start, end);
    adamUpdate(v(state.params), v(grads), v(state.m), v(state.v), t, { ...options, lr });
  };
  for (const g of [...(groups ?? [])].sort((a, b) => a.start - b.start)) {
    if (g.start < at || g.end > grads.length) throw new Error(`adam: group [${g.start}, ${g.end}) overlaps another or exceeds ${grads.length}`);
    step(at, g.start, options.lr);
    step(g.start, g.end, g.lr);
    at = g.end;
  }
  step(at, grads.length, options.lr);
}
