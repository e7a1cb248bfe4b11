/**
 * A thin wrapper over an embedded DuckDB connection: the ROI and report code ask their
 * questions of the logs in SQL, and get plain JS rows back (BIGINT sums are cast to DOUBLE
 * in the SQL so rows hold numbers, not bigints).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** An open in-memory database with one connection; `close()` frees both. */
export interface Duck {
  /** Runs a statement that returns nothing we need (CREATE, COPY, SET). */
  exec(sql: string): Promise<void>;
  /** Runs a query and returns its rows as objects, values converted to JS (numbers, strings, null). */
  all<T extends Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): void;
}

/** Opens a fresh in-memory DuckDB. */
export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn: DuckDBConnection = await instance.connect();
  let closed = false;
  return {
    async exec(sql: string): Promise<void> {
      await conn.run(sql);
    },
    async all<T extends Record<string, unknown>>(sql: string): Promise<T[]> {
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJS().map((row) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
        return out as T;
      });
    },
    close(): void {
      if (closed) return;
      closed = true;
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Quotes a string as an SQL literal (file paths, node names). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Runs `fn` with a fresh database and always closes it. */
export async function withDuck<T>(fn: (db: Duck) => Promise<T>): Promise<T> {
  const db = await openDuck();
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}
