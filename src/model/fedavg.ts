/** Federated averaging (McMahan et al. 2017, Algorithm 1): sample-weighted mean of parameters. */

/**
 * Σ_k (n_k / Σn) · θ_k, accumulated in Float64 so many clients do not lose precision.
 * @example const global = fedAvg([{ params: a, samples: 120 }, { params: b, samples: 80 }]);
 */
export function fedAvg(updates: Array<{ params: Float32Array; samples: number }>): Float32Array {
  if (updates.length === 0) throw new RangeError('fedAvg.updates: must not be empty, got 0 updates');
  const size = (updates[0] as { params: Float32Array }).params.length;
  let total = 0;
  updates.forEach((u, k) => {
    if (u.params.length !== size) {
      throw new RangeError(`fedAvg.updates[${k}].params: must have length ${size}, got ${u.params.length}`);
    }
    if (!(Number.isFinite(u.samples) && u.samples > 0)) {
      throw new RangeError(`fedAvg.updates[${k}].samples: must be > 0, got ${u.samples}`);
    }
    total += u.samples;
  });
  const acc = new Float64Array(size);
  for (const u of updates) {
    const w = u.samples / total;
    const p = u.params;
    for (let i = 0; i < size; i++) acc[i] = (acc[i] as number) + w * (p[i] as number);
  }
  return Float32Array.from(acc);
}
