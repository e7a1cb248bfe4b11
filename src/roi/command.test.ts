import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRoiCommand } from './command.js';
import { parseRoiArgs, parseSizes, ROI_HELP } from './args.js';

const FIX = 'test/fixtures/roi';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'splitwire-roi-cmd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, out, err };
}

describe('parseRoiArgs', () => {
  it('parses every option', () => {
    const a = parseRoiArgs([
      'log.csv', '--tariff', 't.yaml', '--baseline', 'b.csv', '--scale', 'clients=200,rounds=50,samples=1e3,runsPerMonth=2',
      '--pilot', 'samples=100', '--sweep', 's.json', '--format', 'csv', '--baseline-format', 'parquet',
      '--server-nodes', 'hub, relay', '--out', 'o.json', '--json', '--no-timeline',
    ]);
    expect(a).toEqual({
      help: false, log: 'log.csv', tariff: 't.yaml', baseline: 'b.csv',
      scale: { clients: 200, rounds: 50, samples: 1000, runsPerMonth: 2 }, pilot: { samples: 100 },
      timeline: null, sweep: 's.json', format: 'csv', baselineFormat: 'parquet', serverNodes: ['hub', 'relay'],
      out: 'o.json', json: true,
    });
  });

  it.each([
    [['log'], '--tariff FILE is required'],
    [['--tariff', 't'], 'expected one traffic log, got none'],
    [['a', 'b', '--tariff', 't'], 'expected one traffic log, got a b'],
    [['a', '--tariff', 't', '--scale', 'clients=abc'], '--scale clients: must be a positive integer, got "abc"'],
    [['a', '--tariff', 't', '--scale', 'nodes=3'], '--scale: unknown key "nodes" (known: clients, rounds, samples, runsPerMonth)'],
    [['a', '--tariff', 't', '--pilot', 'runsPerMonth=3'], '--pilot: unknown key "runsPerMonth"'],
    [['a', '--tariff', 't', '--format', 'xml'], '--format: must be one of ndjson, csv, parquet, got "xml"'],
    [['a', '--tariff', 't', '--out', 'roi.txt'], '--out: must name a .json file'],
    [['a', '--tariff', 't', '--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j', (argv, message) => {
    expect(() => parseRoiArgs(argv)).toThrow(message);
  });

  it('parses sizes', () => {
    expect(parseSizes('clients=3, rounds=4', '--x', ['clients', 'rounds'])).toEqual({ clients: 3, rounds: 4 });
  });
});

describe('runRoiCommand', () => {
  it('prints help that lists every option it parses', async () => {
    const { io, out } = capture();
    expect(await runRoiCommand(['--help'], io)).toBe(0);
    expect(out.join('')).toBe(ROI_HELP);
    for (const flag of ['--tariff', '--baseline', '--scale', '--pilot', '--timeline', '--no-timeline', '--sweep', '--format', '--baseline-format', '--server-nodes', '--out', '--json']) {
      expect(ROI_HELP).toContain(flag);
    }
  });

  it('exits 2 on bad usage without a stack', async () => {
    const { io, err } = capture();
    expect(await runRoiCommand(['x.ndjson'], io)).toBe(2);
    expect(err.join('')).toMatch(/^splitwire: roi: --tariff FILE is required/);
  });

  it('writes JSON and its Markdown twin with --out, and prints the Markdown', async () => {
    const out = join(dir, 'nested', 'roi.json');
    const cap = capture();
    const code = await runRoiCommand(
      [`${FIX}/small/traffic.ndjson`, '--tariff', `${FIX}/egress.yaml`, '--sweep', `${FIX}/sweep/sweep.json`, '--out', out],
      cap.io,
    );
    expect(code).toBe(0);
    const json = JSON.parse(await readFile(out, 'utf8'));
    expect(json.baseline.bytes).toBe(8.4e9);
    expect(json.compressed.bytes).toBe(1e9);
    expect(json.savingsPerMonth).toBe(6455.89);
    expect(json.paybackMonths).toBe(3.1);
    expect(json.upgradeBandwidthMbps).toBe(1400);
    const md = await readFile(join(dir, 'nested', 'roi.md'), 'utf8');
    expect(cap.out.join('')).toBe(md);
    expect(md).toContain('| Savings per month | USD 6,455.89 |');
    expect(md).toContain('| Payback | 3.1 months |');
    expect(md).toContain('## Sensitivity to the rate–accuracy choice');
    expect(md).toContain('| codec.lambda=0.1 | 26.7× | 0.74 | – | 14.0 TB | USD 6,830.00 | 2.93 months |'); // tail IoU: not in this older sweep.json
    expect(md).toContain('## Assumptions');
    // no temporaries left behind
    expect((await readdir(join(dir, 'nested'))).sort()).toEqual(['roi.json', 'roi.md']);
  });

  it('leaves an existing output untouched when the second file cannot be written', async () => {
    const target = join(dir, 'clash');
    await mkdir(join(target, 'roi.md'), { recursive: true }); // a folder where the .md must go
    const cap = capture();
    const code = await runRoiCommand(
      [`${FIX}/small/traffic.ndjson`, '--tariff', `${FIX}/egress.yaml`, '--out', join(target, 'roi.json')],
      cap.io,
    );
    expect(code).toBe(2);
    expect(cap.err.join('')).toContain('roi.md: cannot write, it is not a plain file');
    expect(await readdir(target)).toEqual(['roi.md']);
  });

  it('prints JSON with --json', async () => {
    const cap = capture();
    expect(await runRoiCommand([`${FIX}/small/traffic.ndjson`, '--tariff', `${FIX}/egress.yaml`, '--json'], cap.io)).toBe(0);
    expect(JSON.parse(cap.out.join('')).splitwire).toBe('roi/1');
  });
});
