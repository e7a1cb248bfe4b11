/** Errors raised while reading a scenario: every message names the field and the bad value. */
import type { z } from 'zod';
import { suggestPath } from './suggest.js';

/** A scenario file or override that does not validate; `problems` holds one line per field. */
export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: invalid scenario\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/** Renders a value the way a user wrote it: strings quoted, objects abbreviated. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** `a.b[2].c` from a zod path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** One `path: must be …, got …` line per zod issue. */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    const got = describeValue((issue as { input?: unknown }).input);
    switch (issue.code) {
      case 'invalid_type':
        lines.push(`${path}: must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${got}`);
        break;
      case 'too_small': {
        const op = issue.inclusive ? '≥' : '>';
        lines.push(
          issue.origin === 'array' || issue.origin === 'string'
            ? `${path}: must have length ${op} ${String(issue.minimum)}, got ${got}`
            : `${path}: must be ${op} ${String(issue.minimum)}, got ${got}`,
        );
        break;
      }
      case 'too_big': {
        const op = issue.inclusive ? '≤' : '<';
        lines.push(
          issue.origin === 'array' || issue.origin === 'string'
            ? `${path}: must have length ${op} ${String(issue.maximum)}, got ${got}`
            : `${path}: must be ${op} ${String(issue.maximum)}, got ${got}`,
        );
        break;
      }
      case 'invalid_value':
        lines.push(`${path}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${got}`);
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const where = issue.path.length === 0 ? key : `${formatPath(issue.path)}.${key}`;
          const parent = formatPath(issue.path.map((k) => (typeof k === 'number' ? '[]' : k))).replace(/^\(top level\)$/, '').replace(/\.\[\]/g, '[]');
          const near = suggestPath(parent, key);
          const hint = near === null ? 'check the spelling' : `did you mean ${near.replace(/\[\]/g, '[i]')}?`;
          lines.push(`${where}: is not a known field (${hint}; every field: scenarios/scenario.schema.json or \`splitwire schema\`)`);
        }
        break;
      default:
        lines.push(`${path}: ${issue.message}, got ${got}`);
    }
  }
  return lines;
}
