/**
 * Integer CDF tables for the rANS coder: quantisation of a pmf to 16-bit frequencies
 * (`buildCdf`), validation, and the per-table decode lookup the coder caches.
 *
 * A table has `nsym = cdf.length − 1` symbols; index `nsym − 1` is the escape symbol (as in
 * CompressAI's `pmf_to_quantized_cdf`, whose last entry carries the tail mass), and index
 * i < nsym − 1 stands for the value `i + offset`. Every frequency is ≥ 1, so any value can be coded.
 */
import { CodecError, Errors } from '../errors.js';

/** Frequencies sum to 2^PRECISION. */
export const PRECISION = 16;
/** 2^PRECISION. */
export const TOTAL = 1 << PRECISION;

/** A quantised CDF. Treat as immutable once coded with: the coder caches derived data per `cdf` array. */
export interface CdfTable {
  /** length nsym + 1; cdf[0] = 0, cdf[nsym] = 65536, strictly increasing (every freq ≥ 1). */
  cdf: Uint32Array;
  /** Value of symbol index i is i + offset (an int32). */
  offset: number;
}

/** Validated table plus derived decode data. */
export interface PreparedTable {
  cdf: Uint32Array;
  /** Regular symbols; the escape symbol's index equals this. */
  nreg: number;
  /** slot (0..65535) → symbol index whose [cdf[s], cdf[s+1]) holds it; built on first use (`tableLut`). */
  lut: Uint16Array | null;
}

const cache = new WeakMap<Uint32Array, PreparedTable>();

/** Checks `t` (field names as `${field}.cdf`) and returns its cached prepared form. */
export function prepareTable(t: CdfTable, field: string): PreparedTable {
  if (!Number.isInteger(t?.offset) || t.offset < -0x80000000 || t.offset > 0x7fffffff) {
    throw Errors.invalidField(`${field}.offset`, 'an int32', t?.offset);
  }
  const cdf = t.cdf;
  const hit = cache.get(cdf);
  if (hit !== undefined) return hit;
  if (!(cdf instanceof Uint32Array) || cdf.length < 2 || cdf.length > TOTAL + 1) {
    throw Errors.invalidField(`${field}.cdf`, 'a Uint32Array of length 2..65537', cdf?.length);
  }
  const nsym = cdf.length - 1;
  if (cdf[0] !== 0) throw Errors.invalidField(`${field}.cdf[0]`, '0', cdf[0]);
  if (cdf[nsym] !== TOTAL) throw Errors.invalidField(`${field}.cdf[${nsym}]`, `${TOTAL}`, cdf[nsym]);
  for (let s = 0; s < nsym; s++) {
    if (cdf[s + 1]! <= cdf[s]!) {
      throw Errors.invalidField(`${field}.cdf[${s + 1}]`, `> cdf[${s}] = ${cdf[s]} (every freq ≥ 1)`, cdf[s + 1]);
    }
  }
  const prepared: PreparedTable = { cdf, nreg: nsym - 1, lut: null };
  cache.set(cdf, prepared);
  return prepared;
}

/** The table's 65536-entry slot → symbol lookup (128 KiB), built once and cached. */
export function tableLut(t: PreparedTable): Uint16Array {
  if (t.lut === null) {
    const lut = new Uint16Array(TOTAL);
    for (let s = 0; s <= t.nreg; s++) lut.fill(s, t.cdf[s], t.cdf[s + 1]);
    t.lut = lut;
  }
  return t.lut;
}

/** Symbol index s with cdf[s] ≤ slot < cdf[s+1], by binary search (no lookup table needed). */
export function searchCdf(cdf: Uint32Array, slot: number): number {
  let lo = 0;
  let hi = cdf.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cdf[mid]! <= slot) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Max-heap of symbol indices by a Float64 key, for the greedy frequency adjustment. */
class IndexHeap {
  private readonly items: Int32Array;
  size = 0;
  constructor(
    capacity: number,
    private readonly key: Float64Array,
  ) {
    this.items = new Int32Array(capacity);
  }
  push(i: number): void {
    let c = this.size++;
    while (c > 0) {
      const parent = (c - 1) >> 1;
      if (this.key[this.items[parent]!]! >= this.key[i]!) break;
      this.items[c] = this.items[parent]!;
      c = parent;
    }
    this.items[c] = i;
  }
  pop(): number {
    const top = this.items[0]!;
    const last = this.items[--this.size]!;
    let c = 0;
    for (;;) {
      let child = 2 * c + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.key[this.items[child + 1]!]! > this.key[this.items[child]!]!) child++;
      if (this.key[this.items[child]!]! <= this.key[last]!) break;
      this.items[c] = this.items[child]!;
      c = child;
    }
    this.items[c] = last;
    return top;
  }
}

/**
 * Quantises `pmf` (over values offset, offset+1, …) to a 16-bit CDF with a trailing escape
 * symbol. If the entries sum to ≤ 1 they are probabilities and the escape gets the remainder
 * (the tail mass); otherwise they are weights, normalised, and the escape gets the minimum.
 * Every frequency is ≥ 1; the rest is assigned greedily by the largest decrease in expected
 * code length p · log2((f+1)/f), which is optimal for this separable concave objective.
 * @example buildCdf([0.25, 0.5, 0.25], -1) // values -1, 0, 1, plus escape
 */
export function buildCdf(pmf: ArrayLike<number>, offset: number): CdfTable {
  const n = pmf?.length;
  if (!Number.isInteger(n) || n > TOTAL - 1) throw Errors.invalidField('buildCdf.pmf', 'at most 65535 entries', n);
  if (!Number.isInteger(offset) || offset < -0x80000000 || offset > 0x7fffffff) {
    throw Errors.invalidField('buildCdf.offset', 'an int32', offset);
  }
  const p = new Float64Array(n + 1);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = pmf[i]!;
    if (!(v >= 0 && v < Infinity)) throw Errors.invalidField(`buildCdf.pmf[${i}]`, 'a finite number ≥ 0', v);
    p[i] = v;
    sum += v;
  }
  if (sum <= 1 + 1e-9) p[n] = Math.max(0, 1 - sum);
  const total = sum + p[n]!;
  const freq = new Float64Array(n + 1);
  let assigned = 0;
  for (let i = 0; i <= n; i++) {
    p[i]! /= total;
    freq[i] = Math.max(1, Math.round(p[i]! * TOTAL));
    assigned += freq[i]!;
  }
  const key = new Float64Array(n + 1);
  const heap = new IndexHeap(n + 1, key);
  if (assigned < TOTAL) {
    // Grow: take the symbol whose extra unit saves the most bits.
    for (let i = 0; i <= n; i++) {
      key[i] = p[i]! * Math.log2((freq[i]! + 1) / freq[i]!);
      heap.push(i);
    }
    for (; assigned < TOTAL; assigned++) {
      const i = heap.pop();
      freq[i]!++;
      key[i] = p[i]! * Math.log2((freq[i]! + 1) / freq[i]!);
      heap.push(i);
    }
  } else if (assigned > TOTAL) {
    // Shrink: take from the symbol (freq > 1) whose lost unit costs the fewest bits.
    for (let i = 0; i <= n; i++) {
      if (freq[i]! <= 1) continue;
      key[i] = -p[i]! * Math.log2(freq[i]! / (freq[i]! - 1));
      heap.push(i);
    }
    for (; assigned > TOTAL; assigned--) {
      if (heap.size === 0) throw new CodecError('buildCdf: internal error, no frequency left to shrink');
      const i = heap.pop();
      freq[i]!--;
      if (freq[i]! > 1) {
        key[i] = -p[i]! * Math.log2(freq[i]! / (freq[i]! - 1));
        heap.push(i);
      }
    }
  }
  const cdf = new Uint32Array(n + 2);
  for (let i = 0; i <= n; i++) cdf[i + 1] = cdf[i]! + freq[i]!;
  return { cdf, offset };
}
