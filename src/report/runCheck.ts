/**
 * Before a report: the files of each run folder must come from one run (same run id), and the
 * run must be complete — an interrupted or killed run is reported only with `--partial`, and
 * then every figure says so.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InputError, runIdOfJson, runIdOfLog, sameRun } from '../roi/index.js';
import { exists } from './data.js';

/** Why a run folder holds an incomplete run, or null when it is complete. */
export async function incompleteReason(dir: string): Promise<string | null> {
  const summary = join(dir, 'summary.json');
  if (await exists(join(dir, 'run.lock'))) return 'its run is still running or was killed (run.lock present)';
  if (!(await exists(summary))) {
    return (await exists(join(dir, 'traffic.ndjson'))) ? 'it has no summary.json: the run was killed before it finished' : null;
  }
  const status = await runIdOfJson(summary, ['status']);
  if (status === 'interrupted' || basename(dir).endsWith('.interrupted') || basename(dir).endsWith('.partial')) {
    let s: { roundsCompleted?: unknown; roundsPlanned?: unknown } = {};
    try {
      s = JSON.parse(await readFile(summary, 'utf8')) as typeof s;
    } catch {
      // the status alone says it
    }
    const of = typeof s.roundsPlanned === 'number' ? ` of ${s.roundsPlanned}` : '';
    return `its run was interrupted after ${typeof s.roundsCompleted === 'number' ? s.roundsCompleted : '?'}${of} rounds`;
  }
  return null;
}

/**
 * Checks every run folder; throws when files mix runs, or when a run is incomplete and
 * `partial` is false. Returns the label to put on every figure (null: complete runs).
 */
export async function checkRuns(dirs: readonly string[], roiJson: string | null, partial: boolean): Promise<string | null> {
  const reasons: string[] = [];
  for (const dir of dirs) {
    const files = [
      { path: join(dir, 'summary.json'), runId: await runIdOfJson(join(dir, 'summary.json'), ['runId']) },
      { path: join(dir, 'traffic.ndjson'), runId: await runIdOfLog(join(dir, 'traffic.ndjson')) },
      { path: join(dir, 'timeline.ndjson'), runId: await runIdOfLog(join(dir, 'timeline.ndjson')) },
    ];
    if (roiJson !== null && dirs.length === 1) files.push({ path: roiJson, runId: await runIdOfJson(roiJson, ['inputs', 'runId']) });
    sameRun(files);
    const why = await incompleteReason(dir);
    if (why !== null) reasons.push(dirs.length === 1 ? why : `${dir}: ${why}`);
  }
  if (reasons.length === 0) return null;
  if (!partial) throw new InputError(`${dirs.length === 1 ? `${dirs[0]}: ` : ''}${reasons.join('; ')}; pass --partial to report what it did`);
  return `partial run: ${reasons.join('; ').replace(/^its run was /, '').replace(/^its run /, '')}`;
}
