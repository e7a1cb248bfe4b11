import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDuck } from '../roi/index.js';
import { bytesPerRound, readSummary, roundTimeline, runsOf } from './data.js';

const RUN = 'test/fixtures/report/run';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'splitwire-report-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report data', () => {
  it('reads the summary fields the charts use', async () => {
    const s = await readSummary(join(RUN, 'summary.json'));
    expect(s).toMatchObject({ scenario: 'report-fixture', codec: 'quant 8-bit', clients: 3, finalMeanIoU: 0.71 });
    expect(s!.rounds.map((r) => r.round)).toEqual([0, 1, 2]);
    expect(await readSummary(join(dir, 'none.json'))).toBeNull();
  });

  it('sums bytes per round, kind and direction', async () => {
    const rows = await withDuck((db) => bytesPerRound(db, join(RUN, 'traffic.ndjson'), 'run'));
    const r0 = rows.filter((r) => r.round === 0);
    expect(r0.find((r) => r.kind === 'features.s1')).toMatchObject({ direction: 'up', messages: 6 });
    expect(r0.find((r) => r.kind === 'weights.down')).toMatchObject({ direction: 'down', messages: 3, wireBytes: 3 * 93348 });
  });

  it('lays out one round of compute and messages, trimmed to the first bars by start time', async () => {
    const full = await withDuck((db) => roundTimeline(db, { label: 'run', dir: RUN }, 1, 10_000));
    expect(full!.round).toBe(1);
    expect(full!.bars.length).toBe(full!.total);
    expect(new Set(full!.bars.map((b) => b.lane))).toContain('client-2 ↑');
    const cut = await withDuck((db) => roundTimeline(db, { label: 'run', dir: RUN }, 1, 5));
    expect(cut!.bars).toHaveLength(5);
    expect(cut!.total).toBe(full!.total);
    const starts = cut!.bars.map((b) => b.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(await withDuck((db) => roundTimeline(db, { label: 'run', dir: RUN }, 99, 10))).toBeNull();
  });

  it('tells a run folder from a sweep folder, and names what is missing', async () => {
    expect((await runsOf(RUN)).kind).toBe('run');
    const sweep = await runsOf('test/fixtures/report/sweep');
    expect(sweep.kind).toBe('sweep');
    expect(sweep.runs.map((r) => r.label)).toEqual(['codec.lambda=0.001', 'codec.lambda=0.01', 'codec.lambda=0.1']);
    await writeFile(join(dir, 'notes.txt'), 'x');
    await expect(runsOf(dir)).rejects.toThrow(/not a run folder/);
  });
});
