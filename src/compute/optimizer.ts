/**
 * Adam applied in place to a shared PartState, with the same update as model/adam.ts
 * (PyTorch's: θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)), but with moments that live in
 * shared memory so any worker can step any part.
 */
import type { AdamOptions } from '../model/adam.js';
import type { PartState } from './paramStore.js';

/** One Adam step on `state` with gradients `grads`. */
export function adamStepShared(state: PartState, grads: Float32Array, opts: AdamOptions): void {
  const lr = opts.lr ?? 1e-3;
  const beta1 = opts.beta1 ?? 0.9;
  const beta2 = opts.beta2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const { params, m, v } = state;
  if (grads.length !== params.length) {
    throw new Error(`adam: gradient length ${grads.length} does not match parameter length ${params.length}`);
  }
  const t = (state.t[0] as number) + 1;
  state.t[0] = t;
  const stepSize = lr / (1 - beta1 ** t);
  const rootBc2 = Math.sqrt(1 - beta2 ** t);
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] as number;
    const mi = beta1 * (m[i] as number) + a1 * g;
    const vi = beta2 * (v[i] as number) + a2 * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = (params[i] as number) - (stepSize * mi) / (Math.sqrt(vi) / rootBc2 + eps);
  }
}
