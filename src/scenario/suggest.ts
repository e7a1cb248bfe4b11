/**
 * "Did you mean …?" for a field the scenario schema does not know: the nearest known path, found
 * by the field's name anywhere in the schema (`rounds` → `protocol.rounds`) or by spelling among
 * its siblings (`protocl` → `protocol`).
 */
import { scenarioSchema } from './schema.js';

interface Def {
  type: string;
  innerType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  shape?: Record<string, { _zod: { def: Def } }>;
  in?: { _zod: { def: Def } };
}

let cache: string[] | null = null;

/** Every field path of the scenario schema, list items written `[]` (`network.perClient[].uplink.loss`). */
export function knownPaths(): string[] {
  if (cache !== null) return cache;
  const out: string[] = [];
  const walk = (def: Def, prefix: string): void => {
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) {
      walk(def.innerType._zod.def, prefix);
    } else if (def.type === 'pipe' && def.in) {
      walk(def.in._zod.def, prefix);
    } else if (def.type === 'array' && def.element) {
      walk(def.element._zod.def, `${prefix}[]`);
    } else if (def.type === 'object' && def.shape) {
      for (const [key, child] of Object.entries(def.shape)) {
        const path = prefix === '' ? key : `${prefix}.${key}`;
        out.push(path);
        walk(child._zod.def, path);
      }
    }
  };
  walk((scenarioSchema as unknown as { _zod: { def: Def } })._zod.def, '');
  cache = out;
  return out;
}

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length] as number;
}

const lastSegment = (path: string): string => path.slice(path.lastIndexOf('.') + 1);

/**
 * The known path nearest to an unknown field `key` found under `parent` (a schema path with list
 * items as `[]`, '' for the top level), or null when nothing is close.
 * @example suggestPath('', 'rounds') // 'protocol.rounds'
 */
export function suggestPath(parent: string, key: string): string | null {
  const paths = knownPaths();
  const limit = Math.max(1, Math.floor(key.length / 3));
  // The same name elsewhere (a field written at the wrong level) first: it is spelt right.
  const sameName = paths.filter((p) => lastSegment(p).toLowerCase() === key.toLowerCase());
  // A misspelt sibling.
  // A misspelt or shortened sibling (`latency` for `latencyMs`: a unit left out counts as close).
  const close = (name: string): number => {
    const d = Math.min(distance(name, key), distance(name.replace(/(Ms|Mbps|S|Bytes)$/, ''), key));
    const n = name.toLowerCase();
    const k = key.toLowerCase();
    return k.length >= 4 && (n.startsWith(k) || k.startsWith(n)) ? Math.min(d, 1) : d;
  };
  const siblings = paths
    .filter((p) => (parent === '' ? !p.includes('.') : p.startsWith(`${parent}.`) && !p.slice(parent.length + 1).includes('.')))
    .map((p) => ({ p, d: close(lastSegment(p)) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.p.localeCompare(b.p));
  if (sameName.length > 0) {
    // Prefer the candidate that shares the longest prefix with where the field was written.
    const score = (p: string): number => (parent !== '' && p.startsWith(`${parent}.`) ? -1000 : 0) + p.split('.').length;
    return [...sameName].sort((a, b) => score(a) - score(b) || a.localeCompare(b))[0] as string;
  }
  if (siblings[0] !== undefined) return siblings[0].p;
  // A misspelt name written at the wrong level.
  const anywhere = paths
    .map((p) => ({ p, d: distance(lastSegment(p), key) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.p.split('.').length - b.p.split('.').length || a.p.localeCompare(b.p));
  return anywhere[0]?.p ?? null;
}
