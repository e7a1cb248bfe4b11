/**
 * The ROI of compressing, end to end: loads the logs into an embedded DuckDB, analyses the
 * compressed log against the baseline, prices a sweep's settings, and lists the assumptions.
 */
import { withDuck } from './duck.js';
import { analyse, loadBaseline, type RoiOptions } from './analyse.js';
import { assumptionsFor } from './assumptions.js';
import { sensitivityTable } from './sweep.js';
import type { RoiReport } from './report-types.js';
import { dirname, join } from 'node:path';
import { runIdOfJson, runIdOfLog, sameRun } from './runIds.js';

/** The run id shared by the log, its timeline and the summary.json beside it; refuses a mix. */
async function runIdOfInputs(options: RoiOptions): Promise<string | null> {
  const beside = (f: string): string => join(dirname(options.log), f);
  const timeline = options.timeline === undefined ? beside('timeline.ndjson') : options.timeline;
  return sameRun([
    { path: options.log, runId: await runIdOfLog(options.log) },
    ...(timeline !== null ? [{ path: timeline, runId: await runIdOfLog(timeline) }] : []),
    { path: beside('summary.json'), runId: await runIdOfJson(beside('summary.json'), ['runId']) },
  ]);
}

/**
 * Computes the ROI of compression for a traffic log under a tariff.
 * @example const roi = await computeRoi({ log: 'runs/q/traffic.ndjson', tariff: await loadTariff('scenarios/tariffs/cloud-egress.yaml') });
 */
export async function computeRoi(options: RoiOptions): Promise<RoiReport> {
  const runId = await runIdOfInputs(options);
  return withDuck(async (db) => {
    const base = await loadBaseline(db, options);
    const a = await analyse(db, options, base, options.log, 't_main');
    const sensitivity = options.sweep ? await sensitivityTable(db, options, base, options.sweep) : null;
    const up = a.upgrade.neededMbps;
    const most = up.up === null && up.down === null ? null : Math.max(up.up ?? 0, up.down ?? 0);
    const t = options.tariff;
    return {
      splitwire: 'roi/1',
      currency: t.currency,
      tariff: { name: t.name, path: options.tariffPath ?? null, unit: t.unit, perGB: t.perGB, billed: t.billed },
      inputs: {
        log: options.log,
        runId,
        format: a.log.format,
        baseline: options.baseline ?? null,
        timeline: a.timeline,
        sweep: options.sweep ?? null,
      },
      pilot: { ...a.scaling.pilot, messages: a.log.messages },
      deployment: a.scaling.deployment,
      scale: a.scaling.perRun,
      assumptions: assumptionsFor(options, a, base),
      baseline: a.baseline,
      compressed: a.compressed,
      traffic: a.traffic,
      compression: a.compression,
      transferSavingsPerMonth: a.transferSavingsPerMonth,
      upgradeAvoidedPerMonth: a.upgradeAvoidedPerMonth,
      savingsPerMonth: a.savingsPerMonth,
      paybackMonths: a.paybackMonths,
      upgradeBandwidthMbps: most,
      upgrade: a.upgrade,
      sensitivity,
    };
  });
}
