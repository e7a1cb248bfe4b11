import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDuck } from './duck.js';
import { loadTrafficLog } from './traffic.js';
import { kindBytes } from './queries.js';
import { runRoiCommand } from './command.js';
import { computeRoi } from './roi.js';
import { loadTariff, parseTariff } from './tariff.js';

const FIX = 'test/fixtures/roi';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'splitwire-roi-traffic-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, out, err };
}

describe('pilot CSV validation', () => {
  it('names the file, line and field of the first bad cell', async () => {
    await expect(
      withDuck((db) => loadTrafficLog(db, `${FIX}/bad/pilot.csv`, { table: 't' })),
    ).rejects.toThrow(`${FIX}/bad/pilot.csv:7: bytes: must be a non-negative integer, got "12x"`);
  });

  it('writes nothing when the log is bad, and exits 1 with the message', async () => {
    const target = join(dir, 'bad-run');
    const { io, err } = capture();
    const code = await runRoiCommand(
      [`${FIX}/bad/pilot.csv`, '--tariff', `${FIX}/egress.yaml`, '--out', join(target, 'roi.json')],
      io,
    );
    expect(code).toBe(2);
    expect(err.join('')).toContain('pilot.csv:7: bytes: must be a non-negative integer, got "12x"');
    await expect(readdir(target)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    ['timestamp', 'yesterday', 'timestamp: must be an ISO-8601 time or a number of seconds, got "yesterday"'],
    ['source', '', 'source: must be a non-empty node name, got ""'],
    ['round', '1.5', 'round: must be a non-negative integer, got "1.5"'],
    ['duration', '-2', 'duration: must be a number of seconds ≥ 0, got "-2"'],
  ])('rejects a bad %s', async (column, value, message) => {
    const header = ['timestamp', 'source', 'destination', 'bytes', 'kind', 'round', 'duration'];
    const good = ['12.5', 'hospital-a', 'server', '100', 'features', '0', '0.5'];
    const bad = header.map((h, i) => (h === column ? value : good[i]!));
    const path = join(dir, `bad-${column}.csv`);
    await writeFile(path, [header, good, good, bad].map((r) => r.join(',')).join('\n') + '\n');
    await expect(withDuck((db) => loadTrafficLog(db, path, { table: 't' }))).rejects.toThrow(`${path}:4: ${message}`);
  });

  it('lists the columns a pilot log needs when one is missing', async () => {
    const path = join(dir, 'missing.csv');
    await writeFile(path, 'timestamp,source,destination,kind\n1,a,server,features\n');
    await expect(withDuck((db) => loadTrafficLog(db, path, { table: 't' }))).rejects.toThrow(
      /missing column bytes \(a pilot log needs timestamp, source, destination, bytes, kind/,
    );
  });

  it('accepts ISO and numeric timestamps and ignores extra columns (listed in the assumptions)', async () => {
    const path = join(dir, 'extra.csv');
    await writeFile(
      path,
      'timestamp,source,destination,bytes,kind,raw_bytes,note\n' +
        '2024-03-01T10:00:00Z,hospital-a,server,10,features,40,first\n' +
        '1709287201.5,server,hospital-a,20,gradients,80,second\n',
    );
    const roi = await computeRoi({ log: path, tariff: parseTariff({ perGB: 1 }), timeline: null });
    expect(roi.baseline.bytes).toBe(120);
    expect(roi.compressed.bytes).toBe(30);
    expect(roi.assumptions.join('\n')).toContain('Columns ignored in');
    expect(roi.upgradeBandwidthMbps).toBeNull();
  });
});

describe('simulator NDJSON and Parquet logs', () => {
  it('reports a bad NDJSON line with its field', async () => {
    const path = join(dir, 'bad.ndjson');
    const line = (wire: number): string =>
      JSON.stringify({ seq: 0, round: 0, step: 0, src: 'client-0', dst: 'server', kind: 'features.s1', codec: 'none', rawBytes: 4, wireBytes: wire, sendTime: 0, recvTime: 1, retransmissions: 0, dropped: false });
    await writeFile(path, [line(4), line(4), line(-3)].join('\n') + '\n');
    await expect(withDuck((db) => loadTrafficLog(db, path, { table: 't' }))).rejects.toThrow(
      `${path}:3: wireBytes: must be a non-negative integer, got -3`,
    );
  });

  it('reads Parquet exports with the simulator columns and with the pilot columns alike', async () => {
    const sim = join(dir, 'small.parquet');
    const pilot = join(dir, 'pilot.parquet');
    await withDuck(async (db) => {
      await db.exec(`COPY (SELECT * FROM read_json('${FIX}/small/traffic.ndjson')) TO '${sim}' (FORMAT parquet)`);
      await db.exec(
        `COPY (SELECT * FROM read_csv('${FIX}/pilot/pilot.csv', header = true)) TO '${pilot}' (FORMAT parquet)`,
      );
    });
    const tariff = await loadTariff(`${FIX}/egress.yaml`);
    const fromParquet = await computeRoi({ log: sim, tariff, timeline: `${FIX}/small/timeline.ndjson` });
    const fromNdjson = await computeRoi({ log: `${FIX}/small/traffic.ndjson`, tariff });
    expect(fromParquet.savingsPerMonth).toBe(fromNdjson.savingsPerMonth);
    expect(fromParquet.upgradeBandwidthMbps).toBe(fromNdjson.upgradeBandwidthMbps);
    const kinds = await withDuck(async (db) => kindBytes(db, await loadTrafficLog(db, pilot, { table: 'p' })));
    expect(kinds.map((k) => [k.direction, k.kind, k.wireBytes])).toEqual([
      ['down', 'weights.down', 1e8],
      ['up', 'features', 4e7],
      ['up', 'weights.up', 1e8],
    ]);
  });

  it('classifies directions by the server-side node names', async () => {
    const kinds = await withDuck(async (db) =>
      kindBytes(db, await loadTrafficLog(db, `${FIX}/pilot/pilot.csv`, { table: 't', serverNodes: ['hospital-a'] })),
    );
    // Only messages to or from hospital-a are now "server side"; hospital-b ↔ server is "internal" (neither up nor down).
    const other = kinds.filter((k) => k.direction === 'internal').reduce((n, k) => n + k.messages, 0);
    expect(other).toBe(3);
  });
});
