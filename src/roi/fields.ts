/**
 * Field readers for validating parsed YAML/JSON at the boundary: each names the full path
 * of a bad field and the value it got (`tariff.perGB: must be a number ≥ 0, got "abc"`).
 */
import { InputError, fieldError } from './errors.js';

/** A plain object, or an error naming `path`. */
export function record(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fieldError(path, 'a mapping', value);
  }
  return value as Record<string, unknown>;
}

/** Rejects keys not in `known`, so a typo is not silently ignored. */
export function onlyKeys(obj: Record<string, unknown>, known: readonly string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw new InputError(`${path}.${key}: unknown field (known: ${known.join(', ')})`);
    }
  }
}

export interface NumberRule {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  integer?: boolean;
}

function describe(rule: NumberRule): string {
  const noun = rule.integer ? 'an integer' : 'a number';
  if (rule.above !== undefined) return `${noun} > ${rule.above}`;
  if (rule.min !== undefined) return `${noun} ≥ ${rule.min}`;
  return noun;
}

/** A finite number obeying `rule`. */
export function numberAt(value: unknown, path: string, rule: NumberRule = {}): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above);
  if (!ok) throw fieldError(path, describe(rule), value);
  return value as number;
}

/** `obj[key]` as a number, or `fallback` when absent. */
export function optNumber(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  fallback: number,
  rule: NumberRule = {},
): number {
  return obj[key] === undefined ? fallback : numberAt(obj[key], `${path}.${key}`, rule);
}

/** `obj[key]` as a number, or undefined when absent. */
export function maybeNumber(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  rule: NumberRule = {},
): number | undefined {
  return obj[key] === undefined ? undefined : numberAt(obj[key], `${path}.${key}`, rule);
}

/** `obj[key]` as a non-empty string, or `fallback` when absent. */
export function optString(obj: Record<string, unknown>, key: string, path: string, fallback: string): string {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) throw fieldError(`${path}.${key}`, 'a non-empty string', value);
  return value;
}

/** `obj[key]` as one of `choices`, or `fallback` when absent. */
export function optChoice<T extends string>(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw fieldError(`${path}.${key}`, `one of ${choices.join(', ')}`, value);
  }
  return value as T;
}

/** `obj[key]` as a boolean, or `fallback` when absent. */
export function optBoolean(obj: Record<string, unknown>, key: string, path: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw fieldError(`${path}.${key}`, 'true or false', value);
  return value;
}
