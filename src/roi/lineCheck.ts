/**
 * Finds the first bad line of a text log when DuckDB refuses the file, so the error names the
 * line as an editor numbers it (DuckDB's own NDJSON line numbers are one too high, and its CSV
 * sniffer says only "Error when sniffing file"). Runs only on that error path.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** A bad line: 1-based number as an editor shows it, and what is wrong. */
export interface BadLine {
  line: number;
  why: string;
}

async function* linesOf(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const l of rl) yield l;
  } finally {
    rl.close();
  }
}

/**
 * The first line of an NDJSON file that is not one JSON object (blank lines are allowed).
 * @example await firstBadJsonLine('runs/q/traffic.ndjson') // { line: 6, why: 'not valid JSON: …' }
 */
export async function firstBadJsonLine(path: string): Promise<BadLine | null> {
  let n = 0;
  for await (const text of linesOf(path)) {
    n++;
    if (text.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      return { line: n, why: `not valid JSON: ${(err as Error).message}` };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { line: n, why: 'not a JSON object' };
  }
  return null;
}

/**
 * The first record of a comma-separated file (header on line 1, `"` quotes, `""` inside quotes)
 * whose number of fields differs from the header's, or a quote left open at the end. A quoted
 * field may span lines; the record is named by the line it starts on.
 * @example await firstBadCsvLine('pilot.csv') // { line: 3, why: 'has 3 fields, the header has 5' }
 */
export async function firstBadCsvLine(path: string): Promise<BadLine | null> {
  let n = 0;
  let header = -1;
  let fields = 1;
  let inQuotes = false;
  let start = 0;
  for await (const text of linesOf(path)) {
    n++;
    if (!inQuotes) {
      if (text.trim() === '' && header >= 0) continue;
      fields = 1;
      start = n;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        if (inQuotes && text[i + 1] === '"') i++;
        else inQuotes = !inQuotes;
      } else if (c === ',' && !inQuotes) fields++;
    }
    if (inQuotes) continue;
    if (header < 0) header = fields;
    else if (fields !== header) {
      return { line: start, why: `has ${fields} field${fields === 1 ? '' : 's'}, the header has ${header}${fields < header ? ' (a short row)' : ' (extra columns)'}` };
    }
  }
  if (inQuotes) return { line: start, why: 'a quote (") opened here is never closed' };
  return null;
}
