/**
 * Micro-benchmark of the simulation core's hot path: `n` messages of random size go through
 * `Link.transmit` on a handful of links, each arrival is scheduled on a {@link SimKernel}, and
 * every instant is then popped. Wall-clock time is measured here only (STYLE principle 2 allows
 * benchmarks to read it); virtual time is untouched by it.
 */
import { performance } from 'node:perf_hooks';
import { SimKernel } from './kernel.js';
import { Link, type LinkSpec } from './link.js';
import { Network } from './network.js';
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

/** Result of {@link benchFlows}. */
export interface BenchFlowsResult {
  clients: number;
  messages: number;
  seconds: number;
  /** Flow events (starts and completions) handled per wall-clock second. */
  eventsPerS: number;
  /** Most messages in flight at once. */
  peakInFlight: number;
  virtualSeconds: number;
}

/**
 * The flow model at scale: `clients` clients behind one shared server link each send `rounds`
 * messages (uploads, then the server's replies), all at once per round, as SFLV1 does when
 * every client sends its features together. Checks every message is delivered.
 * @example benchFlows(1000, 3).eventsPerS
 */
export function benchFlows(clients: number, rounds: number, seed = 1): BenchFlowsResult {
  const link: LinkSpec = { bandwidthMbps: 20, latencyMs: 20, jitterMs: 1, loss: 0.001, mode: 'reliable' };
  const net = new Network(
    {
      clients: Array.from({ length: clients }, () => ({ uplink: link, downlink: { ...link, bandwidthMbps: 50 } })),
      server: { uplinkMbps: 1000, downlinkMbps: 1000, latencyMs: 2 },
    },
    new Rng(seed, 'bench-flows'),
  );
  const sizes = new Rng(seed, 'bench-flows/sizes');
  const kernel = new SimKernel<number>();
  const batch: number[] = [];
  let messages = 0;
  let delivered = 0;
  let peak = 0;
  let events = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    // Tags: round r's uploads are base + k, their replies base + clients + k.
    const base = 2 * clients * r;
    for (let k = 0; k < clients; k++) {
      net.startTransfer(`client-${k}`, 'server', 50_000 + sizes.int(200_000), kernel.now, undefined, base + k);
      messages++;
      events++;
    }
    // Run network and kernel together until every upload and its reply are delivered.
    for (let guard = 0; guard < 100 * clients; guard++) {
      peak = Math.max(peak, net.inFlight);
      const t = net.nextEventTime();
      const due = kernel.nextTime();
      if (t === undefined && due === undefined) break;
      if (t !== undefined && (due === undefined || t <= due)) {
        for (const c of net.advanceTo(t)) {
          events++;
          kernel.schedule(c.delivery.arrivalTime as number, c.tag);
        }
        continue;
      }
      kernel.popDueInto(batch);
      for (const tag of batch) {
        delivered++;
        if (tag < base + clients) {
          net.startTransfer('server', `client-${tag - base}`, 50_000 + sizes.int(200_000), kernel.now, undefined, tag + clients);
          messages++;
          events++;
        }
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (delivered !== messages) throw new Error(`benchFlows: delivered ${delivered} of ${messages} messages`);
  return { clients, messages, seconds, eventsPerS: events / seconds, peakInFlight: peak, virtualSeconds: kernel.now };
}
