/**
 * Real time for the pilot (src/pilot), the one mode where time is not virtual: the pilot's
 * effect interpreter waits real seconds and stamps messages with a clock that separate
 * processes on one machine share (ms since the Unix epoch, read monotonically).
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds since the Unix epoch, monotonic within a process. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Monotonic milliseconds (for timeouts). */
export function monotonicMs(): number {
  return performance.now();
}

/** Calls `fn` after `seconds` real seconds (`unref`: without keeping the process alive); returns a cancel function. */
export function after(seconds: number, fn: () => void, options: { unref?: boolean } = {}): () => void {
  const t = setTimeout(fn, Math.max(0, seconds * 1000));
  if (options.unref === true) t.unref();
  return (): void => clearTimeout(t);
}

/** Calls `fn` every `ms` real milliseconds without keeping the process alive; returns a cancel function. */
export function every(ms: number, fn: () => void): () => void {
  const t = setInterval(fn, ms);
  t.unref();
  return (): void => clearInterval(t);
}

/** Resolves after `ms` real milliseconds (the pilot's polling waits). */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
