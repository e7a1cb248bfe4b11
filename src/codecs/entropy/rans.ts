/**
 * rANS entropy coder (Duda 2013; layout after Fabian Giesen's ryg_rans "rans_word"): 32-bit
 * states x ∈ [2^16, 2^32), 16-bit renormalisation, 16-bit frequency precision, so every coding
 * step moves at most one 16-bit word. Pure integer code: no tensor library.
 *
 * Two states are interleaved (ryg_rans "interleaved" example): symbol i uses state i mod 2, and
 * both share one word stream. The two dependency chains overlap in the CPU, which is worth
 * ~1.3-1.5× in throughput here, for 4 more bytes per stream.
 *
 * Stream layout: the final encoder states x0, x1 (u32 LE each), then 16-bit words (LE) in the
 * order the decoder reads them. The encoder starts both states at 2^16 and the decoder must end
 * there with every word consumed, which catches most corruption at no cost.
 *
 * Escape path (as CompressAI's RansEncoder): a value v outside a table's regular range codes
 * the table's escape symbol, then the zig-zag distance beyond the range,
 * r = −2·i − 1 for i = v − offset < 0 and r = 2·(i − nreg) above, in "bypass" mode: the number
 * of 4-bit chunks of r (0..9), then the chunks, low first, each under a uniform 16-way
 * distribution (frequency 4096 of 65536, i.e. exactly 4 bits). Any int32 round-trips.
 */
import { Errors } from '../errors.js';
import { prepareTable, searchCdf, tableLut, type CdfTable, type PreparedTable } from './cdf.js';

export { buildCdf, PRECISION, type CdfTable } from './cdf.js';

const L = 1 << 16; // lower bound of the normalised state interval
const BYPASS_FREQ = 4096; // 16-way uniform bypass symbols: 4 bits each
const MAX_CHUNKS = 9; // 4-bit chunks of the largest zig-zag distance (< 2^33)
/**
 * Decode finds symbols with a 128 KiB lookup table per table while the tables' lookups fit in
 * cache together, and by binary search over the CDF beyond that (measured: one table, lookup
 * ~1.5× faster; 64 tables in random order, search ~1.6× faster).
 */
const MAX_LUT_TABLES = 4;

function prepareAll(tables: CdfTable[]): PreparedTable[] {
  if (!Array.isArray(tables) || tables.length === 0) {
    throw Errors.invalidField('rans.tables', 'a non-empty array of CdfTable', tables?.length);
  }
  return tables.map((t, i) => prepareTable(t, `rans.tables[${i}]`));
}

function checkIndex(tableIndex: Int32Array | null, count: number, ntables: number): void {
  if (tableIndex === null) return;
  if (!(tableIndex instanceof Int32Array) || tableIndex.length !== count) {
    throw Errors.invalidField('rans.tableIndex', `null or an Int32Array of length ${count}`, tableIndex?.length);
  }
  for (let i = 0; i < count; i++) {
    const t = tableIndex[i]!;
    if (t < 0 || t >= ntables) throw Errors.invalidField(`rans.tableIndex[${i}]`, `in 0..${ntables - 1}`, t);
  }
}

/** Number of 4-bit chunks needed for r ≥ 0 (0 for r = 0). */
function chunkCount(r: number): number {
  let c = 0;
  while (r >= 1) {
    r = Math.floor(r / 16);
    c++;
  }
  return c;
}

/** Zig-zag distance of index i beyond [0, nreg). */
function escapeDistance(i: number, nreg: number): number {
  return i < 0 ? -2 * i - 1 : 2 * (i - nreg);
}

function writeU32(buf: Uint8Array, p: number, x: number): void {
  buf[p] = x & 0xff;
  buf[p + 1] = (x >>> 8) & 0xff;
  buf[p + 2] = (x >>> 16) & 0xff;
  buf[p + 3] = x >>> 24;
}

function readU32(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

/**
 * Entropy-codes `symbols`; symbol i uses `tables[tableIndex[i]]` (or tables[0] if null).
 * @example const t = buildCdf([0.5, 0.5], 0); ransDecode(ransEncode(s, null, [t]), s.length, null, [t]) // = s
 */
export function ransEncode(symbols: Int32Array, tableIndex: Int32Array | null, tables: CdfTable[]): Uint8Array {
  if (!(symbols instanceof Int32Array)) throw Errors.invalidField('rans.symbols', 'an Int32Array', typeof symbols);
  const n = symbols.length;
  const prep = prepareAll(tables);
  checkIndex(tableIndex, n, prep.length);
  const offsets = tables.map((t) => t.offset);
  // Capacity in 16-bit words: one per regular symbol, 2 + chunks + 1 per escaped one.
  let words = n;
  for (let i = 0; i < n; i++) {
    const t = tableIndex === null ? 0 : tableIndex[i]!;
    const idx = symbols[i]! - offsets[t]!;
    if (!(idx >= 0 && idx < prep[t]!.nreg)) words += 2 + chunkCount(escapeDistance(idx, prep[t]!.nreg));
  }
  const buf = new Uint8Array(8 + 2 * words);
  let p = buf.length;
  let x0 = L;
  let x1 = L;
  for (let i = n - 1; i >= 0; i--) {
    let x = (i & 1) === 0 ? x0 : x1;
    const t = tableIndex === null ? 0 : tableIndex[i]!;
    const P = prep[t]!;
    const cdf = P.cdf;
    const idx = symbols[i]! - offsets[t]!;
    let start: number;
    let freq: number;
    if (idx >= 0 && idx < P.nreg) {
      start = cdf[idx]!;
      freq = cdf[idx + 1]! - start;
    } else {
      // Bypass part first: the decoder reads escape, chunk count, chunks low→high, so the
      // (LIFO) encoder writes them high→low, then the count, then the escape below.
      const r = escapeDistance(idx, P.nreg);
      const chunks = chunkCount(r);
      for (let j = chunks; j >= 0; j--) {
        const b = j === 0 ? chunks : Math.floor(r / 16 ** (j - 1)) % 16;
        if (x >= BYPASS_FREQ * L) {
          p -= 2;
          buf[p] = x & 0xff;
          buf[p + 1] = (x >>> 8) & 0xff;
          x = x >>> 16;
        }
        x = (x >>> 12) * L + (x & 0xfff) + b * BYPASS_FREQ; // x/4096·2^16 + x%4096 + start
      }
      start = cdf[P.nreg]!;
      freq = L - start;
    }
    if (x >= freq * L) {
      p -= 2;
      buf[p] = x & 0xff;
      buf[p + 1] = (x >>> 8) & 0xff;
      x = x >>> 16;
    }
    const q = (x / freq) >>> 0; // exact floor: x < 2^32 and freq < 2^16 keep the quotient clear of rounding
    x = q * L + (x - q * freq) + start;
    if ((i & 1) === 0) x0 = x;
    else x1 = x;
  }
  p -= 8;
  writeU32(buf, p, x0);
  writeU32(buf, p + 4, x1);
  return buf.slice(p);
}

/**
 * Decodes `count` symbols coded by `ransEncode` with the same tables and table index.
 * Corrupt input throws CodecError or yields wrong symbols; it never reads out of bounds or loops.
 */
export function ransDecode(bytes: Uint8Array, count: number, tableIndex: Int32Array | null, tables: CdfTable[]): Int32Array {
  if (!(bytes instanceof Uint8Array)) throw Errors.invalidField('rans.bytes', 'a Uint8Array', typeof bytes);
  if (!Number.isInteger(count) || count < 0 || count > 0x7fffffff) {
    throw Errors.invalidField('rans.count', 'an integer in 0..2147483647', count);
  }
  const prep = prepareAll(tables);
  checkIndex(tableIndex, count, prep.length);
  const offsets = tables.map((t) => t.offset);
  const end = bytes.length;
  if (end < 8 || (end & 1) !== 0) throw Errors.corruptStream(`length ${end} is not 8 + 2·words`);
  let x0 = readU32(bytes, 0);
  let x1 = readU32(bytes, 4);
  if (x0 < L || x1 < L) throw Errors.corruptStream(`initial states ${x0}, ${x1} not both ≥ 2^16`);
  let p = 8;
  const out = new Int32Array(count);
  const useLut = prep.length <= MAX_LUT_TABLES;
  const luts = useLut ? prep.map(tableLut) : [];
  for (let i = 0; i < count; i++) {
    let x = (i & 1) === 0 ? x0 : x1;
    const t = tableIndex === null ? 0 : tableIndex[i]!;
    const P = prep[t]!;
    const cdf = P.cdf;
    const slot = x & 0xffff;
    const s = useLut ? luts[t]![slot]! : searchCdf(cdf, slot);
    const start = cdf[s]!;
    x = (cdf[s + 1]! - start) * (x >>> 16) + slot - start;
    if (x < L) {
      if (p >= end) throw Errors.corruptStream(`ran out of words at symbol ${i}`);
      x = x * L + (bytes[p]! | (bytes[p + 1]! << 8));
      p += 2;
    }
    if (s < P.nreg) {
      out[i] = s + offsets[t]!;
      if ((i & 1) === 0) x0 = x;
      else x1 = x;
      continue;
    }
    // Escape: chunk count, then the chunks low→high, each a uniform 4-bit bypass symbol.
    let chunks = 0;
    let r = 0;
    let scale = 1;
    for (let j = -1; j < chunks; j++) {
      const b = (x & 0xffff) >>> 12;
      x = (x >>> 16) * BYPASS_FREQ + (x & 0xfff);
      if (x < L) {
        if (p >= end) throw Errors.corruptStream(`ran out of words in escape of symbol ${i}`);
        x = x * L + (bytes[p]! | (bytes[p + 1]! << 8));
        p += 2;
      }
      if (j < 0) {
        if (b > MAX_CHUNKS) throw Errors.corruptStream(`escape of symbol ${i} claims ${b} chunks (max ${MAX_CHUNKS})`);
        chunks = b;
      } else {
        r += b * scale;
        scale *= 16;
      }
    }
    const v = offsets[t]! + ((r & 1) === 1 ? -(r + 1) / 2 : P.nreg + r / 2);
    if (v < -0x80000000 || v > 0x7fffffff) throw Errors.corruptStream(`escaped value ${v} of symbol ${i} is not an int32`);
    out[i] = v;
    if ((i & 1) === 0) x0 = x;
    else x1 = x;
  }
  if (x0 !== L || x1 !== L || p !== end) {
    throw Errors.corruptStream(
      `does not end cleanly (states ${x0}, ${x1}, ${end - p} bytes left; expected ${L}, ${L}, 0 left)`,
    );
  }
  return out;
}

/**
 * Ideal code length in bits of `symbols` under the tables' own quantised frequencies:
 * Σ −log2(freq/2^16), where an escaped value costs its escape symbol plus 4 bits for the chunk
 * count and 4 per chunk. `ransEncode` output is this plus 64 bits of final states plus the rANS
 * rounding loss (measured in bench.ts), so it is the rate a training loss should report.
 */
export function ransIdealBits(symbols: Int32Array, tableIndex: Int32Array | null, tables: CdfTable[]): number {
  const prep = prepareAll(tables);
  checkIndex(tableIndex, symbols.length, prep.length);
  let bits = 0;
  for (let i = 0; i < symbols.length; i++) {
    const t = tableIndex === null ? 0 : tableIndex[i]!;
    const P = prep[t]!;
    const idx = symbols[i]! - tables[t]!.offset;
    if (idx >= 0 && idx < P.nreg) {
      bits += 16 - Math.log2(P.cdf[idx + 1]! - P.cdf[idx]!);
    } else {
      bits += 16 - Math.log2(L - P.cdf[P.nreg]!) + 4 * (1 + chunkCount(escapeDistance(idx, P.nreg)));
    }
  }
  return bits;
}
