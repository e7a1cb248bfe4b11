/**
 * Wall-clock readings for measurement only (run summaries, progress, benchmarks, the kernel
 * check in `src/netcheck`). Virtual time is the kernel's; nothing that affects a simulated
 * result may read this.
 */
import { performance } from 'node:perf_hooks';

/** Seconds since an arbitrary origin, monotonic. */
export function wallSeconds(): number {
  return performance.now() / 1000;
}

/**
 * Nanoseconds of the system's monotonic clock (CLOCK_MONOTONIC). Unlike {@link wallSeconds},
 * whose origin is this process's start, readings are comparable between processes on one
 * machine, network namespaces included: the kernel check stamps a message's first byte in the
 * sender and its last byte in the receiver.
 */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds since an arbitrary origin, monotonic (benchmarks). */
export function wallMs(): number {
  return performance.now();
}

/** Waits `ms` of wall-clock time (polling outside the simulation, e.g. a sweep following its queue). */
export function wallSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
