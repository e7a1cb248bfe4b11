/**
 * One point of a sweep: a resolved scenario (setting and seed applied), the files it reads,
 * and the content hash that names its result.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Scenario } from '../scenario/schema.js';
import { VERSION } from '../run/summary.js';

/** A file or folder a scenario reads, by the scenario field that names it. */
export interface FileRef {
  field: string;
  path: string;
  /** sha256 of its content (a folder: of its files' relative paths and contents, sorted). */
  sha256: string;
}

/** What a worker needs to run one point: everything is data, nothing refers to the sweep's machine. */
export interface PointJob {
  /** Content hash of (resolved scenario, referenced files, splitwire version): the result's name. */
  key: string;
  /** The sweep's axis values for this point. */
  setting: Record<string, unknown>;
  seed: number;
  /** Folder under the sweep's --out, e.g. `name=quant/seed=2`. */
  dir: string;
  /** The resolved scenario (validated, defaults filled in). */
  scenario: Scenario;
  files: FileRef[];
  splitwire: string;
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const FILE_KEYS = new Set(['file', 'latencyTrace', 'schedule']);

/** Every file or folder path a scenario names (traces, schedules, the data folder), by field. */
export function referencedPaths(s: Scenario): Array<{ field: string; path: string }> {
  const out: Array<{ field: string; path: string }> = [];
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}[${i}]`));
    else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
        const field = at === '' ? k : `${at}.${k}`;
        if (FILE_KEYS.has(k) && typeof v === 'string') out.push({ field, path: v });
        else walk(v, field);
      }
    }
  };
  walk(s, '');
  if (s.data.kind === 'folder' && s.data.path !== undefined) out.push({ field: 'data.path', path: s.data.path });
  return out;
}

function hashPath(path: string): string {
  const h = createHash('sha256');
  const visit = (abs: string, rel: string): void => {
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) visit(join(abs, name), rel === '' ? name : `${rel}/${name}`);
    } else {
      h.update(`${rel}\0`);
      h.update(readFileSync(abs));
      h.update('\0');
    }
  };
  visit(path, '');
  return h.digest('hex');
}

/**
 * The scenario's files with their content hashes. Paths resolve against the working directory,
 * as `splitwire run` reads them. Throws `<field>: must exist …, got …` for a missing one.
 */
export function fileRefs(s: Scenario, cwd = process.cwd()): FileRef[] {
  return referencedPaths(s).map(({ field, path }) => {
    const abs = resolve(cwd, path);
    if (!existsSync(abs)) throw new Error(`${field}: must be an existing file or folder (relative to ${cwd}), got ${JSON.stringify(path)}`);
    return { field, path, sha256: hashPath(abs) };
  });
}

/**
 * Checks, on a worker, that every file a job reads exists at the same path with the same
 * content as where the sweep was started; returns the problems (empty: all there).
 */
export function checkFiles(files: readonly FileRef[], cwd = process.cwd()): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const abs = resolve(cwd, f.path);
    if (!existsSync(abs)) {
      problems.push(`${f.field}: must exist on this worker at ${JSON.stringify(f.path)} (relative to its working directory ${cwd}), got nothing there`);
    } else if (hashPath(abs) !== f.sha256) {
      problems.push(`${f.field}: must have the same content on this worker as where the sweep started, got a different ${JSON.stringify(f.path)}`);
    }
  }
  return problems;
}

/** Builds a point: its files' hashes and its content key. */
export function makePoint(scenario: Scenario, setting: Record<string, unknown>, dir: string, cwd = process.cwd()): PointJob {
  const files = fileRefs(scenario, cwd);
  const key = createHash('sha256')
    .update(canonicalJson({ scenario, files: files.map((f) => ({ path: f.path, sha256: f.sha256 })), splitwire: VERSION }))
    .digest('hex')
    .slice(0, 32);
  return { key, setting, seed: scenario.seed, dir, scenario, files, splitwire: VERSION };
}
