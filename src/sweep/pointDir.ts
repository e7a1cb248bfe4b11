/**
 * A point's folder under the sweep's --out: summary.json, traffic.ndjson and timeline.ndjson as
 * `splitwire run` writes them, and point.json (its key) written last, so a folder with a
 * point.json of the same key is a finished point and a re-run skips it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PointJob } from './point.js';

/** The marker of a finished point. */
export interface PointMarker {
  key: string;
  setting: Record<string, unknown>;
  seed: number;
  splitwire: string;
}

/** Whether `root/point.dir` holds the finished result of this very point (same key). */
export function isPointDone(root: string, point: PointJob): boolean {
  const file = join(root, point.dir, 'point.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as PointMarker).key === point.key;
  } catch {
    return false;
  }
}

/** A fresh temporary folder beside the point's final one (same file system, so rename is atomic). */
export function pointTempDir(root: string, point: PointJob, tag: string): string {
  const tmp = join(root, `${point.dir}.tmp-${tag}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

/** Writes point.json into `tmp` and renames it into place, replacing an older result there. */
export function commitPointDir(root: string, point: PointJob, tmp: string): void {
  const marker: PointMarker = { key: point.key, setting: point.setting, seed: point.seed, splitwire: point.splitwire };
  writeFileSync(join(tmp, 'point.json'), `${JSON.stringify(marker, null, 2)}\n`);
  const final = join(root, point.dir);
  mkdirSync(dirname(final), { recursive: true });
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
}

/** The three files of a run, as bytes. */
export interface RunFiles {
  summary: Buffer;
  traffic: Buffer;
  timeline: Buffer;
}

export const RUN_FILE_NAMES = { summary: 'summary.json', traffic: 'traffic.ndjson', timeline: 'timeline.ndjson' } as const;

/** Reads a run folder's three files. */
export function readRunFiles(dir: string): RunFiles {
  return {
    summary: readFileSync(join(dir, RUN_FILE_NAMES.summary)),
    traffic: readFileSync(join(dir, RUN_FILE_NAMES.traffic)),
    timeline: readFileSync(join(dir, RUN_FILE_NAMES.timeline)),
  };
}

/** Writes a run's three files into a point's folder, atomically, with its marker. */
export function writePointFiles(root: string, point: PointJob, files: RunFiles, tag: string): void {
  const tmp = pointTempDir(root, point, tag);
  for (const k of ['summary', 'traffic', 'timeline'] as const) writeFileSync(join(tmp, RUN_FILE_NAMES[k]), files[k]);
  commitPointDir(root, point, tmp);
}
