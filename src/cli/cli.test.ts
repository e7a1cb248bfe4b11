import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { importWithoutOptionalPackages } from '../compute/withoutOptionalPackages.js';
import { main } from './cli.js';
import { doctorCommand } from './doctorCommand.js';
import { grid, rankRows, readCases, settingDir, type SweepRow } from './sweepCommand.js';
import { dataBanner } from './runCommand.js';

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (s) => (out += s), stderr: (s) => (err += s) }, out: () => out, err: () => err };
}

describe('splitwire CLI', () => {
  it('prints help and lists every command', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const cmd of ['run', 'sweep', 'check', 'roi', 'report', 'schema', 'doctor']) expect(c.out()).toContain(`  ${cmd}`);
  });

  it('rejects an unknown command with status 2', async () => {
    const c = capture();
    expect(await main(['fly'], c.io)).toBe(2);
    expect(c.err()).toContain('unknown command "fly"');
  });

  it('reports a bad scenario field before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'protocol:\n  rounds: 0\ncodec:\n  name: zip\n');
    const c = capture();
    expect(await main(['run', file], c.io)).toBe(2);
    expect(c.err()).toContain('protocol.rounds: must be ≥ 1, got 0');
    expect(c.err()).toContain('codec.name: must be one of');
  });

  it('a mask with more distinct values than data.classes stops the run with the file and values named, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-cli-'));
    mkdirSync(join(dir, 'set', 'images'), { recursive: true });
    mkdirSync(join(dir, 'set', 'masks'));
    const png = (f: (x: number) => number): Buffer => {
      const p = new PNG({ width: 3, height: 1 });
      for (let x = 0; x < 3; x++) p.data.set([f(x), f(x), f(x), 255], x * 4);
      return PNG.sync.write(p);
    };
    for (const n of ['a', 'b']) {
      writeFileSync(join(dir, 'set', 'images', `${n}.png`), png(() => 99));
      writeFileSync(join(dir, 'set', 'masks', `${n}.png`), png((x) => [0, 128, 255][x]!));
    }
    const file = join(dir, 's.yaml');
    writeFileSync(file, `data: { kind: folder, path: ${JSON.stringify(join(dir, 'set'))}, size: 16, classes: 2, testSamples: 1 }\nprotocol: { clients: 1 }\n`);
    const c = capture();
    // Data that cannot be read as asked is bad input: exit 2, one line.
    expect(await main(['run', file, '--quiet', '--out', join(dir, 'out')], c.io)).toBe(2);
    expect(c.err()).toContain(`splitwire: run: loadFolder: mask ${join(dir, 'set', 'masks', 'a.png')} holds 3 distinct values (0, 128, 255), more than classes = 2`);
    expect(c.err()).not.toContain('    at ');
  });

  it('rejects a bad --set with the field named', async () => {
    const c = capture();
    expect(await main(['run', 'scenarios/quickstart.yaml', '--set', 'network.dropoutProb=2'], c.io)).toBe(2);
    expect(c.err()).toContain('network.dropoutProb: must be ≤ 1, got 2');
  });

  it('emits a JSON Schema for scenario files', async () => {
    const c = capture();
    expect(await main(['schema'], c.io)).toBe(0);
    const schema = JSON.parse(c.out()) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['data', 'protocol', 'codec', 'network']));
  });

  it('each command has --help', async () => {
    for (const cmd of ['run', 'sweep']) {
      const c = capture();
      expect(await main([cmd, '--help'], c.io)).toBe(0);
      expect(c.out()).toContain(`Usage: splitwire ${cmd}`);
    }
  });
});

describe('splitwire doctor', () => {
  it('doctor lists every backend and what auto picks', async () => {
    const c = capture();
    expect(await main(['doctor'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^Node\.js v\d+/);
    for (const b of ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm']) expect(c.out()).toMatch(new RegExp(`  (ok|no) +${b}`));
    expect(c.out()).toContain("'auto' uses: ");
  });

  it('on a machine without the optional packages, says why each is missing and what to install', async () => {
    const c = capture();
    expect(await doctorCommand([], c.io, { importModule: importWithoutOptionalPackages })).toBe(0);
    expect(c.out()).toContain('  ok    wasm');
    expect(c.out()).toMatch(/ {2}no {4}webgpu: not installed/);
    expect(c.out()).toContain('to use it: npm install @tensorflow/tfjs-backend-webgpu@4.22 webgpu');
    expect(c.out()).toContain("'auto' uses: wasm");
  });
});

describe('sweep --cases', () => {
  it('reads a YAML list of mappings, and names the bad entry otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-cases-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, '- { codec.name: none }\n- { codec.name: hyperprior, codec.latent: 16 }\n');
    expect(readCases(good)).toEqual([{ 'codec.name': 'none' }, { 'codec.name': 'hyperprior', 'codec.latent': 16 }]);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- { codec.name: none }\n- 3\n');
    expect(() => readCases(bad)).toThrow(/--cases\[1\]: must be a mapping/);
    writeFileSync(bad, 'codec.name: none\n');
    expect(() => readCases(bad)).toThrow(/--cases: must be a non-empty YAML list/);
    expect(() => readCases(join(dir, 'missing.yaml'))).toThrow(/--cases: must be a readable YAML file/);
  });
});

describe('sweep grid', () => {
  it('enumerates every combination, first axis slowest', () => {
    expect(grid([{ path: 'a', values: [1, 2] }, { path: 'b', values: ['x', 'y'] }])).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(settingDir({ 'codec.lambda': 0.01, 'codec.name': 'quant' })).toBe('lambda=0.01_name=quant');
  });

  it('ranks settings on tail mean IoU (ties: fewer wire bytes), not on the last evaluation', () => {
    const row = (dir: string, meanIoU: number, tailMeanIoU: number | null, wireBytes: number): SweepRow => ({
      setting: {}, seed: 1, key: dir, dir, compressionRatio: 1, trafficRatio: 1, meanIoU, tailMeanIoU, trivialMeanIoU: 0.2, meanDice: null, rawBytes: 1, wireBytes, simulatedSeconds: 1, timeToAccuracy: [], rank: 0,
    });
    const rows = [row('lucky-last', 0.9, 0.7, 10), row('steady', 0.8, 0.8, 30), row('steady-cheaper', 0.8, 0.8, 20), row('none', 0.5, null, 1)];
    expect(rankRows(rows).map((r) => r.dir)).toEqual(['steady-cheaper', 'steady', 'lucky-last', 'none']);
    expect(rows.map((r) => r.rank)).toEqual([3, 2, 1, 4]); // in place, grid order kept
  });
});

describe('run banner: data lines', () => {
  it('prints the classes as read, each notice, the trivial score, and flags targets at or below it', () => {
    const text = dataBanner(
      {
        data: { kind: 'folder', classes: 2, classNames: ['background', 'foreground'], maskMode: 'binary', testSamples: 8 },
        notices: ['data.maskMode auto: every mask holds only the values 0 and 255; read as 2 classes'],
        trivial: { meanIoU: 0.782, class: 1 },
      },
      [0.7, 0.782, 0.8],
    );
    expect(text).toContain('  data: folder, 2 classes (background, foreground), masks read as binary, 8 test images\n');
    expect(text).toContain('  notice: data.maskMode auto: every mask holds only the values 0 and 255');
    expect(text).toContain("  trivial meanIoU 0.782 (every pixel 'foreground')");
    expect(text).toContain('  warning: targets IoU 0.7, 0.782 ≤ trivial meanIoU 0.782: reaching them means nothing\n');
    expect(text).not.toContain('0.8,');
  });
});
