/**
 * Micro-benchmark of the simulation core's hot path: `n` messages of random size go through
 * `Link.transmit` on a handful of links, each arrival is scheduled on a {@link SimKernel}, and
 * every instant is then popped. Wall-clock time is measured here only (STYLE principle 2 allows
 * benchmarks to read it); virtual time is untouched by it.
 */
import { performance } from 'node:perf_hooks';
import { SimKernel } from './kernel.js';
import { Link, type LinkSpec } from './link.js';
import { Rng } from './rng.js';

/** Options for {@link benchKernel}. */
export interface BenchKernelOptions {
  /** Links the messages are spread over, round-robin (default 16). */
  links?: number;
  /** Largest message in bytes; sizes are uniform in [0, maxBytes] (default 262,144). */
  maxBytes?: number;
  /** Seed of the size, loss and jitter draws (default 1). */
  seed?: number;
}

/** Result of {@link benchKernel}. */
export interface BenchKernelResult {
  n: number;
  seconds: number;
  /** Events scheduled and delivered per wall-clock second (each event counted once). */
  eventsPerS: number;
  /** Virtual time of the last instant. */
  virtualSeconds: number;
}

/** Link of the benchmark: 50 Mbit/s, 20 ms, 2 ms jitter, 0.1 % loss, reliable. */
const BENCH_LINK: LinkSpec = { bandwidthMbps: 50, latencyMs: 20, jitterMs: 2, loss: 0.001, mode: 'reliable' };

/**
 * Schedules `n` link deliveries through a kernel, pops them all, and reports the rate.
 * @example benchKernel(1_000_000).eventsPerS
 */
export function benchKernel(n: number, options: BenchKernelOptions = {}): BenchKernelResult {
  if (!Number.isInteger(n) || n < 1) throw new Error(`benchKernel: n must be an integer >= 1, got ${n}`);
  const linkCount = options.links ?? 16;
  const maxBytes = options.maxBytes ?? 262_144;
  const rng = new Rng(options.seed ?? 1, 'bench');
  const sizes = rng.child('sizes');
  const links: Link[] = [];
  for (let i = 0; i < linkCount; i++) links.push(new Link(`bench-${i}`, BENCH_LINK, rng.child(`link/${i}`)));
  const kernel = new SimKernel<number>();
  const batch: number[] = [];

  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const d = links[i % linkCount]!.transmit(sizes.int(maxBytes + 1), i * 1e-3);
    kernel.schedule(d.arrivalTime as number, i);
  }
  let delivered = 0;
  let last = 0;
  for (let t = kernel.popDueInto(batch); t !== undefined; t = kernel.popDueInto(batch)) {
    delivered += batch.length;
    last = t;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (delivered !== n) throw new Error(`benchKernel: delivered ${delivered} of ${n} events`);
  return { n, seconds, eventsPerS: n / seconds, virtualSeconds: last };
}
