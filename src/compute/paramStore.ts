/**
 * Model state that stays put: each part's parameters and Adam moments live in
 * SharedArrayBuffers, so a pool task reads and updates them in place on whichever worker runs
 * it, and weights move only when the protocol moves them (aggregation), never per step.
 */

/** One part's parameters and optimiser state, all views over shared memory. */
export interface PartState {
  readonly params: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Adam step count, one element. */
  readonly t: Float64Array;
}

function shared(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** Named part states, e.g. `client-3/FE`, `server/M/3`, `global/BE`. */
export class ParamStore {
  private readonly entries = new Map<string, PartState>();

  /** Creates (or resets) `key` with a copy of `init` and zeroed optimiser state. */
  create(key: string, init: Float32Array): PartState {
    const state: PartState = {
      params: shared(init.length),
      m: shared(init.length),
      v: shared(init.length),
      t: new Float64Array(new SharedArrayBuffer(8)),
    };
    state.params.set(init);
    this.entries.set(key, state);
    return state;
  }

  /** The state of `key`; throws naming the key when absent (a bug, not a user error). */
  get(key: string): PartState {
    const s = this.entries.get(key);
    if (s === undefined) throw new Error(`param store: no part state "${key}"`);
    return s;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Overwrites the parameters of `key` (optimiser state kept: clients keep their Adam moments across rounds). */
  setParams(key: string, values: Float32Array): void {
    const s = this.get(key);
    if (values.length !== s.params.length) {
      throw new Error(`param store: "${key}" holds ${s.params.length} values, got ${values.length}`);
    }
    s.params.set(values);
  }

  /** A private copy of the parameters of `key`. */
  snapshot(key: string): Float32Array {
    return this.get(key).params.slice();
  }
}
