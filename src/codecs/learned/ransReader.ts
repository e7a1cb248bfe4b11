/**
 * Symbol-at-a-time decoder for streams written by `ransEncode` (entropy/rans.ts). An
 * autoregressive decoder learns symbol i's table only after decoding the symbols before it, so
 * `ransDecode`, which needs every table index up front, cannot serve it. Same stream layout,
 * two interleaved states (symbol i uses state i mod 2), escape path and end check as
 * `ransDecode`; its tests check the two decoders agree symbol for symbol.
 */
import { Errors } from '../errors.js';
import { prepareTable, searchCdf, type CdfTable, type PreparedTable } from '../entropy/cdf.js';

const L = 1 << 16;
const BYPASS_FREQ = 4096;
const MAX_CHUNKS = 9;

/** Decodes one symbol per `next` call; `finish` checks the stream ended cleanly. */
export class RansReader {
  private readonly prep: PreparedTable[];
  private readonly offsets: number[];
  private readonly end: number;
  private x0: number;
  private x1: number;
  private p = 8;
  private i = 0;

  constructor(
    private readonly bytes: Uint8Array,
    tables: CdfTable[],
  ) {
    if (!(bytes instanceof Uint8Array)) throw Errors.invalidField('rans.bytes', 'a Uint8Array', typeof bytes);
    if (!Array.isArray(tables) || tables.length === 0) {
      throw Errors.invalidField('rans.tables', 'a non-empty array of CdfTable', tables?.length);
    }
    this.prep = tables.map((t, k) => prepareTable(t, `rans.tables[${k}]`));
    this.offsets = tables.map((t) => t.offset);
    this.end = bytes.length;
    if (this.end < 8 || (this.end & 1) !== 0) throw Errors.corruptStream(`length ${this.end} is not 8 + 2·words`);
    this.x0 = readU32(bytes, 0);
    this.x1 = readU32(bytes, 4);
    if (this.x0 < L || this.x1 < L) throw Errors.corruptStream(`initial states ${this.x0}, ${this.x1} not both ≥ 2^16`);
  }

  private refill(x: number, where: string): number {
    if (this.p >= this.end) throw Errors.corruptStream(`ran out of words ${where} ${this.i}`);
    const v = x * L + ((this.bytes[this.p] as number) | ((this.bytes[this.p + 1] as number) << 8));
    this.p += 2;
    return v;
  }

  /** The next symbol, coded with `tables[table]`. */
  next(table: number): number {
    const P = this.prep[table];
    if (P === undefined) throw Errors.invalidField('rans.tableIndex', `in 0..${this.prep.length - 1}`, table);
    const odd = (this.i & 1) === 1;
    let x = odd ? this.x1 : this.x0;
    const cdf = P.cdf;
    const slot = x & 0xffff;
    const s = searchCdf(cdf, slot);
    const start = cdf[s] as number;
    x = ((cdf[s + 1] as number) - start) * (x >>> 16) + slot - start;
    if (x < L) x = this.refill(x, 'at symbol');
    let value: number;
    if (s < P.nreg) {
      value = s + (this.offsets[table] as number);
    } else {
      let chunks = 0;
      let r = 0;
      let scale = 1;
      for (let j = -1; j < chunks; j++) {
        const b = (x & 0xffff) >>> 12;
        x = (x >>> 16) * BYPASS_FREQ + (x & 0xfff);
        if (x < L) x = this.refill(x, 'in escape of symbol');
        if (j < 0) {
          if (b > MAX_CHUNKS) throw Errors.corruptStream(`escape of symbol ${this.i} claims ${b} chunks (max ${MAX_CHUNKS})`);
          chunks = b;
        } else {
          r += b * scale;
          scale *= 16;
        }
      }
      value = (this.offsets[table] as number) + ((r & 1) === 1 ? -(r + 1) / 2 : P.nreg + r / 2);
      if (value < -0x80000000 || value > 0x7fffffff) {
        throw Errors.corruptStream(`escaped value ${value} of symbol ${this.i} is not an int32`);
      }
    }
    if (odd) this.x1 = x;
    else this.x0 = x;
    this.i++;
    return value;
  }

  /** Throws unless both states are back at 2^16 and every word was read. */
  finish(): void {
    if (this.x0 !== L || this.x1 !== L || this.p !== this.end) {
      throw Errors.corruptStream(
        `does not end cleanly (states ${this.x0}, ${this.x1}, ${this.end - this.p} bytes left; expected ${L}, ${L}, 0 left)`,
      );
    }
  }
}

function readU32(buf: Uint8Array, p: number): number {
  return ((buf[p] as number) | ((buf[p + 1] as number) << 8) | ((buf[p + 2] as number) << 16) | ((buf[p + 3] as number) << 24)) >>> 0;
}
