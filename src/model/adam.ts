/**
 * Adam (Kingma & Ba 2015, Algorithm 1) on flat Float32Arrays, in place. The update is PyTorch's:
 * θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε), so ε sits where torch.optim.Adam puts it
 * (SplitFedZip trains with it).
 */

/** Adam hyper-parameters; defaults are those of the paper and PyTorch. */
export interface AdamOptions {
  /** Step size; default 1e-3. */
  lr?: number;
  /** First-moment decay; default 0.9. */
  beta1?: number;
  /** Second-moment decay; default 0.999. */
  beta2?: number;
  /** Denominator guard; default 1e-8. */
  eps?: number;
}

/** Moments and step count, enough to resume. */
export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  t: number;
}

const DEFAULTS: Required<AdamOptions> = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

function resolve(opts: AdamOptions): Required<AdamOptions> {
  const o = { ...DEFAULTS, ...opts };
  if (!(o.lr > 0)) throw new RangeError(`adam.lr: must be > 0, got ${o.lr}`);
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw new RangeError(`adam.beta1: must be in [0, 1), got ${o.beta1}`);
  if (!(o.beta2 >= 0 && o.beta2 < 1)) throw new RangeError(`adam.beta2: must be in [0, 1), got ${o.beta2}`);
  if (!(o.eps > 0)) throw new RangeError(`adam.eps: must be > 0, got ${o.eps}`);
  return o;
}

/**
 * The bias-corrected update of step `t` (≥ 1), in place on `params`, `m` and `v`; the moments
 * may live anywhere (the compute pool keeps them in shared memory).
 */
export function adamUpdate(
  params: Float32Array,
  grads: Float32Array,
  m: Float32Array,
  v: Float32Array,
  t: number,
  options: Required<AdamOptions>,
): void {
  const { lr, beta1, beta2, eps } = options;
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

/** Fills the defaults of Adam's options and validates them. */
export function adamOptions(opts: AdamOptions = {}): Required<AdamOptions> {
  return resolve(opts);
}

/** Adam for one flat parameter vector. */
export class Adam {
  readonly size: number;
  readonly options: Required<AdamOptions>;
  private m: Float32Array;
  private v: Float32Array;
  private t = 0;

  constructor(size: number, opts: AdamOptions = {}) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`adam.size: must be an integer ≥ 0, got ${size}`);
    this.size = size;
    this.options = resolve(opts);
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One bias-corrected step; updates `params` in place. */
  step(params: Float32Array, grads: Float32Array): void {
    if (params.length !== this.size) {
      throw new RangeError(`adam.step params: must have length ${this.size}, got ${params.length}`);
    }
    if (grads.length !== this.size) {
      throw new RangeError(`adam.step grads: must have length ${this.size}, got ${grads.length}`);
    }
    this.t += 1;
    adamUpdate(params, grads, this.m, this.v, this.t, this.options);
  }

  /** Copies of the moments and the step count. */
  state(): AdamState {
    return { m: this.m.slice(), v: this.v.slice(), t: this.t };
  }

  /** An optimiser resuming from `state` (copied). */
  static fromState(state: AdamState, opts: AdamOptions = {}): Adam {
    if (state.m.length !== state.v.length) {
      throw new RangeError(`adam.state.v: must have length ${state.m.length}, got ${state.v.length}`);
    }
    if (!Number.isInteger(state.t) || state.t < 0) {
      throw new RangeError(`adam.state.t: must be an integer ≥ 0, got ${state.t}`);
    }
    const adam = new Adam(state.m.length, opts);
    adam.m.set(state.m);
    adam.v.set(state.v);
    adam.t = state.t;
    return adam;
  }
}
