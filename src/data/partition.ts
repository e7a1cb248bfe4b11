/**
 * Splitting samples among clients: IID, Dirichlet label skew, or one client per site folder;
 * and train/test splits. All functions return sorted index lists and draw only from `rng`.
 */
import type { Rng } from '../sim/rng.js';
import type { Sample } from './types.js';

/** How samples are dealt to clients. */
export type PartitionScheme = 'iid' | 'dirichlet' | 'folder';

/** Options of partition. */
export interface PartitionOptions {
  /** Number of clients (≥ 1). With 'folder' it must equal the number of distinct sites. */
  clients: number;
  scheme: PartitionScheme;
  /** Dirichlet concentration (> 0; required for 'dirichlet'): small = skewed, large ≈ IID. */
  alpha?: number;
  /** The site of each sample (required for 'folder'). */
  sites?: readonly string[];
}

const SCHEMES: readonly PartitionScheme[] = ['iid', 'dirichlet', 'folder'];

/** Distinct site names in sorted order: client k of a 'folder' partition is site k. */
export function distinctSites(sites: readonly string[]): string[] {
  return [...new Set(sites)].sort();
}

function sortedNumbers(xs: number[]): number[] {
  return xs.sort((a, b) => a - b);
}

/** IID: a shuffle dealt into contiguous runs whose sizes differ by at most one. */
function iid(n: number, clients: number, rng: Rng): number[][] {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return Array.from({ length: clients }, (_, k) =>
    sortedNumbers(order.slice(Math.floor((k * n) / clients), Math.floor(((k + 1) * n) / clients))),
  );
}

/**
 * Label-skew partition (Hsu et al. 2019, "Measuring the effects of non-identical data
 * distribution"): for each category, client proportions p ~ Dir(alpha) split that category's
 * shuffled samples at the cumulative cut points ⌊len·Σp⌋.
 *
 * Repair: a client left empty takes one sample from the client that holds the most (lowest
 * client index on ties), namely the sample that client received last. Repeating this needs at
 * most `clients` moves and always succeeds because n ≥ clients.
 */
function dirichlet(categories: readonly number[], clients: number, alpha: number, rng: Rng): number[][] {
  const byCategory = new Map<number, number[]>();
  categories.forEach((c, i) => {
    const list = byCategory.get(c);
    if (list === undefined) byCategory.set(c, [i]);
    else list.push(i);
  });
  const parts: number[][] = Array.from({ length: clients }, () => []);
  for (const cat of [...byCategory.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle(byCategory.get(cat) as number[]);
    const p = rng.dirichlet(alpha, clients);
    let start = 0;
    let cum = 0;
    for (let k = 0; k < clients; k++) {
      cum += p[k] as number;
      const end = k === clients - 1 ? idx.length : Math.min(idx.length, Math.floor(cum * idx.length));
      for (let j = start; j < end; j++) (parts[k] as number[]).push(idx[j] as number);
      start = Math.max(start, end);
    }
  }
  for (;;) {
    const empty = parts.findIndex((p) => p.length === 0);
    if (empty < 0) break;
    let donor = 0;
    for (let k = 1; k < clients; k++) if ((parts[k] as number[]).length > (parts[donor] as number[]).length) donor = k;
    (parts[empty] as number[]).push((parts[donor] as number[]).pop() as number);
  }
  return parts.map(sortedNumbers);
}

/**
 * Deals sample indices to clients; every index appears in exactly one list, lists are sorted,
 * and every client gets at least one sample. `samples` may be a bare count, in which case all
 * samples share one category and 'dirichlet' skews only the clients' sample counts.
 * @example partition(ds.samples, { clients: 5, scheme: 'dirichlet', alpha: 0.3 }, rng.child('partition'))
 */
export function partition(samples: readonly Sample[] | number, opts: PartitionOptions, rng: Rng): number[][] {
  const n = typeof samples === 'number' ? samples : samples.length;
  if (!Number.isInteger(n) || n < 0) throw new Error(`partition.samples: must be an integer >= 0, got ${n}`);
  const { clients, scheme } = opts;
  if (!Number.isInteger(clients) || clients < 1) {
    throw new Error(`partition.clients: must be an integer >= 1, got ${clients}`);
  }
  if (!SCHEMES.includes(scheme)) {
    throw new Error(`partition.scheme: must be 'iid' | 'dirichlet' | 'folder', got ${JSON.stringify(scheme)}`);
  }
  if (scheme === 'folder') {
    const sites = opts.sites;
    if (sites === undefined || sites.length !== n) {
      throw new Error(`partition.sites: must list one site per sample (${n}), got ${sites === undefined ? 'none' : sites.length}`);
    }
    const names = distinctSites(sites);
    if (clients !== names.length) {
      throw new Error(`partition.clients: must equal the number of distinct sites (${names.length}) for scheme 'folder', got ${clients}`);
    }
    const parts: number[][] = names.map(() => []);
    const slot = new Map(names.map((s, k) => [s, k]));
    sites.forEach((s, i) => (parts[slot.get(s) as number] as number[]).push(i));
    return parts;
  }
  if (n < clients) {
    throw new Error(`partition.clients: must be <= the number of samples (${n}) so that every client gets one, got ${clients}`);
  }
  if (scheme === 'iid') return iid(n, clients, rng);
  const alpha = opts.alpha;
  if (alpha === undefined || !Number.isFinite(alpha) || !(alpha > 0)) {
    throw new Error(`partition.alpha: must be > 0, got ${alpha}`);
  }
  const categories = typeof samples === 'number' ? new Array<number>(n).fill(0) : samples.map((s) => s.category);
  return dirichlet(categories, clients, alpha, rng);
}

/**
 * Splits indices 0..n-1 into sorted train and test lists; the test list has
 * round(n·testFraction) indices, capped so that train keeps at least one when n ≥ 1.
 */
export function trainTestSplit(n: number, testFraction: number, rng: Rng): { train: number[]; test: number[] } {
  if (!Number.isInteger(n) || n < 0) throw new Error(`trainTestSplit.n: must be an integer >= 0, got ${n}`);
  if (!Number.isFinite(testFraction) || testFraction < 0 || testFraction >= 1) {
    throw new Error(`trainTestSplit.testFraction: must be in [0, 1), got ${testFraction}`);
  }
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const nTest = Math.min(Math.round(n * testFraction), Math.max(0, n - 1));
  return { train: sortedNumbers(order.slice(nTest)), test: sortedNumbers(order.slice(0, nTest)) };
}
