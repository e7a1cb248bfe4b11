/**
 * Pilot logs in CSV (or Parquet with the same columns): checked row by row in SQL, so a bad
 * cell is reported as `pilot.csv:7: bytes: must be a non-negative integer, got "12x"`.
 *
 * Columns (header row required, comma-separated):
 *   timestamp    ISO-8601 time or seconds (number) when the message was sent
 *   source       sending node
 *   destination  receiving node
 *   bytes        bytes on the wire
 *   kind         message kind (`features.*` and `gradients.*` scale with the dataset size)
 * optional:
 *   raw_bytes    what the message would have cost uncompressed
 *   round        federated round
 *   duration     seconds from send to arrival (enables the upgrade-bandwidth estimate)
 */
import { InputError, shown } from './errors.js';
import { sqlString, type Duck } from './duck.js';
import { firstBadCsvLine } from './lineCheck.js';

export const CSV_REQUIRED = ['timestamp', 'source', 'destination', 'bytes', 'kind'] as const;
export const CSV_OPTIONAL = ['raw_bytes', 'round', 'duration'] as const;

/** How a pilot table names a row in errors: a CSV line (header is line 1) or a Parquet row. */
export type RowLocator = (rowid: number) => string;

interface Check {
  column: string;
  /** SQL condition on the quoted cell `v`, true when the cell is bad. */
  bad: (v: string) => string;
  must: string;
}

const UINT = (v: string): string =>
  `${v} IS NULL OR NOT regexp_full_match(trim(${v}), '[0-9]+') OR TRY_CAST(trim(${v}) AS BIGINT) IS NULL`;
const TEXT = (v: string): string => `${v} IS NULL OR length(trim(${v})) = 0`;

function checksFor(columns: readonly string[]): Check[] {
  const checks: Check[] = [
    {
      column: 'timestamp',
      bad: (v) => `${v} IS NULL OR (TRY_CAST(trim(${v}) AS DOUBLE) IS NULL AND TRY_CAST(trim(${v}) AS TIMESTAMPTZ) IS NULL)`,
      must: 'an ISO-8601 time or a number of seconds',
    },
    { column: 'source', bad: TEXT, must: 'a non-empty node name' },
    { column: 'destination', bad: TEXT, must: 'a non-empty node name' },
    { column: 'bytes', bad: UINT, must: 'a non-negative integer' },
    { column: 'kind', bad: TEXT, must: 'a non-empty message kind' },
  ];
  if (columns.includes('raw_bytes')) checks.push({ column: 'raw_bytes', bad: UINT, must: 'a non-negative integer' });
  if (columns.includes('round')) checks.push({ column: 'round', bad: UINT, must: 'a non-negative integer' });
  if (columns.includes('duration')) {
    checks.push({
      column: 'duration',
      bad: (v) =>
        `${v} IS NULL OR TRY_CAST(trim(${v}) AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(trim(${v}) AS DOUBLE)) ` +
        `OR TRY_CAST(trim(${v}) AS DOUBLE) < 0`,
      must: 'a number of seconds ≥ 0',
    });
  }
  return checks;
}

/** Column names of a staging table, in order. */
export async function columnsOf(db: Duck, table: string): Promise<string[]> {
  const rows = await db.all<{ column_name: string }>(`DESCRIBE ${table}`);
  return rows.map((r) => r.column_name);
}

/**
 * Checks an all-VARCHAR staging table of a pilot log; throws the first bad cell (lowest row,
 * then column order) as `<where>: <column>: must be …, got "…"`.
 */
export async function validatePilotTable(db: Duck, table: string, path: string, locate: RowLocator): Promise<void> {
  const columns = await columnsOf(db, table);
  const missing = CSV_REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new InputError(
      `${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(a pilot log needs ${CSV_REQUIRED.join(', ')}; optional ${CSV_OPTIONAL.join(', ')}; got ${columns.join(', ')})`,
    );
  }
  const checks = checksFor(columns);
  // Each check yields its first bad row; the earliest row (then column order) is reported.
  const parts = checks.map(
    (c, i) =>
      `(SELECT rowid AS r, ${i} AS c, CAST("${c.column}" AS VARCHAR) AS v FROM ${table} ` +
      `WHERE ${c.bad(`"${c.column}"`)} ORDER BY rowid LIMIT 1)`,
  );
  const bad = await db.all<{ r: number; c: number; v: string | null }>(
    `SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY r, c LIMIT 1`,
  );
  if (bad.length > 0) {
    const { r, c, v } = bad[0]!;
    const check = checks[c]!;
    throw new InputError(`${locate(r)}: ${check.column}: must be ${check.must}, got ${shown(v ?? '')}`);
  }
}

/** The normalising SELECT over a validated pilot staging table (see traffic.ts for the columns). */
export function pilotSelect(table: string, columns: readonly string[]): string {
  const has = (c: string): boolean => columns.includes(c);
  const sendTime = `coalesce(TRY_CAST(trim("timestamp") AS DOUBLE), epoch(TRY_CAST(trim("timestamp") AS TIMESTAMPTZ)))`;
  return `SELECT
    ${has('round') ? `CAST(trim("round") AS INTEGER)` : 'CAST(NULL AS INTEGER)'} AS round,
    trim(source) AS src, trim(destination) AS dst, trim(kind) AS kind,
    ${has('raw_bytes') ? `CAST(trim(raw_bytes) AS BIGINT)` : 'CAST(NULL AS BIGINT)'} AS raw_bytes,
    CAST(trim(bytes) AS BIGINT) AS wire_bytes,
    ${sendTime} AS send_time,
    ${has('duration') ? `${sendTime} + CAST(trim(duration) AS DOUBLE)` : 'CAST(NULL AS DOUBLE)'} AS recv_time,
    0 AS retransmissions, false AS dropped
    FROM ${table}`;
}

/** Stages a CSV file as all-VARCHAR rows, in file order (rowid 0 = line 2). */
export async function stageCsv(db: Duck, path: string, table: string): Promise<void> {
  try {
    await db.exec(
      `CREATE TEMP TABLE ${table} AS SELECT * FROM read_csv(${sqlString(path)}, header = true, ` +
        `all_varchar = true, delim = ',', quote = '"', escape = '"', skip = 0, normalize_names = false)`,
    );
  } catch (err) {
    const bad = await firstBadCsvLine(path).catch(() => null);
    if (bad !== null) throw new InputError(`${path}:${bad.line}: ${bad.why}`);
    throw new InputError(`${path}: not a readable CSV log: ${firstLine(err)}`);
  }
}

/** First line of an error message (DuckDB's are long). */
export function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0]!;
}
