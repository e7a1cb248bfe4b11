/**
 * One compressed log against the baseline: monthly traffic and money of the deployment with
 * and without compression, payback, and the link upgrade that would be needed instead.
 * Every number over the log comes from SQL (queries.ts); this file only does arithmetic on
 * the aggregates.
 */
import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';
import type { Duck } from './duck.js';
import { loadTrafficLog } from './traffic.js';
import { clientBytes, codecCompute, kindBytes, linkBusy } from './queries.js';
import { kindFactor, perRunFactors, resolveScaling, type RunSize, type Scaling } from './scale.js';
import { cents, transferCost, type MonthlyBytes } from './cost.js';
import { estimateUpgrade, type BaselineLinkBytes } from './upgrade.js';
import type { Tariff } from './tariff.js';
import type { KindBytes, LoadedLog, LogFormat } from './types.js';
import type { CompressionCost, RoiReport, ScenarioCost, TrafficRow } from './report-types.js';

/** Inputs of an ROI computation; defaults in comments. */
export interface RoiOptions {
  /** Traffic log of the compressed run (NDJSON, CSV or Parquet). */
  log: string;
  /** Its format (default: from the extension). */
  format?: LogFormat;
  /** Log of an uncompressed run (default: the log's own rawBytes). */
  baseline?: string;
  baselineFormat?: LogFormat;
  tariff: Tariff;
  /** Where the tariff came from, for the report. */
  tariffPath?: string | null;
  /** Deployment size; overrides the tariff's `deployment` section. */
  scale?: RunSize;
  /** Pilot size; clients and rounds default to what the log shows. */
  pilot?: RunSize;
  /** Timeline with encode/decode tasks (default: timeline.ndjson beside the log, if present; null: none). */
  timeline?: string | null;
  /** A sweep.json for the sensitivity table. */
  sweep?: string;
  /** Server-side node names (default server, federator). */
  serverNodes?: readonly string[];
}

/** The baseline side: either derived from raw bytes, or a loaded baseline log. */
export interface BaselineSource {
  log: LoadedLog | null;
  kinds: KindBytes[] | null;
  /** Baseline bytes per client and direction (baseline log only). */
  perClient: Map<string, number> | null;
  /** Mean baseline bytes per client, per direction (baseline log only). */
  meanPerClient: { up: number; down: number } | null;
}

/** Everything computed for one compressed log against the baseline. */
export interface Analysis
  extends Pick<
    RoiReport,
    | 'baseline'
    | 'compressed'
    | 'traffic'
    | 'compression'
    | 'transferSavingsPerMonth'
    | 'upgradeAvoidedPerMonth'
    | 'savingsPerMonth'
    | 'paybackMonths'
    | 'upgrade'
  > {
  log: LoadedLog;
  timeline: string | null;
  scaling: Scaling;
  baselinePerRun: Scaling['perRun'];
}

const DIRECTION_ORDER = { up: 0, down: 1, internal: 2 } as const;

const emptyBytes = (): MonthlyBytes => ({ up: 0, down: 0, internal: 0 });

function scenario(
  source: string,
  rows: ByteRow[],
  perRun: Scaling['perRun'],
  runsPerMonth: number,
  tariff: Tariff,
  clients: number,
): { cost: ScenarioCost; total: number } {
  const measured = emptyBytes();
  for (const r of rows) measured[r.direction] += r.bytes;
  const monthly = monthlyOf(rows, perRun, runsPerMonth);
  const cost = transferCost(monthly, tariff, clients);
  const rounded = (b: MonthlyBytes): MonthlyBytes => ({
    up: Math.round(b.up),
    down: Math.round(b.down),
    internal: Math.round(b.internal),
  });
  return {
    cost: {
      source,
      bytes: measured.up + measured.down + measured.internal,
      bytesByDirection: measured,
      bytesPerMonth: Math.round(monthly.up + monthly.down + monthly.internal),
      bytesPerMonthByDirection: rounded(monthly),
      billedPerMonth: Math.round(cost.billedUnits * 1000) / 1000,
      meteredCostPerMonth: cents(cost.metered),
      planCostPerMonth: cents(cost.planFees + cost.overage),
      transferCostPerMonth: cents(cost.total),
    },
    total: cost.total,
  };
}

/** Bytes of one (direction, kind) cell of one side. */
interface ByteRow {
  direction: 'up' | 'down' | 'internal';
  kind: string;
  bytes: number;
}

function monthlyOf(rows: ByteRow[], perRun: Scaling['perRun'], runs: number): MonthlyBytes {
  const m = emptyBytes();
  for (const r of rows) m[r.direction] += r.bytes * kindFactor(perRun, r.kind) * runs;
  return m;
}

/** Loads the baseline log (if any) once; sweep rows share it. */
export async function loadBaseline(db: Duck, options: RoiOptions): Promise<BaselineSource> {
  if (!options.baseline) return { log: null, kinds: null, perClient: null, meanPerClient: null };
  const log = await loadTrafficLog(db, options.baseline, {
    table: 't_baseline',
    ...(options.baselineFormat ? { format: options.baselineFormat } : {}),
    ...(options.serverNodes ? { serverNodes: options.serverNodes } : {}),
  });
  const kinds = await kindBytes(db, log);
  const perClientRows = await clientBytes(db, log);
  const perClient = new Map(perClientRows.map((r) => [`${r.direction}\u0000${r.client}`, r.wireBytes]));
  const mean = (d: 'up' | 'down'): number => {
    const rows = perClientRows.filter((r) => r.direction === d);
    return rows.length === 0 ? 0 : rows.reduce((s, r) => s + r.wireBytes, 0) / rows.length;
  };
  return { log, kinds, perClient, meanPerClient: { up: mean('up'), down: mean('down') } };
}

/** Analyses one compressed log against `base`; the table name must be unused. */
export async function analyse(
  db: Duck,
  options: RoiOptions,
  base: BaselineSource,
  logPath: string,
  table: string,
  timelineOverride?: string | null,
): Promise<Analysis> {
  const { tariff } = options;
  const log = await loadTrafficLog(db, logPath, {
    table,
    ...(options.format ? { format: options.format } : {}),
    ...(options.serverNodes ? { serverNodes: options.serverNodes } : {}),
  });
  if (!base.log && !log.hasRawBytes) {
    throw new UsageError(
      `${logPath}: the log has no raw_bytes for every message, so the uncompressed baseline cannot be derived: ` +
        `pass --baseline <log of an uncompressed run>`,
    );
  }
  const kinds = await kindBytes(db, log);
  const scaling = resolveScaling(log, tariff.deployment, options.scale ?? {}, options.pilot ?? {});
  const { deployment } = scaling;
  const runs = deployment.runsPerMonth;
  const baselinePerRun = base.log
    ? perRunFactors(
        {
          clients: options.pilot?.clients ?? base.log.clients,
          rounds: options.pilot?.rounds ?? base.log.rounds ?? scaling.pilot.rounds,
          samples: scaling.pilot.samples,
        },
        deployment,
      )
    : scaling.perRun;

  const compressedRows: ByteRow[] = kinds.map((k) => ({ direction: k.direction, kind: k.kind, bytes: k.wireBytes }));
  const baselineRows: ByteRow[] = base.kinds
    ? base.kinds.map((k) => ({ direction: k.direction, kind: k.kind, bytes: k.wireBytes }))
    : // An uncompressed run sends no codec weights: the codec.* kinds are the compressed side's cost only.
      kinds.map((k) => ({ direction: k.direction, kind: k.kind, bytes: k.kind.startsWith('codec.') ? 0 : (k.rawBytes ?? 0) }));
  const baseline = scenario(
    base.log ? `baseline log ${base.log.path}` : `raw (uncompressed) sizes in ${logPath}`,
    baselineRows,
    baselinePerRun,
    runs,
    tariff,
    deployment.clients,
  );
  const compressed = scenario(`wire sizes in ${logPath}`, compressedRows, scaling.perRun, runs, tariff, deployment.clients);

  // Traffic per month per direction and kind, both sides (full outer join of two small lists).
  const cells = new Map<string, TrafficRow>();
  const cell = (direction: TrafficRow['direction'], kind: string): TrafficRow => {
    const key = `${direction}\u0000${kind}`;
    let row = cells.get(key);
    if (!row) {
      row = { direction, kind, baselineBytesPerMonth: 0, compressedBytesPerMonth: 0, savedBytesPerMonth: 0 };
      cells.set(key, row);
    }
    return row;
  };
  for (const r of baselineRows) cell(r.direction, r.kind).baselineBytesPerMonth += r.bytes * kindFactor(baselinePerRun, r.kind) * runs;
  for (const r of compressedRows) cell(r.direction, r.kind).compressedBytesPerMonth += r.bytes * kindFactor(scaling.perRun, r.kind) * runs;
  const traffic = [...cells.values()]
    .map((r) => ({
      ...r,
      baselineBytesPerMonth: Math.round(r.baselineBytesPerMonth),
      compressedBytesPerMonth: Math.round(r.compressedBytesPerMonth),
      savedBytesPerMonth: Math.round(r.baselineBytesPerMonth - r.compressedBytesPerMonth),
    }))
    .sort((a, b) => DIRECTION_ORDER[a.direction] - DIRECTION_ORDER[b.direction] || a.kind.localeCompare(b.kind));

  // Codec compute: device time of encode/decode tasks, per batch, so it scales like split tensors.
  const timeline =
    timelineOverride !== undefined
      ? timelineOverride
      : options.timeline !== undefined
        ? options.timeline
        : join(dirname(logPath), 'timeline.ndjson');
  const codec = timeline ? await codecCompute(db, timeline) : null;
  const c = tariff.compression;
  const computeByDevice = (codec ?? []).map((d) => {
    const hours = (d.seconds * scaling.perRun.splitTensors * runs) / 3600;
    const price = c.computePerHourByDevice[d.device] ?? c.computePerHour;
    return { device: d.device, hoursPerMonth: hours, pricePerHour: price, costPerMonth: hours * price };
  });
  const computeCost = computeByDevice.reduce((s, d) => s + d.costPerMonth, 0);
  const computeHours = computeByDevice.reduce((s, d) => s + d.hoursPerMonth, 0);
  const compression: CompressionCost = {
    oneOff: cents(c.oneOff),
    monthly: cents(c.monthly),
    computeByDevice: computeByDevice.map((d) => ({
      device: d.device,
      hoursPerMonth: Math.round(d.hoursPerMonth * 1000) / 1000,
      pricePerHour: d.pricePerHour,
      costPerMonth: cents(d.costPerMonth),
    })),
    computeHoursPerMonth: Math.round(computeHours * 1000) / 1000,
    computeCostPerMonth: cents(computeCost),
    runningCostPerMonth: cents(c.monthly + computeCost),
  };

  // Money from unrounded parts; only the results are rounded to cents.
  const transferSavings = baseline.total - compressed.total;

  const links = log.hasTiming ? await linkBusy(db, log) : [];
  const roundsRatio =
    base.log && base.log.rounds !== null && log.rounds !== null ? log.rounds / base.log.rounds : 1;
  const baselineBytes: BaselineLinkBytes = (client, direction, link) => {
    if (!base.perClient || !base.meanPerClient) return link.rawBytes;
    const own = base.perClient.get(`${direction}\u0000${client}`);
    return (own ?? base.meanPerClient[direction]) * roundsRatio;
  };
  const upgrade = estimateUpgrade(links, baselineBytes, tariff, deployment.clients);
  const avoided = upgrade.priced?.countAsSaving ? upgrade.priced.perMonth : 0;
  const avoidedOneOff = upgrade.priced?.countAsSaving ? upgrade.priced.oneOff : 0;
  const savings = transferSavings + avoided - (c.monthly + computeCost);
  const oneOffNet = Math.max(0, c.oneOff - avoidedOneOff);
  // A saving that rounds to nothing pays back never, not in millions of months.
  const payback = cents(savings) > 0 ? Math.round((oneOffNet / savings) * 100) / 100 : null;

  return {
    log,
    timeline: codec ? timeline : null,
    scaling,
    baselinePerRun,
    baseline: baseline.cost,
    compressed: compressed.cost,
    traffic,
    compression,
    transferSavingsPerMonth: cents(transferSavings),
    upgradeAvoidedPerMonth: cents(avoided),
    savingsPerMonth: cents(savings),
    paybackMonths: payback,
    upgrade,
  };
}

