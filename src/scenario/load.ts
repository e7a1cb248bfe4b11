/**
 * Reads a scenario: YAML file → `--set` overrides → schema validation and defaults →
 * cross-field checks. Everything a run needs is validated here, before anything runs.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
// The module, not the codecs facade: the facade loads tfjs for the learned codecs.
import { codecProblems } from '../codecs/splitCodecs.js';
import { DEVICE_PROFILES } from '../sim/index.js';
import { ScenarioError, describeValue, formatIssues } from './errors.js';
import { resolveScenarioPaths } from './paths.js';
import { accessLinks } from './resolveNetwork.js';
import { scenarioSchema, type Scenario } from './schema.js';

/** One `--set a.b=value` override; the value is parsed as a YAML scalar (so `8` is a number). */
export interface Override {
  path: string;
  value: unknown;
}

/** Parses `a.b.c=value` into an override. @example parseOverride('codec.bits=8') */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ScenarioError('--set', [`--set: must be path.to.field=value, got ${JSON.stringify(text)}`]);
  const path = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = parseYaml(raw);
  } catch {
    value = raw;
  }
  return { path, value: value === null && raw.trim() === '' ? '' : value };
}

/** Sets `path` (dotted, `[i]` or `.i` for list items) in a plain object tree, creating mappings as needed. */
export function applyOverride(tree: Record<string, unknown>, override: Override): void {
  const keys = override.path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
  let node: Record<string, unknown> | unknown[] = tree;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const last = i === keys.length - 1;
    const index = /^\d+$/.test(key) ? Number(key) : null;
    const container = node as Record<string, unknown>;
    const slot = index !== null && Array.isArray(node) ? index : key;
    // A list item set past the end leaves no holes: earlier items become empty mappings.
    if (typeof slot === 'number' && Array.isArray(node)) while (node.length < slot) node.push({});
    if (last) {
      (container as Record<string | number, unknown>)[slot] = override.value;
      return;
    }
    let next = (container as Record<string | number, unknown>)[slot];
    if (next === undefined || next === null || typeof next !== 'object') {
      next = /^\d+$/.test(keys[i + 1] as string) ? [] : {};
      (container as Record<string | number, unknown>)[slot] = next;
    }
    node = next as Record<string, unknown>;
  }
}

/** Validates a parsed scenario tree. Throws ScenarioError listing every bad field. */
export function validateScenario(tree: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(tree ?? {}, { reportInput: true });
  if (!parsed.success) throw new ScenarioError(source, formatIssues(parsed.error.issues));
  const s = parsed.data;
  const problems: string[] = [];
  const factor = 2 ** (s.model.depth - 1);
  if (s.data.size % factor !== 0) {
    problems.push(`data.size: must be divisible by 2^(model.depth-1) = ${factor}, got ${s.data.size}`);
  }
  if (s.data.kind === 'folder' && s.data.path === undefined) {
    problems.push('data.path: must be set when data.kind is "folder", got nothing');
  }
  if (s.data.partition === 'folder' && s.data.kind !== 'folder') {
    problems.push(`data.partition: "folder" needs data.kind "folder", got data.kind ${describeValue(s.data.kind)}`);
  }
  if (s.protocol.clientsPerRound !== undefined && s.protocol.clientsPerRound > s.protocol.clients) {
    problems.push(
      `protocol.clientsPerRound: must be ≤ protocol.clients (${s.protocol.clients}), got ${s.protocol.clientsPerRound}`,
    );
  }
  const selected = s.protocol.clientsPerRound ?? s.protocol.clients;
  if (s.protocol.aggregateFirst !== undefined && s.protocol.aggregateFirst > selected) {
    problems.push(`protocol.aggregateFirst: must be ≤ the clients selected per round (${selected}), got ${s.protocol.aggregateFirst}`);
  }
  if (s.network.perClient !== undefined && s.network.perClient.length > s.protocol.clients) {
    problems.push(
      `network.perClient: must have at most protocol.clients (${s.protocol.clients}) entries, got ${s.network.perClient.length}`,
    );
  }
  const splitSize = s.protocol.topology === 'u-shaped' ? s.data.size / 2 : s.data.size;
  problems.push(...codecProblems(s.codec, splitSize, s.data.size));
  problems.push(...accessLinks(s).problems);
  for (const role of ['client', 'server'] as const) {
    const name = s.devices[role];
    if (!(name in DEVICE_PROFILES)) {
      problems.push(
        `devices.${role}: must be one of ${Object.keys(DEVICE_PROFILES).map((n) => JSON.stringify(n)).join(' | ')}, got ${describeValue(name)}`,
      );
    }
  }
  if (problems.length > 0) throw new ScenarioError(source, problems);
  return s;
}

/**
 * Reads, overrides and validates a scenario file. Relative paths in the file (data.path, trace
 * and schedule files) resolve from the file's folder; relative paths in `--set` values from the
 * current directory, as any path typed on a command line.
 */
export async function loadScenario(file: string, overrides: Override[] = []): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  let tree: unknown;
  try {
    tree = parseYaml(text) ?? {};
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}: ` : '';
    throw new ScenarioError(file, [`${where}not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) {
    throw new ScenarioError(file, [`(top level): must be a mapping, got ${describeValue(tree)}`]);
  }
  const root = tree as Record<string, unknown>;
  if (root['name'] === undefined) root['name'] = basename(file).replace(/\.ya?ml$/i, '');
  resolveScenarioPaths(root, dirname(file));
  for (const o of overrides) applyOverride(root, o);
  resolveScenarioPaths(root, process.cwd());
  return validateScenario(root, file);
}

export { clientLinks } from './resolveNetwork.js';
