import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../sim/rng.js';
import { distinctSites, partition, trainTestSplit } from './partition.js';
import type { Sample } from './types.js';

function fakeSamples(categories: number[]): Sample[] {
  return categories.map((category) => ({ image: new Float32Array(0), mask: new Uint8Array(0), category }));
}

function expectExactCover(parts: number[][], n: number): void {
  const seen = new Array<number>(n).fill(0);
  for (const p of parts) {
    expect(p.length).toBeGreaterThan(0);
    expect([...p].sort((a, b) => a - b)).toEqual(p);
    for (const i of p) seen[i] = (seen[i] as number) + 1;
  }
  expect(seen.every((c) => c === 1)).toBe(true);
}

/**
 * Mean over clients of the total-variation distance between the client's category mix and
 * the global mix: 0 for a perfectly IID split, near 1 when each client holds one category.
 */
function skew(parts: number[][], categories: number[], k: number): number {
  const global = new Array<number>(k).fill(0);
  for (const c of categories) global[c] = (global[c] as number) + 1 / categories.length;
  let total = 0;
  for (const p of parts) {
    const local = new Array<number>(k).fill(0);
    for (const i of p) local[categories[i] as number] = (local[categories[i] as number] as number) + 1 / p.length;
    total += local.reduce((a, v, c) => a + Math.abs(v - (global[c] as number)), 0) / 2;
  }
  return total / parts.length;
}

describe('partition', () => {
  it('covers every index exactly once and leaves no client empty (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 200 }),
        fc.constantFrom('iid' as const, 'dirichlet' as const),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.integer(),
        (clients, categories, scheme, alpha, seed) => {
          const parts = partition(fakeSamples(categories), { clients, scheme, alpha }, new Rng(seed, 'p'));
          expect(parts).toHaveLength(clients);
          expectExactCover(parts, categories.length);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('IID sizes differ by at most one', () => {
    const parts = partition(103, { clients: 10, scheme: 'iid' }, new Rng(1));
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expectExactCover(parts, 103);
  });

  it('Dirichlet with small alpha is skewed; large alpha and IID are not', () => {
    const rng = new Rng(7, 'cats');
    const categories = Array.from({ length: 2000 }, () => rng.int(4));
    const samples = fakeSamples(categories);
    const iid = skew(partition(samples, { clients: 10, scheme: 'iid' }, new Rng(1)), categories, 4);
    const small = skew(partition(samples, { clients: 10, scheme: 'dirichlet', alpha: 0.1 }, new Rng(1)), categories, 4);
    const large = skew(partition(samples, { clients: 10, scheme: 'dirichlet', alpha: 1000 }, new Rng(1)), categories, 4);
    expect(iid).toBeLessThan(0.1);
    expect(large).toBeLessThan(0.1);
    expect(small).toBeGreaterThan(0.4);
  });

  it('repairs empty clients when samples are scarce', () => {
    const parts = partition(fakeSamples([0, 0, 0, 1, 1]), { clients: 5, scheme: 'dirichlet', alpha: 0.01 }, new Rng(3));
    expect(parts.map((p) => p.length)).toEqual([1, 1, 1, 1, 1]);
    expectExactCover(parts, 5);
  });

  it('is deterministic', () => {
    const s = fakeSamples(Array.from({ length: 50 }, (_, i) => i % 4));
    const a = partition(s, { clients: 4, scheme: 'dirichlet', alpha: 0.5 }, new Rng(9));
    expect(partition(s, { clients: 4, scheme: 'dirichlet', alpha: 0.5 }, new Rng(9))).toEqual(a);
    expect(partition(s, { clients: 4, scheme: 'dirichlet', alpha: 0.5 }, new Rng(10))).not.toEqual(a);
  });

  it("'folder' gives one client per distinct site, in sorted site order", () => {
    const sites = ['b', 'a', 'b', 'c', 'a', 'a'];
    expect(distinctSites(sites)).toEqual(['a', 'b', 'c']);
    expect(partition(6, { clients: 3, scheme: 'folder', sites }, new Rng(1))).toEqual([[1, 4, 5], [0, 2], [3]]);
  });

  it('validates with field names', () => {
    const rng = new Rng(1);
    expect(() => partition(10, { clients: 2, scheme: 'dirichlet', alpha: -1 }, rng)).toThrow('partition.alpha: must be > 0, got -1');
    expect(() => partition(10, { clients: 2, scheme: 'dirichlet' }, rng)).toThrow('partition.alpha: must be > 0, got undefined');
    expect(() => partition(10, { clients: 0, scheme: 'iid' }, rng)).toThrow('partition.clients: must be an integer >= 1, got 0');
    expect(() => partition(3, { clients: 5, scheme: 'iid' }, rng)).toThrow(
      'partition.clients: must be <= the number of samples (3) so that every client gets one, got 5',
    );
    expect(() => partition(3, { clients: 1, scheme: 'x' as 'iid' }, rng)).toThrow(
      `partition.scheme: must be 'iid' | 'dirichlet' | 'folder', got "x"`,
    );
    expect(() => partition(3, { clients: 1, scheme: 'folder' }, rng)).toThrow('partition.sites: must list one site per sample (3), got none');
    expect(() => partition(2, { clients: 1, scheme: 'folder', sites: ['a', 'b'] }, rng)).toThrow(
      "partition.clients: must equal the number of distinct sites (2) for scheme 'folder', got 1",
    );
  });
});

describe('trainTestSplit', () => {
  it('splits disjointly and completely', () => {
    const { train, test } = trainTestSplit(100, 0.2, new Rng(1));
    expect(test).toHaveLength(20);
    expect(train).toHaveLength(80);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('keeps at least one training sample', () => {
    expect(trainTestSplit(1, 0.9, new Rng(1))).toEqual({ train: [0], test: [] });
    expect(trainTestSplit(0, 0.5, new Rng(1))).toEqual({ train: [], test: [] });
  });

  it('validates testFraction', () => {
    expect(() => trainTestSplit(10, 1, new Rng(1))).toThrow('trainTestSplit.testFraction: must be in [0, 1), got 1');
  });
});
