/**
 * Throughput and efficiency of the rANS coder on a discretised Laplacian source — the shape
 * of quantised latents in learned codecs. Benchmarks may read the wall clock (STYLE.md §2).
 */
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { Rng } from '../../sim/rng.js';
import { buildCdf, ransDecode, ransEncode, ransIdealBits, type CdfTable } from './rans.js';
import { CodecError, Errors } from '../errors.js';
import { wallMs } from '../../sim/wallClock.js';

/** Bench parameters; defaults in `BENCH_DEFAULTS`. */
export interface BenchOptions {
  /** Stream length for speed and overhead. */
  symbols?: number;
  /** Prefix of the stream compared against Brotli (quality 11 is slow). */
  brotliSymbols?: number;
  /** Laplacian scale b of the source, in quantisation steps. */
  scale?: number;
  /** Table covers values −range..range; the rest takes the escape path. */
  range?: number;
  seed?: number;
  /** Timed runs of encode and of decode; the best is reported. */
  repeats?: number;
}

/** What `benchCoder` measures. */
export interface BenchResult {
  coderEncodeMsymPerS: number;
  coderDecodeMsymPerS: number;
  /** Coded bits ÷ ideal bits under the table's own quantised frequencies (target ≤ 1.005). */
  coderOverheadVsIdeal: number;
  /**
   * Coder bytes ÷ Brotli-11 bytes on the same symbols stored as int8 (or int16). The source is
   * i.i.d. with one known table, so Brotli can learn it too: near 1 by construction. The learned
   * codecs' figure is codecs/learned/brotliBench.ts.
   */
  coderVsBrotliIid: number;
}

/** Defaults of `BenchOptions`. */
export const BENCH_DEFAULTS: Required<BenchOptions> = {
  symbols: 10_000_000,
  brotliSymbols: 1_000_000,
  scale: 2,
  range: 16,
  seed: 1,
  repeats: 3,
};

/** P(round(X) = k) for X ~ Laplace(0, b), k = −range..range. */
export function laplacePmf(b: number, range: number): Float64Array {
  const cdf = (x: number): number => (x < 0 ? 0.5 * Math.exp(x / b) : 1 - 0.5 * Math.exp(-x / b));
  const pmf = new Float64Array(2 * range + 1);
  for (let k = -range; k <= range; k++) pmf[k + range] = cdf(k + 0.5) - cdf(k - 0.5);
  return pmf;
}

/** `n` draws of round(Laplace(0, b)) from a seeded stream. */
export function laplaceSymbols(n: number, b: number, seed: number): Int32Array {
  const rng = new Rng(seed, 'codecs/entropy/bench');
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform() - 0.5;
    out[i] = Math.round(-b * Math.sign(u) * Math.log(1 - 2 * Math.abs(u)));
  }
  return out;
}

/** Result of `f` and its best wall time in seconds over `repeats` runs (best-of filters noise). */
function timed<T>(f: () => T, repeats: number): [T, number] {
  let best = Infinity;
  let r: T | undefined;
  for (let k = 0; k < repeats; k++) {
    const t0 = wallMs();
    r = f();
    best = Math.min(best, (wallMs() - t0) / 1000);
  }
  return [r as T, best];
}

/** Bytes of `bytes` under Brotli quality 11 (the densest), 16 MiB window: the general-purpose compressor the coder is compared with. */
export function brotli11(bytes: Uint8Array): number {
  return brotliCompressSync(bytes, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 11,
      [zlib.BROTLI_PARAM_LGWIN]: 24,
      [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;
}

/** Measures the coder; see `BenchResult`. */
export function benchCoder(options: BenchOptions = {}): BenchResult {
  const o = { ...BENCH_DEFAULTS, ...options };
  for (const key of ['symbols', 'brotliSymbols', 'range', 'repeats'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw Errors.invalidField(`bench.${key}`, 'an integer ≥ 1', o[key]);
  }
  if (!(o.scale > 0)) throw Errors.invalidField('bench.scale', '> 0', o.scale);
  const table: CdfTable = buildCdf(laplacePmf(o.scale, o.range), -o.range);
  const tables = [table];
  const symbols = laplaceSymbols(o.symbols, o.scale, o.seed);
  // Warm-up so the timed runs measure optimised code.
  const warm = symbols.subarray(0, Math.min(symbols.length, 200_000));
  ransDecode(ransEncode(warm, null, tables), warm.length, null, tables);

  const [bytes, encodeS] = timed(() => ransEncode(symbols, null, tables), o.repeats);
  const [decoded, decodeS] = timed(() => ransDecode(bytes, symbols.length, null, tables), o.repeats);
  for (let i = 0; i < symbols.length; i++) {
    if (decoded[i] !== symbols[i]) throw new CodecError(`bench: round trip failed at symbol ${i}`);
  }

  const head = symbols.subarray(0, Math.min(symbols.length, o.brotliSymbols));
  let fitsInt8 = true;
  for (let i = 0; i < head.length; i++) if (head[i]! < -128 || head[i]! > 127) fitsInt8 = false;
  const raw = fitsInt8 ? new Int8Array(head) : new Int16Array(head);
  return {
    coderEncodeMsymPerS: symbols.length / encodeS / 1e6,
    coderDecodeMsymPerS: symbols.length / decodeS / 1e6,
    coderOverheadVsIdeal: (8 * bytes.length) / ransIdealBits(symbols, null, tables),
    coderVsBrotliIid: ransEncode(head, null, tables).length / brotli11(new Uint8Array(raw.buffer)),
  };
}
