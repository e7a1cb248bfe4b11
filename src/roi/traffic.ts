/**
 * Loads a traffic log — the simulator's NDJSON (docs/formats.md), a pilot CSV, or Parquet with
 * either set of columns — into one DuckDB table with normalised columns:
 *
 *   round, src, dst, kind, raw_bytes, wire_bytes, send_time, recv_time, retransmissions,
 *   dropped, direction ('up' | 'down' | 'internal'), client
 *
 * DuckDB reads the file itself (read_json / read_csv / read_parquet), so a million-line log
 * never passes through JavaScript.
 */
import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from './errors.js';
import { columnsOf, firstLine, pilotSelect, stageCsv, validatePilotTable } from './csv.js';
import { sqlString, type Duck } from './duck.js';
import { firstBadJsonLine } from './lineCheck.js';
import type { LoadedLog, LogFormat } from './types.js';

/** Nodes on the server side by default: traffic to them is `up`, from them `down`. */
export const DEFAULT_SERVER_NODES: readonly string[] = ['server', 'federator'];

export interface LoadLogOptions {
  /** DuckDB table name to create (a plain identifier). */
  table: string;
  /** Format; by default from the extension (.ndjson/.jsonl/.json, .csv, .parquet). */
  format?: LogFormat;
  /** Server-side node names (default `server`, `federator`). */
  serverNodes?: readonly string[];
}

/** The simulator's NDJSON columns and their types (docs/formats.md), given explicitly to read_json. */
const NDJSON_COLUMNS: Record<string, string> = {
  seq: 'BIGINT',
  round: 'INTEGER',
  step: 'INTEGER',
  src: 'VARCHAR',
  dst: 'VARCHAR',
  kind: 'VARCHAR',
  codec: 'VARCHAR',
  rawBytes: 'BIGINT',
  wireBytes: 'BIGINT',
  sendTime: 'DOUBLE',
  recvTime: 'DOUBLE',
  retransmissions: 'INTEGER',
  dropped: 'BOOLEAN',
};

/** Format from a file name, or an error saying which extensions are known. */
export function formatOf(path: string): LogFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  throw new InputError(`${path}: unknown log format "${ext}" (use .ndjson, .csv or .parquet, or pass --format)`);
}

function simulatorSelect(source: string): string {
  return `SELECT round, src, dst, kind,
    rawBytes AS raw_bytes, wireBytes AS wire_bytes, sendTime AS send_time, recvTime AS recv_time,
    coalesce(retransmissions, 0) AS retransmissions, coalesce(dropped, false) AS dropped
    FROM ${source}`;
}

/** Adds direction and client to a normalised SELECT. */
function withDirection(select: string, servers: readonly string[]): string {
  const set = `(${servers.map(sqlString).join(', ')})`;
  return `SELECT *,
    CASE WHEN dst IN ${set} AND src NOT IN ${set} THEN 'up'
         WHEN src IN ${set} AND dst NOT IN ${set} THEN 'down' ELSE 'internal' END AS direction,
    CASE WHEN dst IN ${set} AND src NOT IN ${set} THEN src
         WHEN src IN ${set} AND dst NOT IN ${set} THEN dst END AS client
    FROM (${select})`;
}

/**
 * Rejects simulator-log rows that miss a required field or carry a negative size. A table made
 * by CREATE TABLE AS from a file scan keeps the file's order (DuckDB preserves insertion order),
 * so its rowid locates the line.
 */
async function validateSimulatorTable(db: Duck, table: string, locate: (rowid: number) => string): Promise<void> {
  // [field as the log names it, normalised column, SQL condition for a bad cell, what it must be]
  const checks: Array<[string, string, string, string]> = [
    ['src', 'src', 'src IS NULL', 'a node name'],
    ['dst', 'dst', 'dst IS NULL', 'a node name'],
    ['kind', 'kind', 'kind IS NULL', 'a message kind'],
    ['wireBytes', 'wire_bytes', 'wire_bytes IS NULL OR wire_bytes < 0', 'a non-negative integer'],
    ['rawBytes', 'raw_bytes', 'raw_bytes < 0', 'a non-negative integer'],
    ['sendTime', 'send_time', 'send_time IS NULL OR NOT isfinite(send_time)', 'a number'],
    ['recvTime', 'recv_time', 'recv_time < send_time', 'null or ≥ sendTime'],
  ];
  // One scan counts every kind of bad cell; only when some exist is the first one looked up.
  const counts = await db.all<Record<string, number>>(
    `SELECT ${checks.map(([, , cond], i) => `count(*) FILTER (WHERE ${cond}) AS c${i}`).join(', ')} FROM ${table}`,
  );
  if (checks.every((_, i) => counts[0]![`c${i}`] === 0)) return;
  const parts = checks.map(
    ([, column, cond], i) =>
      `(SELECT rowid AS r, ${i} AS c, CAST(${column} AS VARCHAR) AS v FROM ${table} WHERE ${cond} ORDER BY rowid LIMIT 1)`,
  );
  const bad = await db.all<{ r: number; c: number; v: string | null }>(
    `SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY r, c LIMIT 1`,
  );
  if (bad.length > 0) {
    const { r, c, v } = bad[0]!;
    const [field, , , must] = checks[c]!;
    throw new InputError(`${locate(r)}: ${field}: must be ${must}, got ${v ?? 'null'}`);
  }
}

/**
 * Loads a traffic log into `options.table` and describes it.
 * @example await loadTrafficLog(db, 'runs/q/traffic.ndjson', { table: 'main' })
 */
export async function loadTrafficLog(db: Duck, path: string, options: LoadLogOptions): Promise<LoadedLog> {
  try {
    await access(path);
  } catch {
    throw new InputError(`${path}: traffic log not found`);
  }
  const format = options.format ?? formatOf(path);
  const servers = options.serverNodes ?? DEFAULT_SERVER_NODES;
  const table = options.table;
  let ignoredColumns: string[] = [];
  let hasRawColumn = true;
  let hasTimingColumn = true;
  if (format === 'ndjson') {
    const cols = Object.entries(NDJSON_COLUMNS).map(([k, v]) => `${k}: '${v}'`).join(', ');
    const source = `read_json(${sqlString(path)}, format = 'newline_delimited', columns = {${cols}})`;
    try {
      await db.exec(`CREATE TEMP TABLE ${table} AS ${withDirection(simulatorSelect(source), servers)}`);
    } catch (err) {
      // DuckDB numbers the line one too high: find it ourselves.
      const bad = await firstBadJsonLine(path).catch(() => null);
      if (bad !== null) throw new InputError(`${path}:${bad.line}: ${bad.why}`);
      throw new InputError(`${path}: not a readable NDJSON traffic log: ${firstLine(err)}`);
    }
    await validateSimulatorTable(db, table, (rowid) => `${path}:${rowid + 1}`);
  } else {
    const stage = `${table}_stage`;
    let locate: (rowid: number) => string;
    let first: number;
    let simulatorColumns = false;
    if (format === 'csv') {
      await stageCsv(db, path, stage);
      first = 2; // header is line 1
      locate = (rowid) => `${path}:${rowid + first}`;
    } else {
      let names: string[];
      try {
        names = (await db.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`)).map(
          (r) => r.column_name,
        );
      } catch (err) {
        throw new InputError(`${path}: not a readable Parquet file: ${firstLine(err)}`);
      }
      simulatorColumns = names.includes('wireBytes');
      const select = simulatorColumns
        ? `SELECT * FROM read_parquet(${sqlString(path)})`
        : `SELECT ${names.map((n) => `CAST("${n.replaceAll('"', '""')}" AS VARCHAR) AS "${n.replaceAll('"', '""')}"`).join(', ')} FROM read_parquet(${sqlString(path)})`;
      await db.exec(`CREATE TEMP TABLE ${stage} AS ${select}`);
      first = 1;
      locate = (rowid) => `${path}: row ${rowid + first}`;
    }
    const columns = await columnsOf(db, stage);
    if (simulatorColumns) {
      await db.exec(`CREATE TEMP TABLE ${table} AS ${withDirection(simulatorSelect(stage), servers)}`);
      await validateSimulatorTable(db, table, (rowid) => `${path}: row ${rowid + 1}`);
    } else {
      await validatePilotTable(db, stage, path, locate);
      const known = ['timestamp', 'source', 'destination', 'bytes', 'kind', 'raw_bytes', 'round', 'duration'];
      ignoredColumns = columns.filter((c) => !known.includes(c));
      hasRawColumn = columns.includes('raw_bytes');
      hasTimingColumn = columns.includes('duration');
      await db.exec(`CREATE TEMP TABLE ${table} AS ${withDirection(pilotSelect(stage, columns), servers)}`);
    }
    await db.exec(`DROP TABLE ${stage}`);
  }
  const [info] = await db.all<{ n: number; clients: number; rounds: number; nround: number; nraw: number; ntime: number }>(
    `SELECT count(*) AS n, count(DISTINCT client) AS clients, count(DISTINCT round) AS rounds,
       count(round) AS nround, count(raw_bytes) AS nraw, count(recv_time) AS ntime FROM ${table}`,
  );
  const { n, clients, rounds, nround, nraw, ntime } = info!;
  if (n === 0) throw new InputError(`${path}: the traffic log has no messages`);
  return {
    path,
    format,
    table,
    messages: n,
    clients,
    rounds: nround === n ? rounds : null,
    hasRawBytes: hasRawColumn && nraw === n,
    hasTiming: hasTimingColumn && ntime > 0,
    ignoredColumns,
  };
}
