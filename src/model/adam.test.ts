import { describe, expect, it } from 'vitest';
import { Adam } from './adam.js';

/** Kingma & Ba 2015, Algorithm 1, in float64 with explicit bias-corrected moments. */
function reference(p0: number[], grads: number[][], lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * (m[i] as number) + (1 - b1) * (g[i] as number);
      v[i] = b2 * (v[i] as number) + (1 - b2) * (g[i] as number) ** 2;
      const mh = (m[i] as number) / (1 - b1 ** t);
      const vh = (v[i] as number) / (1 - b2 ** t);
      p[i] = (p[i] as number) - (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return p;
}

describe('Adam', () => {
  it('first step moves each parameter by lr against the gradient sign (hand computation)', () => {
    const p = Float32Array.from([1, -2, 0.5]);
    const adam = new Adam(3, { lr: 0.1 });
    adam.step(p, Float32Array.from([0.5, -1, 0]));
    // m̂ = g, v̂ = g², so Δ = lr·g/(|g| + ε); a zero gradient leaves the parameter alone
    expect(p[0]).toBeCloseTo(0.9, 6);
    expect(p[1]).toBeCloseTo(-1.9, 6);
    expect(p[2]).toBe(0.5);
    expect(adam.state().t).toBe(1);
  });

  it('matches Algorithm 1 over several steps, and resumes from its state', () => {
    const grads = [
      [0.5, -1, 2e-3],
      [0.1, 0.2, -4e-3],
      [-0.3, 0.05, 1e-3],
      [0.2, -0.4, 0],
    ];
    const want = reference([1, -2, 0.3], grads, 0.01, 0.8, 0.99, 1e-6);
    const opts = { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6 };
    const p = Float32Array.from([1, -2, 0.3]);
    const a = new Adam(3, opts);
    a.step(p, Float32Array.from(grads[0] as number[]));
    a.step(p, Float32Array.from(grads[1] as number[]));
    const b = Adam.fromState(a.state(), opts);
    b.step(p, Float32Array.from(grads[2] as number[]));
    b.step(p, Float32Array.from(grads[3] as number[]));
    want.forEach((w, i) => expect(p[i]).toBeCloseTo(w, 6));
    expect(b.state().t).toBe(4);
    // state() is a copy: mutating it does not touch the optimiser
    b.state().m.fill(99);
    expect(b.state().m[0]).not.toBe(99);
  });

  it('validates sizes and options with the field name', () => {
    expect(() => new Adam(3, { lr: 0 })).toThrow('adam.lr: must be > 0, got 0');
    expect(() => new Adam(3, { beta2: 1 })).toThrow('adam.beta2: must be in [0, 1), got 1');
    expect(() => new Adam(-1)).toThrow('adam.size: must be an integer ≥ 0, got -1');
    const a = new Adam(2);
    expect(() => a.step(new Float32Array(2), new Float32Array(3))).toThrow('adam.step grads: must have length 2, got 3');
    expect(() => Adam.fromState({ m: new Float32Array(2), v: new Float32Array(1), t: 0 })).toThrow('adam.state.v: must have length 2, got 1');
  });
});
