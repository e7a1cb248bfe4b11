/**
 * Gathers what the report shows from a run folder (summary.json, traffic.ndjson,
 * timeline.ndjson, roi.json) or a sweep folder (sweep.json and its run folders). Log
 * aggregates come from DuckDB; the files' formats are in docs/formats.md.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, readSweep, settingLabel, sqlString, type Duck } from '../roi/index.js';

/** One run: a folder with summary.json and/or traffic.ndjson, and its label in the charts. */
export interface RunRef {
  label: string;
  dir: string;
}

/** The fields of summary.json the report uses (see docs/formats.md). */
export interface SummaryView {
  scenario: string | null;
  backend: string | null;
  seed: number | null;
  codec: string | null;
  clients: number | null;
  compressionRatio: number | null;
  finalMeanIoU: number | null;
  /** final.tailMeanIoU: mean of the last evaluations (older summaries: null). */
  tailMeanIoU: number | null;
  /** final.trivialMeanIoU: the best constant prediction's score on the same test set. */
  trivialMeanIoU: number | null;
  /** data.classes as the run read them. */
  classes: number | null;
  rounds: Array<{ round: number; meanIoU: number; simulatedSeconds: number }>;
}

export interface BytesRow {
  series: string;
  round: number;
  kind: string;
  direction: string;
  wireBytes: number;
  messages: number;
}

export interface TimelineBar {
  lane: string;
  laneOrder: number;
  activity: string;
  type: 'compute' | 'message';
  start: number;
  end: number;
  detail: string;
}

export interface TimelineView {
  run: string;
  round: number;
  bars: TimelineBar[];
  /** Bars in the round before trimming to the first `bars.length` by start time. */
  total: number;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Reads summary.json leniently: a field it lacks is shown as missing, not an error. */
export async function readSummary(path: string): Promise<SummaryView | null> {
  if (!(await exists(path))) return null;
  let doc: Record<string, unknown>;
  try {
    doc = obj(JSON.parse(await readFile(path, 'utf8')));
  } catch (err) {
    throw new InputError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  const codec = obj(doc.codec);
  const codecName = str(codec.name);
  const bits = num(codec.bits);
  const rounds = (Array.isArray(doc.rounds) ? doc.rounds : [])
    .map(obj)
    .map((r) => ({ round: num(r.round), meanIoU: num(r.meanIoU), simulatedSeconds: num(r.simulatedSeconds) }))
    .filter((r): r is { round: number; meanIoU: number; simulatedSeconds: number } =>
      r.round !== null && r.meanIoU !== null && r.simulatedSeconds !== null,
    );
  return {
    scenario: str(doc.scenario),
    backend: str(doc.backend),
    seed: num(doc.seed),
    codec: codecName === null ? null : bits === null ? codecName : `${codecName} ${bits}-bit`,
    clients: num(doc.clients),
    compressionRatio: num(obj(doc.totals).compressionRatio),
    finalMeanIoU: num(obj(doc.final).meanIoU),
    tailMeanIoU: num(obj(doc.final).tailMeanIoU),
    trivialMeanIoU: num(obj(doc.final).trivialMeanIoU),
    classes: num(obj(doc.data).classes),
    rounds,
  };
}

/** The runs of a folder: itself, or each row of its sweep.json. */
export async function runsOf(dir: string): Promise<{ kind: 'run' | 'sweep'; runs: RunRef[]; sweepPath: string | null }> {
  const sweepPath = join(dir, 'sweep.json');
  if (await exists(sweepPath)) {
    const sweep = await readSweep(sweepPath);
    // Several seeds of one setting: the seed tells their series apart.
    const labels = sweep.rows.map((r) => settingLabel(r.setting, r.dir));
    const repeated = new Set(labels).size < labels.length;
    return {
      kind: 'sweep',
      runs: sweep.rows.map((r, i) => ({
        label: repeated && r.seed !== null ? `${labels[i]} · seed ${r.seed}` : (labels[i] as string),
        dir: join(dir, r.dir),
      })),
      sweepPath,
    };
  }
  if (!(await exists(join(dir, 'summary.json'))) && !(await exists(join(dir, 'traffic.ndjson')))) {
    throw new InputError(`${dir}: not a run folder (no summary.json or traffic.ndjson) nor a sweep folder (no sweep.json)`);
  }
  return { kind: 'run', runs: [{ label: 'run', dir }], sweepPath: null };
}

const TRAFFIC_COLUMNS =
  `{round: 'INTEGER', src: 'VARCHAR', dst: 'VARCHAR', kind: 'VARCHAR', wireBytes: 'BIGINT', ` +
  `sendTime: 'DOUBLE', recvTime: 'DOUBLE', dropped: 'BOOLEAN', step: 'INTEGER', codec: 'VARCHAR'}`;

const trafficSource = (path: string): string =>
  `read_json(${sqlString(path)}, format = 'newline_delimited', columns = ${TRAFFIC_COLUMNS})`;

/** Wire bytes per round, kind and direction of one run's traffic.ndjson. */
export async function bytesPerRound(db: Duck, path: string, series: string): Promise<BytesRow[]> {
  const rows = await db.all<Omit<BytesRow, 'series'> & Record<string, unknown>>(
    `SELECT round, kind,
       CASE WHEN src LIKE 'client-%' THEN 'up' WHEN dst LIKE 'client-%' THEN 'down' ELSE 'internal' END AS direction,
       sum(wireBytes)::DOUBLE AS "wireBytes", count(*) AS messages
     FROM ${trafficSource(path)} GROUP BY ALL ORDER BY round, direction, kind`,
  );
  return rows.map((r) => ({ series, ...r }));
}

/** Client number for lane ordering: client-3 → 3; server and federator after all clients. */
const laneRank = (actor: string): string =>
  `CASE WHEN ${actor} LIKE 'client-%' THEN TRY_CAST(substr(${actor}, 8) AS INTEGER) ELSE 1000000 END`;

/**
 * The bars of one round: compute tasks on each actor's lane and messages on each client's
 * up/down lane, the first `maxBars` by start time.
 */
export async function roundTimeline(
  db: Duck,
  run: RunRef,
  round: number | null,
  maxBars: number,
): Promise<TimelineView | null> {
  const traffic = join(run.dir, 'traffic.ndjson');
  const timeline = join(run.dir, 'timeline.ndjson');
  const hasTraffic = await exists(traffic);
  const hasTimeline = await exists(timeline);
  if (!hasTraffic && !hasTimeline) return null;
  const tasks = hasTimeline
    ? `SELECT round, actor AS lane, ${laneRank('actor')} * 3 AS lane_order, task AS activity, 'compute' AS type,
         start, "end", task || ' on ' || coalesce(device, '?') || ', step ' || coalesce(step, -1) AS detail
       FROM read_json(${sqlString(timeline)}, format = 'newline_delimited', columns = {round: 'INTEGER',
         step: 'INTEGER', actor: 'VARCHAR', task: 'VARCHAR', device: 'VARCHAR', start: 'DOUBLE', "end": 'DOUBLE'})`
    : null;
  const messages = hasTraffic
    ? `SELECT round, lane, lane_order, activity, 'message' AS type, start, "end", detail FROM (
         SELECT round,
           CASE WHEN src LIKE 'client-%' THEN src || ' ↑' ELSE dst || ' ↓' END AS lane,
           CASE WHEN src LIKE 'client-%' THEN ${laneRank('src')} * 3 + 1 ELSE ${laneRank('dst')} * 3 + 2 END AS lane_order,
           kind AS activity, sendTime AS start, coalesce(recvTime, sendTime) AS "end",
           kind || ' ' || src || '→' || dst || ', ' || wireBytes || ' B' || CASE WHEN dropped THEN ', dropped' ELSE '' END AS detail
         FROM ${trafficSource(traffic)})`
    : null;
  const all = [tasks, messages].filter((q): q is string => q !== null).join(' UNION ALL ');
  const [picked] = await db.all<{ r: number | null }>(
    round === null ? `SELECT min(round) AS r FROM (${all})` : `SELECT ${round} AS r`,
  );
  const r = picked?.r ?? null;
  if (r === null) return null;
  const [count] = await db.all<{ n: number }>(`SELECT count(*) AS n FROM (${all}) WHERE round = ${r}`);
  if (!count || count.n === 0) return null;
  const bars = await db.all<TimelineBar & Record<string, unknown>>(
    `SELECT lane, lane_order AS "laneOrder", activity, type, start, "end", detail
     FROM (${all}) WHERE round = ${r} ORDER BY start, lane_order LIMIT ${maxBars}`,
  );
  return { run: run.label, round: r, bars, total: count.n };
}
