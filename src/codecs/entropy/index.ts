/** Entropy layer: integer CDF tables and the rANS coder (no tensor library). */
export { buildCdf, PRECISION, TOTAL, type CdfTable } from './cdf.js';
export { ransDecode, ransEncode, ransIdealBits } from './rans.js';
export { benchCoder, BENCH_DEFAULTS, laplacePmf, laplaceSymbols, type BenchOptions, type BenchResult } from './bench.js';
