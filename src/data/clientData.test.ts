import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildClientData } from './clientData.js';
import type { ClientDataOptions } from './clientData.js';
import { isIdentityStyle } from './style.js';
import type { Dataset } from './types.js';

const base: ClientDataOptions = {
  kind: 'lesion',
  size: 32,
  samplesPerClient: 12,
  testSamples: 9,
  clients: 3,
  partition: 'iid',
  alpha: 0.5,
  styleShift: 1,
  seed: 11,
};

function hash(ds: Dataset): string {
  const h = createHash('sha256');
  for (const s of ds.samples) h.update(new Uint8Array(s.image.buffer, s.image.byteOffset, s.image.byteLength)).update(s.mask);
  return h.digest('hex');
}

function exactCover(parts: number[][], n: number): boolean {
  const all = parts.flat().sort((a, b) => a - b);
  return all.length === n && all.every((v, i) => v === i);
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('buildClientData (synthetic)', () => {
  it('gives each client samplesPerClient samples of its own site style, and a test set', async () => {
    const cd = await buildClientData(base);
    expect(cd.dataset.samples).toHaveLength(36);
    expect(cd.clientIndices.map((p) => p.length)).toEqual([12, 12, 12]);
    expect(exactCover(cd.clientIndices, 36)).toBe(true);
    expect(cd.test.samples).toHaveLength(9);
    expect(cd.test.height).toBe(32);
    expect(cd.sites).toEqual(['site-0', 'site-1', 'site-2']);
    expect(cd.styles).toHaveLength(3);
    expect(cd.styles.some(isIdentityStyle)).toBe(false);
    expect(new Set(cd.styles.map((s) => s.contrast)).size).toBe(3);
  });

  it('is deterministic from the seed', async () => {
    const a = await buildClientData(base);
    const b = await buildClientData(base);
    expect(hash(b.dataset)).toBe(hash(a.dataset));
    expect(hash(b.test)).toBe(hash(a.test));
    const c = await buildClientData({ ...base, seed: 12 });
    expect(hash(c.dataset)).not.toBe(hash(a.dataset));
  });

  it('changes appearance, never anatomy: styleShift 0 and 1 share masks', async () => {
    const plain = await buildClientData({ ...base, styleShift: 0 });
    const styled = await buildClientData(base);
    expect(plain.styles.every(isIdentityStyle)).toBe(true);
    plain.dataset.samples.forEach((s, i) => expect(styled.dataset.samples[i]!.mask).toEqual(s.mask));
    expect(hash(plain.dataset)).not.toBe(hash(styled.dataset));
    plain.test.samples.forEach((s, i) => expect(styled.test.samples[i]!.mask).toEqual(s.mask));
  });

  it('Dirichlet: deals a pool by category, skewed at small alpha compared with IID', async () => {
    const opts = { ...base, kind: 'blastocyst' as const, alpha: 0.05, clients: 4, samplesPerClient: 20 };
    const cd = await buildClientData({ ...opts, partition: 'dirichlet' });
    expect(cd.dataset.samples).toHaveLength(80);
    expect(cd.dataset.channels).toBe(1);
    expect(cd.dataset.classes).toBe(5);
    expect(exactCover(cd.clientIndices, 80)).toBe(true);
    expect(cd.clientIndices.every((p) => p.length > 0)).toBe(true);
    // Share of each client's most common category, averaged over clients.
    const dominance = (c: typeof cd): number =>
      c.clientIndices
        .map((p) => {
          const counts = [0, 0, 0, 0];
          for (const i of p) counts[c.dataset.samples[i]!.category]!++;
          return Math.max(...counts) / p.length;
        })
        .reduce((a, b) => a + b, 0) / c.clientIndices.length;
    const iid = await buildClientData({ ...opts, partition: 'iid' });
    expect(dominance(iid)).toBeLessThan(0.5);
    expect(dominance(cd)).toBeGreaterThan(dominance(iid) + 0.2);
  });

  it('validates options with data.* field names', async () => {
    await expect(buildClientData({ ...base, partition: 'dirichlet', alpha: -1 })).rejects.toThrow('data.alpha: must be > 0, got -1');
    await expect(buildClientData({ ...base, clients: 0 })).rejects.toThrow('data.clients: must be an integer >= 1, got 0');
    await expect(buildClientData({ ...base, size: 8 })).rejects.toThrow('data.size: must be an integer in [16, 1024], got 8');
    await expect(buildClientData({ ...base, styleShift: -1 })).rejects.toThrow('data.styleShift: must be a finite number >= 0, got -1');
    await expect(buildClientData({ ...base, kind: 'folder' })).rejects.toThrow("data.path: required when data.kind is 'folder', got undefined");
    await expect(buildClientData({ ...base, kind: 'x' as 'lesion' })).rejects.toThrow(`data.kind: must be 'lesion' | 'blastocyst' | 'folder', got "x"`);
    await expect(buildClientData({ ...base, classes: 3 })).rejects.toThrow("data.classes: must be 2 for data.kind 'lesion' (or left out), got 3");
  });
});

describe('buildClientData (folder)', () => {
  function makeSites(counts: Record<string, number>): string {
    const root = mkdtempSync(join(tmpdir(), 'splitwire-cd-'));
    roots.push(root);
    for (const [site, n] of Object.entries(counts)) {
      mkdirSync(join(root, site, 'images'), { recursive: true });
      mkdirSync(join(root, site, 'masks'), { recursive: true });
      for (let i = 0; i < n; i++) {
        const img = new PNG({ width: 20, height: 20 });
        const mask = new PNG({ width: 20, height: 20 });
        for (let p = 0; p < 400; p++) {
          const fg = p % 20 < 5 + i;
          img.data.set(fg ? [60, 30, 20, 255] : [220, 180, 160, 255], p * 4);
          mask.data.set(fg ? [255, 255, 255, 255] : [0, 0, 0, 255], p * 4);
        }
        writeFileSync(join(root, site, 'images', `${i}.png`), PNG.sync.write(img));
        writeFileSync(join(root, site, 'masks', `${i}.png`), PNG.sync.write(mask));
      }
    }
    return root;
  }

  it("partition 'folder': one client per site, test drawn round-robin over sites", async () => {
    const path = makeSites({ north: 5, south: 4, east: 3 });
    const cd = await buildClientData({ ...base, kind: 'folder', path, partition: 'folder', clients: 3, testSamples: 3, maskMode: 'binary', size: 16 });
    expect(cd.sites).toEqual(['east', 'north', 'south']);
    expect(cd.test.samples).toHaveLength(3);
    expect(cd.dataset.samples).toHaveLength(9);
    expect(cd.clientIndices.map((p) => p.length)).toEqual([2, 4, 3]);
    expect(exactCover(cd.clientIndices, 9)).toBe(true);
    expect(cd.dataset.classes).toBe(2);
    expect([cd.maskMode, cd.notices]).toEqual(['binary', []]);
    // the scenario default 'auto' reads the same 0/255 masks as binary too, and says so
    const auto = await buildClientData({ ...base, kind: 'folder', path, partition: 'folder', clients: 3, testSamples: 3, maskMode: 'auto', size: 16 });
    expect([auto.dataset.classes, auto.maskMode, auto.notices.length]).toEqual([2, 'binary', 1]);
    expect(hash(auto.dataset)).toBe(hash(cd.dataset));
  });

  it('uses folder images as they are: styleShift applies to synthetic data only (test set included)', async () => {
    const path = makeSites({ a: 4, b: 4 });
    const opts = { ...base, kind: 'folder' as const, path, partition: 'iid' as const, clients: 2, testSamples: 2, maskMode: 'binary' as const, size: 16 };
    const plain = await buildClientData({ ...opts, styleShift: 0 });
    const shifted = await buildClientData({ ...opts, styleShift: 1 });
    expect(shifted.styles.every(isIdentityStyle)).toBe(true);
    expect(hash(shifted.dataset)).toBe(hash(plain.dataset));
    expect(hash(shifted.test)).toBe(hash(plain.test));
    // The same setting does shift synthetic images.
    const synth = await buildClientData({ ...base, styleShift: 1 });
    expect(synth.styles.some((st) => !isIdentityStyle(st))).toBe(true);
  });

  it('caps clients at samplesPerClient and checks the client count against the sites', async () => {
    const path = makeSites({ a: 6, b: 6 });
    const cd = await buildClientData({ ...base, kind: 'folder', path, partition: 'iid', clients: 2, testSamples: 2, samplesPerClient: 3, maskMode: 'binary', size: 16 });
    expect(cd.clientIndices.map((p) => p.length)).toEqual([3, 3]);
    await expect(buildClientData({ ...base, kind: 'folder', path, partition: 'folder', clients: 3, maskMode: 'binary', size: 16 })).rejects.toThrow(
      `data.clients: must equal the number of site folders under ${path} (2: a, b) for partition 'folder', got 3`,
    );
    await expect(buildClientData({ ...base, kind: 'folder', path, partition: 'iid', clients: 2, testSamples: 11, maskMode: 'binary', size: 16 })).rejects.toThrow(
      'data.testSamples: must leave at least one training sample per client (12 samples, 2 clients), got 11',
    );
  });
});
