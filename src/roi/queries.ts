/**
 * The questions the ROI asks of a loaded traffic log and of a run's timeline, in SQL.
 */
import { access } from 'node:fs/promises';
import { InputError } from './errors.js';
import { firstLine } from './csv.js';
import { sqlString, type Duck } from './duck.js';
import type { CodecCompute, KindBytes, LinkBusy, LoadedLog } from './types.js';

/** Bytes and message counts per (direction, kind). */
export async function kindBytes(db: Duck, log: LoadedLog): Promise<KindBytes[]> {
  return db.all<KindBytes & Record<string, unknown>>(
    `SELECT direction, kind, count(*) AS messages,
       sum(wire_bytes)::DOUBLE AS "wireBytes",
       CASE WHEN count(raw_bytes) = count(*) THEN sum(raw_bytes)::DOUBLE END AS "rawBytes",
       count(*) FILTER (WHERE dropped) AS dropped,
       sum(retransmissions)::DOUBLE AS retransmissions
     FROM ${log.table} GROUP BY direction, kind ORDER BY direction, kind`,
  );
}

/**
 * Per client link and direction: bytes of delivered messages and the time the link had at least
 * one message in flight — the length of the union of [sendTime, recvTime] intervals. Sorted by
 * start, each interval adds only the part past the latest end seen before it:
 * max(0, e − max(s, prevEnd)); one window pass, no island numbering.
 */
export async function linkBusy(db: Duck, log: LoadedLog): Promise<LinkBusy[]> {
  return db.all<LinkBusy & Record<string, unknown>>(
    `WITH iv AS (
       SELECT client, direction, send_time AS s, recv_time AS e, wire_bytes, raw_bytes
       FROM ${log.table}
       WHERE direction IN ('up', 'down') AND recv_time IS NOT NULL AND NOT dropped
     ), marked AS (
       SELECT *, max(e) OVER (PARTITION BY client, direction ORDER BY s, e
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
       FROM iv
     )
     SELECT client, direction, sum(wire_bytes)::DOUBLE AS "wireBytes",
            CASE WHEN count(raw_bytes) = count(*) THEN sum(raw_bytes)::DOUBLE END AS "rawBytes",
            sum(greatest(0, e - greatest(s, coalesce(prev_end, s))))::DOUBLE AS "busySeconds"
     FROM marked GROUP BY client, direction ORDER BY client, direction`,
  );
}

/** Bytes each client sent or received, per direction, over the whole log (delivered or not). */
export async function clientBytes(
  db: Duck,
  log: LoadedLog,
): Promise<Array<{ client: string; direction: 'up' | 'down'; wireBytes: number }>> {
  return db.all(
    `SELECT client, direction, sum(wire_bytes)::DOUBLE AS "wireBytes" FROM ${log.table}
     WHERE direction IN ('up', 'down') GROUP BY client, direction ORDER BY client, direction`,
  );
}

/**
 * Codec compute seconds per device from a timeline.ndjson (`encode` and `decode` tasks);
 * null when the file does not exist.
 */
export async function codecCompute(db: Duck, timelinePath: string): Promise<CodecCompute[] | null> {
  try {
    await access(timelinePath);
  } catch {
    return null;
  }
  const source =
    `read_json(${sqlString(timelinePath)}, format = 'newline_delimited', columns = ` +
    `{round: 'INTEGER', step: 'INTEGER', actor: 'VARCHAR', task: 'VARCHAR', device: 'VARCHAR', ` +
    `start: 'DOUBLE', "end": 'DOUBLE', flops: 'DOUBLE'})`;
  try {
    return await db.all<CodecCompute & Record<string, unknown>>(
      `SELECT coalesce(device, 'unknown') AS device, sum("end" - start)::DOUBLE AS seconds, count(*) AS tasks
       FROM ${source} WHERE task IN ('encode', 'decode') GROUP BY ALL ORDER BY device`,
    );
  } catch (err) {
    throw new InputError(`${timelinePath}: not a readable timeline: ${firstLine(err)}`);
  }
}
