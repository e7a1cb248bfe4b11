/**
 * Synthetic inputs for the learned-codec tests and bench: smooth random fields, a stand-in for
 * split tensors (spatially correlated activations).
 */
import type { Rng } from '../../sim/rng.js';
import type { TensorData } from '../types.js';

/**
 * `batch` fields [batch, size, size, channels]: per channel a sum of `waves` plane waves of
 * random low frequency, phase and amplitude, plus a little white noise. Values of order 1.
 */
export function smoothFields(batch: number, size: number, channels: number, rng: Rng, waves = 3): TensorData {
  const shape = [batch, size, size, channels];
  const data = new Float32Array(batch * size * size * channels);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const w = Array.from({ length: waves }, () => ({
        fx: rng.range(-2, 2),
        fy: rng.range(-2, 2),
        phase: rng.range(0, 2 * Math.PI),
        amp: rng.range(0.3, 1),
      }));
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          let v = 0;
          for (const k of w) v += k.amp * Math.sin((2 * Math.PI * (k.fx * x + k.fy * y)) / size + k.phase);
          data[((b * size + y) * size + x) * channels + c] = v + rng.normal(0, 0.05);
        }
      }
    }
  }
  return { data, shape };
}

