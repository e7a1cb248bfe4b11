/**
 * Wall-clock readings for measurement only (run summaries, progress, benchmarks). Virtual
 * time is the kernel's; nothing that affects a simulated result may read this.
 */
import { performance } from 'node:perf_hooks';

/** Seconds since an arbitrary origin, monotonic. */
export function wallSeconds(): number {
  return performance.now() / 1000;
}
