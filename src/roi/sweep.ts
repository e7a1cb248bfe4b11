/**
 * Sensitivity of the ROI to the rate–accuracy choice: one row per setting of a sweep
 * (sweep.json, docs/formats.md), each priced from its own run folder's traffic and timeline.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError, fieldError } from './errors.js';
import { record } from './fields.js';
import type { Duck } from './duck.js';
import type { SensitivityRow } from './report-types.js';
import { analyse, type BaselineSource, type RoiOptions } from './analyse.js';

/** One row of a sweep.json, as far as the ROI needs it. */
export interface SweepRow {
  setting: Record<string, unknown>;
  dir: string;
  compressionRatio: number | null;
  meanIoU: number | null;
  /** Mean IoU of the run's last evaluations (summary final.tailMeanIoU); null in older tables. */
  tailMeanIoU: number | null;
  /** The run's seed (sweeps with --seeds); null in older tables. */
  seed: number | null;
}

export interface Sweep {
  scenario: string | null;
  rows: SweepRow[];
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads and checks a sweep.json. */
export async function readSweep(path: string): Promise<Sweep> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InputError(`${path}: cannot read sweep table: ${(err as Error).message}`);
  }
  try {
    const top = record(doc, 'sweep');
    if (!Array.isArray(top.rows) || top.rows.length === 0) throw fieldError('sweep.rows', 'a non-empty list', top.rows);
    const rows = top.rows.map((value, i): SweepRow => {
      const r = record(value, `sweep.rows[${i}]`);
      if (typeof r.dir !== 'string' || r.dir.length === 0) throw fieldError(`sweep.rows[${i}].dir`, 'a folder name', r.dir);
      return {
        setting: r.setting === undefined ? {} : record(r.setting, `sweep.rows[${i}].setting`),
        dir: r.dir,
        compressionRatio: numOrNull(r.compressionRatio),
        meanIoU: numOrNull(r.meanIoU),
        tailMeanIoU: numOrNull(r.tailMeanIoU),
        seed: numOrNull(r.seed),
      };
    });
    return { scenario: typeof top.scenario === 'string' ? top.scenario : null, rows };
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${path}: ${err.message}`);
    throw err;
  }
}

/** Prices every setting of a sweep with the same tariff, scale and baseline. */
export async function sensitivityTable(
  db: Duck,
  options: RoiOptions,
  base: BaselineSource,
  sweepPath: string,
): Promise<SensitivityRow[]> {
  const sweep = await readSweep(sweepPath);
  const rows: SensitivityRow[] = [];
  const rowOptions: RoiOptions = { ...options };
  delete rowOptions.format;
  for (const [i, row] of sweep.rows.entries()) {
    const dir = join(dirname(sweepPath), row.dir);
    const table = `t_sweep_${i}`;
    const a = await analyse(db, rowOptions, base, join(dir, 'traffic.ndjson'), table, join(dir, 'timeline.ndjson'));
    await db.exec(`DROP TABLE ${table}`);
    rows.push({
      setting: row.setting,
      dir: row.dir,
      compressionRatio: row.compressionRatio,
      meanIoU: row.meanIoU,
      tailMeanIoU: row.tailMeanIoU,
      compressedBytesPerMonth: a.compressed.bytesPerMonth,
      savingsPerMonth: a.savingsPerMonth,
      paybackMonths: a.paybackMonths,
    });
  }
  return rows;
}
