/**
 * Reads trace files for a run, each once. A scenario's paths arrive already resolved from its
 * file's folder (src/scenario/paths.ts); a relative path that still arrives resolves against
 * `baseDir` (the working directory by default).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AvailabilityTrace } from './availabilityTrace.js';
import { LatencyTrace, parseCapacityTrace, shiftTrace, type CapacityTrace, type TraceFormat } from './trace.js';

/** A bandwidth trace as a scenario names it. */
export interface TraceRef {
  file: string;
  format: TraceFormat;
  /** Start this many seconds into the trace (default 0). */
  offsetS?: number;
  /** Flow model: averaging bin of a Mahimahi trace, ms (default 50). */
  binMs?: number;
}

/** A cache of parsed traces. */
export class TraceFiles {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly baseDir: string = process.cwd()) {}

  private read<T>(file: string, kind: string, parse: (text: string, source: string) => T, field: string): T {
    const path = resolve(this.baseDir, file);
    const key = `${kind}\u0000${path}`;
    if (!this.cache.has(key)) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        throw new Error(`${field}: cannot read trace ${JSON.stringify(file)}: ${(err as Error).message}`);
      }
      this.cache.set(key, parse(text, file));
    }
    return this.cache.get(key) as T;
  }

  /** A bandwidth trace, shifted by its offset. `field` names it in errors. */
  capacity(ref: TraceRef, field: string): CapacityTrace {
    const bin = (ref.binMs ?? 50) / 1000;
    const trace = this.read(`${ref.file}`, `${ref.format}/${bin}`, (text, source) => parseCapacityTrace(text, ref.format, source, bin), field);
    return shiftTrace(trace, ref.offsetS ?? 0);
  }

  /** A `time_s rtt_ms` latency trace. */
  latency(file: string, field: string): LatencyTrace {
    return this.read(file, 'latency', (text, source) => LatencyTrace.parse(text, source), field);
  }

  /** A client on/off schedule. */
  availability(file: string, field: string): AvailabilityTrace {
    return this.read(file, 'availability', (text, source) => AvailabilityTrace.parse(text, source), field);
  }
}
