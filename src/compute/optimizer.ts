/**
 * Adam applied in place to a shared PartState: the update of model/adam.ts, with moments that
 * live in shared memory so any pool worker can step any part.
 */
import { adamOptions, adamUpdate, type AdamOptions } from '../model/adam.js';
import type { PartState } from './paramStore.js';

/** One Adam step on `state` with gradients `grads`. */
export function adamStepShared(state: PartState, grads: Float32Array, opts: AdamOptions): void {
  if (grads.length !== state.params.length) {
    throw new Error(`adam: gradient length ${grads.length} does not match parameter length ${state.params.length}`);
  }
  const t = (state.t[0] as number) + 1;
  state.t[0] = t;
  adamUpdate(state.params, grads, state.m, state.v, t, adamOptions(opts));
}
