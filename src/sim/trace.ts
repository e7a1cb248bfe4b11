/**
 * Bandwidth and latency traces for links.
 *
 * A bandwidth trace is a cumulative capacity function C(t): the bytes a link can carry between
 * time 0 and t. Two formats:
 *
 * - **Mahimahi** (Netravali et al., USENIX ATC 2015): one integer per line, a time in ms; each
 *   line is one delivery opportunity of 1500 bytes at that time (several lines may share a ms).
 *   The schedule loops: after the last timestamp T it starts again at T + (first timestamp),
 *   so its period is T ms. C is a step function, +1500 bytes at each opportunity; bytes
 *   are fluid across opportunities (one opportunity can finish one packet and start the next,
 *   as Mahimahi's link queue does). Mahimahi's PACKET_SIZE is 1504: one 1500-byte IP packet
 *   plus the 4-byte TUN header; the model counts IP bytes.
 * - **Throughput** (`time_s throughput_Mbps` per line, Pensieve's "cooked" traces): the rate of
 *   line i holds from its time to the next line's; the last line's rate lasts for the mean
 *   spacing of the lines; then the trace loops (times are shifted so the first line is t = 0).
 *
 * A latency trace is `time_s rtt_ms` per line, same timing rules as a throughput trace; a
 * link's one-way latency at t is half the RTT in effect.
 *
 * Lines that are empty or start with `#` are ignored. The FIFO link ({@link Link}) uses C and
 * its inverse exactly. The flow model ({@link FlowNetwork}) needs a piecewise-constant rate:
 * a throughput trace is one already; a Mahimahi trace is averaged over bins of `binS` seconds
 * (default 0.05), which keeps C exact at every bin boundary.
 */

/** Bytes per Mahimahi delivery opportunity. */
export const MAHIMAHI_OPPORTUNITY_BYTES = 1500;

/** Trace file formats. */
export type TraceFormat = 'mahimahi' | 'mbps';

/** A link's capacity over time. */
export interface CapacityTrace {
  readonly periodS: number;
  /** Mean rate over one period, bit/s. */
  readonly meanBps: number;
  /** C(t): bytes the link can carry in [0, t] (right-continuous). */
  cumulative(t: number): number;
  /** Earliest t with C(t) ≥ level (for level ≤ C(0): 0). */
  timeOfLevel(level: number): number;
  /** Piecewise-constant rate the flow model uses over [t, nextChange(t)), bit/s. */
  rateAt(t: number): number;
  /** The first time > t at which {@link CapacityTrace.rateAt} may change. */
  nextChange(t: number): number;
}

function parseLines(text: string, source: string, columns: number): number[][] {
  const rows: number[][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/[\s,]+/);
    const nums = parts.map(Number);
    if (parts.length !== columns || nums.some((n) => !Number.isFinite(n))) {
      throw new Error(`${source}: line ${i + 1}: expected ${columns} number${columns > 1 ? 's' : ''}, got ${JSON.stringify(raw)}`);
    }
    rows.push(nums);
  });
  if (rows.length === 0) throw new Error(`${source}: no data lines`);
  return rows;
}

/** Index of the first element of sorted `a` greater than `x` (upper bound). */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element of sorted `a` not less than `x` (lower bound). */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A Mahimahi delivery schedule. */
export class MahimahiTrace implements CapacityTrace {
  readonly periodS: number;
  readonly meanBps: number;
  /** Opportunity times within one period, seconds, ascending. */
  private readonly times: Float64Array;
  private readonly perPeriod: number;
  private readonly binS: number;

  /** @param timesMs opportunity timestamps in ms, non-decreasing, last > 0 */
  constructor(timesMs: number[], binS = 0.05, source = 'mahimahi trace') {
    for (let i = 0; i < timesMs.length; i++) {
      const t = timesMs[i] as number;
      if (!Number.isInteger(t) || t < 0) throw new Error(`${source}: timestamp ${i + 1} must be an integer >= 0 (ms), got ${t}`);
      if (i > 0 && t < (timesMs[i - 1] as number)) throw new Error(`${source}: timestamps must not decrease, got ${timesMs[i - 1]} then ${t}`);
    }
    const last = timesMs[timesMs.length - 1] as number;
    if (!(last > 0)) throw new Error(`${source}: the last timestamp must be > 0 ms, got ${last}`);
    if (!(binS > 0)) throw new Error(`${source}: binS must be > 0, got ${binS}`);
    this.times = Float64Array.from(timesMs, (ms) => ms / 1000);
    this.periodS = last / 1000;
    this.perPeriod = timesMs.length * MAHIMAHI_OPPORTUNITY_BYTES;
    this.meanBps = (this.perPeriod * 8) / this.periodS;
    this.binS = binS;
  }

  /** Parses a Mahimahi file's text. @example MahimahiTrace.parse(readFileSync(f, 'utf8'), f) */
  static parse(text: string, source = 'mahimahi trace', binS?: number): MahimahiTrace {
    return new MahimahiTrace(
      parseLines(text, source, 1).map((r) => r[0] as number),
      binS,
      source,
    );
  }

  cumulative(t: number): number {
    if (t < 0) return 0;
    const k = Math.floor(t / this.periodS);
    const r = t - k * this.periodS;
    return k * this.perPeriod + upperBound(this.times, r) * MAHIMAHI_OPPORTUNITY_BYTES;
  }

  timeOfLevel(level: number): number {
    if (level <= this.cumulative(0)) return 0;
    const n = Math.ceil(level / MAHIMAHI_OPPORTUNITY_BYTES); // the n-th opportunity (1-based)
    const perPeriod = this.times.length;
    const k = Math.floor((n - 1) / perPeriod);
    return k * this.periodS + (this.times[n - 1 - k * perPeriod] as number);
  }

  rateAt(t: number): number {
    const b = Math.floor((t + this.nextChange(t)) / 2 / this.binS);
    return ((this.cumulative((b + 1) * this.binS) - this.cumulative(b * this.binS)) * 8) / this.binS;
  }

  nextChange(t: number): number {
    const next = (Math.floor(t / this.binS) + 1) * this.binS;
    return next > t ? next : next + this.binS;
  }
}

/** A piecewise-constant function of time that loops (throughput or RTT). */
class StepSeries {
  readonly starts: Float64Array;
  readonly values: Float64Array;
  readonly periodS: number;

  constructor(rows: number[][], source: string, what: string) {
    const t0 = (rows[0] as number[])[0] as number;
    for (let i = 0; i < rows.length; i++) {
      const [t, v] = rows[i] as [number, number];
      if (i > 0 && !(t > ((rows[i - 1] as number[])[0] as number))) {
        throw new Error(`${source}: line ${i + 1}: times must increase, got ${t} after ${(rows[i - 1] as number[])[0]}`);
      }
      if (!(v >= 0)) throw new Error(`${source}: line ${i + 1}: ${what} must be >= 0, got ${v}`);
    }
    const n = rows.length;
    const last = (rows[n - 1] as number[])[0] as number;
    const step = n > 1 ? (last - t0) / (n - 1) : 1;
    this.starts = Float64Array.from(rows, (r) => (r[0] as number) - t0);
    this.values = Float64Array.from(rows, (r) => r[1] as number);
    this.periodS = last - t0 + step;
  }

  /** Segment index and period count at t. */
  locate(t: number): { k: number; i: number } {
    const k = Math.floor(t / this.periodS);
    const i = Math.max(0, upperBound(this.starts, t - k * this.periodS) - 1);
    return { k, i };
  }

  valueAt(t: number): number {
    return this.values[this.locate(t).i] as number;
  }

  nextChange(t: number): number {
    let { k, i } = this.locate(t);
    // Rounding in t − k·period can leave t a hair short of a boundary: step past it, so the
    // answer is always later than t (callers loop on it).
    for (let guard = 0; guard <= this.starts.length; guard++) {
      const next = k * this.periodS + (i + 1 < this.starts.length ? (this.starts[i + 1] as number) : this.periodS);
      if (next > t) return next;
      i++;
      if (i >= this.starts.length) {
        i = 0;
        k++;
      }
    }
    return t + this.periodS;
  }
}

/** A `time_s throughput_Mbps` trace. */
export class ThroughputTrace implements CapacityTrace {
  readonly periodS: number;
  readonly meanBps: number;
  private readonly series: StepSeries;
  /** C at each segment start within one period, bytes; last entry = bytes per period. */
  private readonly cum: Float64Array;

  constructor(rows: number[][], source = 'throughput trace') {
    this.series = new StepSeries(rows, source, 'throughput_Mbps');
    const s = this.series;
    this.periodS = s.periodS;
    this.cum = new Float64Array(s.starts.length + 1);
    for (let i = 0; i < s.starts.length; i++) {
      const end = i + 1 < s.starts.length ? (s.starts[i + 1] as number) : s.periodS;
      this.cum[i + 1] = (this.cum[i] as number) + ((s.values[i] as number) * 1e6 * (end - (s.starts[i] as number))) / 8;
    }
    const total = this.cum[s.starts.length] as number;
    if (!(total > 0)) throw new Error(`${source}: the trace must allow some bytes, got a total of 0`);
    this.meanBps = (total * 8) / this.periodS;
  }

  /** Parses `time_s throughput_Mbps` text. */
  static parse(text: string, source = 'throughput trace'): ThroughputTrace {
    return new ThroughputTrace(parseLines(text, source, 2), source);
  }

  cumulative(t: number): number {
    if (t <= 0) return 0;
    const s = this.series;
    const { k, i } = s.locate(t);
    const r = t - k * this.periodS;
    const perPeriod = this.cum[s.starts.length] as number;
    return k * perPeriod + (this.cum[i] as number) + ((s.values[i] as number) * 1e6 * (r - (s.starts[i] as number))) / 8;
  }

  timeOfLevel(level: number): number {
    if (level <= 0) return 0;
    const s = this.series;
    const n = s.starts.length;
    const perPeriod = this.cum[n] as number;
    // level = k whole periods + r, with r in (0, perPeriod].
    const k = Math.ceil(level / perPeriod) - 1;
    const r = level - k * perPeriod;
    // The segment i with cum[i] < r <= cum[i + 1]; its rate is > 0 since C rises across it.
    const i = lowerBound(this.cum, r) - 1;
    const rate = ((s.values[i] as number) * 1e6) / 8;
    return k * this.periodS + (s.starts[i] as number) + (r - (this.cum[i] as number)) / rate;
  }

  rateAt(t: number): number {
    // The rate over [t, next change): sampled mid-interval, so a t that rounding put a hair
    // before a boundary still gets the segment that starts there.
    return this.series.valueAt((t + this.series.nextChange(t)) / 2) * 1e6;
  }

  nextChange(t: number): number {
    return this.series.nextChange(t);
  }
}

/** A `time_s rtt_ms` trace. */
export class LatencyTrace {
  private readonly series: StepSeries;

  constructor(rows: number[][], source = 'latency trace') {
    this.series = new StepSeries(rows, source, 'rtt_ms');
  }

  /** Parses `time_s rtt_ms` text. */
  static parse(text: string, source = 'latency trace'): LatencyTrace {
    return new LatencyTrace(parseLines(text, source, 2), source);
  }

  /** One-way latency at t, seconds (half the RTT in effect). */
  oneWayAt(t: number): number {
    return this.series.valueAt(t < 0 ? 0 : t) / 2000;
  }
}

/**
 * Parses a bandwidth trace in the given format.
 * @example parseCapacityTrace(readFileSync(path, 'utf8'), 'mahimahi', path)
 */
export function parseCapacityTrace(text: string, format: TraceFormat, source: string, binS?: number): CapacityTrace {
  return format === 'mahimahi' ? MahimahiTrace.parse(text, source, binS) : ThroughputTrace.parse(text, source);
}

/**
 * The trace seen from `offsetS` seconds into it, so that clients sharing one file do not see
 * the same bandwidth at the same moment.
 */
export function shiftTrace(trace: CapacityTrace, offsetS: number): CapacityTrace {
  if (offsetS === 0) return trace;
  const base = trace.cumulative(offsetS);
  return {
    periodS: trace.periodS,
    meanBps: trace.meanBps,
    cumulative: (t: number): number => (t < 0 ? 0 : trace.cumulative(t + offsetS) - base),
    timeOfLevel: (level: number): number => Math.max(0, trace.timeOfLevel(level + base) - offsetS),
    rateAt: (t: number): number => trace.rateAt(t + offsetS),
    nextChange: (t: number): number => trace.nextChange(t + offsetS) - offsetS,
  };
}
