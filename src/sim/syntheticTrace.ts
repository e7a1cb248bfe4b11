/**
 * Synthetic bandwidth traces, generated from a seed (no download, no real measurement): the
 * rate follows a log-normal AR(1) process in steps of `stepS` (the shape of measured cellular
 * throughput, which is bursty and autocorrelated over hundreds of ms), with occasional outages
 * (rate 0) of exponential length. Output in both formats {@link MahimahiTrace} and
 * {@link ThroughputTrace} read; the same options give the same bytes.
 */
import { MAHIMAHI_OPPORTUNITY_BYTES } from './trace.js';
import { Rng } from './rng.js';

/** Options of {@link syntheticTrace}; all but `seed` have defaults. */
export interface SyntheticTraceOptions {
  seed: number;
  /** Length of the trace (one loop), seconds (default 60). */
  durationS?: number;
  /** Long-run median rate, Mbit/s (default 10). */
  medianMbps?: number;
  /** Standard deviation of the log-rate (default 0.5). */
  sigma?: number;
  /** Step of the process, seconds (default 0.1). */
  stepS?: number;
  /** Correlation of the log-rate between steps, 0..1 (default 0.9). */
  correlation?: number;
  /** Probability that an outage starts in a step (default 0.002). */
  outageProb?: number;
  /** Mean outage length, seconds (default 1). */
  outageMeanS?: number;
}

/** A generated trace in both formats. */
export interface SyntheticTrace {
  /** Mahimahi text: one ms timestamp per 1500-byte opportunity. */
  mahimahi: string;
  /** `time_s throughput_Mbps` text, one line per step. */
  mbps: string;
  /** Mean rate of the Mahimahi schedule, Mbit/s. */
  meanMbps: number;
}

/**
 * Generates a trace.
 * @example const { mahimahi } = syntheticTrace({ seed: 1, medianMbps: 8 });
 */
export function syntheticTrace(options: SyntheticTraceOptions): SyntheticTrace {
  const o = { durationS: 60, medianMbps: 10, sigma: 0.5, stepS: 0.1, correlation: 0.9, outageProb: 0.002, outageMeanS: 1, ...options };
  if (!(o.durationS > 0) || !(o.medianMbps > 0) || !(o.stepS > 0) || !(o.sigma >= 0)) {
    throw new Error(`syntheticTrace: durationS, medianMbps, stepS must be > 0 and sigma >= 0, got ${JSON.stringify(o)}`);
  }
  if (!(o.correlation >= 0 && o.correlation < 1)) throw new Error(`syntheticTrace.correlation: must be in [0, 1), got ${o.correlation}`);
  const rng = new Rng(o.seed, 'synthetic-trace');
  const steps = Math.max(1, Math.round(o.durationS / o.stepS));
  const innovation = o.sigma * Math.sqrt(1 - o.correlation * o.correlation);
  let x = rng.normal(0, o.sigma);
  let outageLeft = 0;
  const rates: number[] = [];
  for (let i = 0; i < steps; i++) {
    x = o.correlation * x + rng.normal(0, innovation);
    if (outageLeft <= 0 && rng.uniform() < o.outageProb) outageLeft = -Math.log(1 - rng.uniform()) * o.outageMeanS;
    const rate = outageLeft > 0 ? 0 : o.medianMbps * Math.exp(x);
    outageLeft -= o.stepS;
    rates.push(Math.round(rate * 1000) / 1000);
  }
  const mbps = rates.map((r, i) => `${(i * o.stepS).toFixed(3)} ${r}`).join('\n');
  // Mahimahi: accumulate bytes per ms and emit one timestamp per whole 1500-byte opportunity.
  const lines: string[] = [];
  let bytes = 0;
  const totalMs = Math.round(steps * o.stepS * 1000);
  for (let ms = 1; ms <= totalMs; ms++) {
    const rate = rates[Math.min(steps - 1, Math.floor(((ms - 1) / 1000) / o.stepS))] as number;
    bytes += (rate * 1e6) / 8 / 1000;
    while (bytes >= MAHIMAHI_OPPORTUNITY_BYTES) {
      lines.push(String(ms));
      bytes -= MAHIMAHI_OPPORTUNITY_BYTES;
    }
  }
  // The schedule's period is its last timestamp: end it exactly at the trace length.
  if (lines.length === 0 || lines[lines.length - 1] !== String(totalMs)) lines.push(String(totalMs));
  const meanMbps = (lines.length * MAHIMAHI_OPPORTUNITY_BYTES * 8) / (totalMs / 1000) / 1e6;
  return { mahimahi: `${lines.join('\n')}\n`, mbps: `${mbps}\n`, meanMbps };
}
