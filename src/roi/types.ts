/** Shared shapes of the ROI computation: loaded logs, their aggregates, and the report. */

/** `up` = from a client to the server side, `down` = to a client; `internal` = neither, e.g. federator ↔ split server (not billed). */
export type Direction = 'up' | 'down' | 'internal';

export type LogFormat = 'ndjson' | 'csv' | 'parquet';

/** A traffic log loaded into a DuckDB table with the normalised columns (see traffic.ts). */
export interface LoadedLog {
  path: string;
  format: LogFormat;
  /** Name of the DuckDB table holding it. */
  table: string;
  messages: number;
  /** Distinct client nodes seen (either end of an `up`/`down` message). */
  clients: number;
  /** Distinct rounds, or null when the log has no round column. */
  rounds: number | null;
  /** Whether every message carries its raw (uncompressed) size. */
  hasRawBytes: boolean;
  /** Whether delivered messages carry an arrival time (needed for transmit time). */
  hasTiming: boolean;
  /** Columns of a CSV/Parquet pilot log that were ignored. */
  ignoredColumns: string[];
}

/** Bytes of one (direction, kind) cell of a log. */
export interface KindBytes {
  direction: Direction;
  kind: string;
  messages: number;
  wireBytes: number;
  /** Sum of raw sizes, or null when the log has none. */
  rawBytes: number | null;
  dropped: number;
  retransmissions: number;
}

/** Per client link and direction: bytes and the time the link had something in flight. */
export interface LinkBusy {
  client: string;
  direction: 'up' | 'down';
  /** Wire bytes of delivered messages. */
  wireBytes: number;
  /** Raw bytes of the same messages (null when the log has none). */
  rawBytes: number | null;
  /** Union of [sendTime, recvTime] intervals, seconds. */
  busySeconds: number;
}

/** Codec compute from a run's timeline, per device. */
export interface CodecCompute {
  device: string;
  seconds: number;
  tasks: number;
}
