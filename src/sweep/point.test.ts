import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { canonicalJson, checkFiles, makePoint, referencedPaths } from './point.js';

const dir = mkdtempSync(join(tmpdir(), 'splitwire-point-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('canonicalJson', () => {
  it('ignores key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });
});

describe('makePoint', () => {
  it('the key follows the resolved scenario: seed and settings change it, key order does not', () => {
    const a = makePoint(validateScenario({ seed: 1, codec: { name: 'none' } }), {}, 'a', dir);
    const same = makePoint(validateScenario({ codec: { name: 'none' }, seed: 1 }), { x: 1 }, 'b', dir);
    const seed2 = makePoint(validateScenario({ seed: 2, codec: { name: 'none' } }), {}, 'a', dir);
    const fp16 = makePoint(validateScenario({ seed: 1, codec: { name: 'fp16' } }), {}, 'a', dir);
    expect(a.key).toMatch(/^[0-9a-f]{32}$/);
    expect(same.key).toBe(a.key);
    expect(new Set([a.key, seed2.key, fp16.key]).size).toBe(3);
  });

  it('names the files a scenario reads, hashes them, and a worker checks them', () => {
    writeFileSync(join(dir, 'up.trace'), '0 10\n1 20\n');
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images', 'a.png'), 'x');
    const s = validateScenario({ network: { uplink: { latencyTrace: 'up.trace' } }, data: { kind: 'folder', path: 'images' } });
    expect(referencedPaths(s)).toEqual([
      { field: 'network.uplink.latencyTrace', path: 'up.trace' },
      { field: 'data.path', path: 'images' },
    ]);
    const p = makePoint(s, {}, 'p', dir);
    expect(checkFiles(p.files, dir)).toEqual([]);
    // Elsewhere, the files are missing; changed, they differ; and the key follows their content.
    const other = mkdtempSync(join(tmpdir(), 'splitwire-point-other-'));
    expect(checkFiles(p.files, other)[0]).toBe(
      `network.uplink.latencyTrace: must exist on this worker at "up.trace" (relative to its working directory ${other}), got nothing there`,
    );
    rmSync(other, { recursive: true, force: true });
    writeFileSync(join(dir, 'images', 'a.png'), 'y');
    expect(checkFiles(p.files, dir)).toEqual(['data.path: must have the same content on this worker as where the sweep started, got a different "images"']);
    expect(makePoint(s, {}, 'p', dir).key).not.toBe(p.key);
    expect(() => makePoint(validateScenario({ network: { downlink: { bandwidthTrace: { file: 'nope.trace', format: 'mbps' } } } }), {}, 'p', dir)).toThrow(
      `network.downlink.bandwidthTrace.file: must be an existing file or folder (relative to ${dir}), got "nope.trace"`,
    );
  });
});
