import { describe, expect, it } from 'vitest';
import { progressLine, statsTable } from './progressLine.js';
import { rowsCsv, statsCsv, sweepStats, type SweepRow } from './sweepTable.js';

const row = (codec: string, net: string, seed: number, iou: number, ratio: number): SweepRow => ({
  setting: { 'codec.name': codec, 'network.profile': net },
  seed,
  key: `${codec}-${net}-${seed}`,
  dir: `${codec}/${net}/seed=${seed}`,
  compressionRatio: ratio,
  trafficRatio: ratio * 0.9,
  meanIoU: iou,
  tailMeanIoU: iou,
  trivialMeanIoU: 0.2,
  meanDice: iou,
  rawBytes: 100,
  wireBytes: 100 / ratio,
  simulatedSeconds: 10 / ratio,
  timeToAccuracy: [{ meanIoU: 0.5, simulatedSeconds: seed === 3 ? null : 5 + seed }],
  rank: 0,
});

describe('sweepStats', () => {
  const rows = [
    ...[1, 2, 3].map((s) => row('none', 'lan', s, 0.6 + 0.1 * s, 1)),
    ...[1, 2, 3].map((s) => row('quant', 'lan', s, 0.6 + 0.1 * s - 0.005, 4)),
    ...[1, 2, 3].map((s) => row('quant', 'wan', s, 0.6 + 0.1 * s - 0.005 * s * s, 4)),
    row('quant', 'lan', 2, 0.1, 4), // the same seed again (a duplicate result): counted once
  ];
  const stats = sweepStats(rows, { path: 'codec.name', value: 'none' }, 0.02);

  it('one entry per setting, each seed once', () => {
    expect(stats.map((s) => s.setting)).toEqual([
      { 'codec.name': 'none', 'network.profile': 'lan' },
      { 'codec.name': 'quant', 'network.profile': 'lan' },
      { 'codec.name': 'quant', 'network.profile': 'wan' },
    ]);
    expect(stats[1]?.seeds).toEqual([1, 2, 3]);
    expect(stats[1]?.tailMeanIoU.mean).toBeCloseTo(0.795, 12);
    expect(stats[0]?.timeToAccuracy[0]?.simulatedSeconds.n).toBe(2);
  });

  it('pairs with the baseline of the same other axes, by seed', () => {
    expect(stats[0]?.baseline).toBeNull();
    expect(stats[1]?.baseline).toEqual({ 'codec.name': 'none', 'network.profile': 'lan' });
    expect(stats[1]?.iouDiffToBaseline?.mean).toBeCloseTo(-0.005, 12);
    expect(stats[1]?.withinTolerance).toBe(true);
    // No `none` on wan: no comparison rather than a wrong one.
    expect(stats[2]?.baseline).toBeNull();
    expect(stats[2]?.withinTolerance).toBeNull();
  });

  it('writes both tables', () => {
    const keys = ['codec.name', 'network.profile'];
    const csv = statsCsv(stats, keys).split('\n');
    expect(csv[0]).toContain('tailMeanIoU_mean,tailMeanIoU_lo,tailMeanIoU_hi');
    expect(csv[2]?.startsWith('quant,lan,1 2 3,0.795,')).toBe(true);
    expect(csv[2]?.endsWith(',true')).toBe(true);
    expect(rowsCsv(rows, keys).split('\n')[1]).toBe('none,lan,1,1,0.9,0.7,0.7,0.7,100,100,10,none/lan/seed=1,none-lan-1,0.2,0');
    expect(statsTable(stats, keys, 0.02)).toContain('-0.0050 ± 0.0000');
  });
});

describe('progressLine', () => {
  it('counts and an ETA from the finished points', () => {
    expect(progressLine({ total: 4, done: 1, running: 2, failed: 0, elapsedSeconds: 10 })).toBe(
      'sweep [#####---------------] 1/4 done · 2 running · 0 failed · ETA 30.0 s',
    );
    expect(progressLine({ total: 2, done: 0, running: 1, failed: 0, elapsedSeconds: 3 })).toContain('ETA –');
  });
});

describe('statsSection (report)', () => {
  it('a table from sweep.json stats, nothing from an older table', async () => {
    const { statsSection } = await import('./statsSection.js');
    expect(statsSection({ rows: [] })).toBeNull();
    const rows = [1, 2].flatMap((s) => [row('none', 'lan', s, 0.8, 1), row('quant', 'lan', s, 0.79 + 0.001 * s, 4)]);
    const stats = sweepStats(rows, { path: 'codec.name', value: 'none' }, 0.02);
    const t = statsSection({ stats, tolerance: 0.02, baseline: { 'codec.name': 'none' } });
    expect(t?.header).toEqual(['codec.name', 'network.profile', 'seeds', 'tail IoU', 'traffic ratio', 'compression ratio', 'simulated s', 'ΔIoU', 'within 0.02']);
    expect(t?.rows[1]?.slice(0, 3)).toEqual(['quant', 'lan', '2']);
    expect(t?.rows[1]?.[8]).toBe('yes');
    expect(t?.caption).toContain('codec.name=none');
  });
});

describe('sweepStats with --cases settings', () => {
  const caseRow = (setting: Record<string, unknown>, seed: number, iou: number): SweepRow => ({ ...row('x', 'lan', seed, iou, 2), setting });
  const none = { 'codec.name': 'none' };
  const hyper = { 'codec.name': 'hyperprior', 'codec.latent': 16, 'codec.freezeAfterRounds': 4 };
  const lan = { 'codec.name': 'quant', 'network.profile': 'lan' };
  const rows = [1, 2, 3].flatMap((s) => [caseRow(none, s, 0.9), caseRow(hyper, s, 0.9 - 0.001 * s), caseRow(lan, s, 0.8)]);
  const stats = sweepStats(rows, { path: 'codec.name', value: 'none' }, 0.02);

  it('pairs a case with the baseline case whose fields all agree with it', () => {
    expect(stats[1]?.baseline).toEqual({ ...hyper, 'codec.name': 'none' });
    expect(stats[1]?.iouDiffToBaseline?.mean).toBeCloseTo(-0.002, 12);
    expect(stats[1]?.withinTolerance).toBe(true);
  });

  it('has no baseline when the baseline case sets a field differently or not at all', () => {
    const other = sweepStats([...rows, ...[1, 2, 3].map((s) => caseRow({ 'codec.name': 'none', 'network.profile': 'wan' }, s, 0.7))], { path: 'codec.name', value: 'none' }, 0.02);
    // `none` fits hyper; `none` on wan does not (it sets a field hyper lacks).
    expect(other[1]?.iouDiffToBaseline?.mean).toBeCloseTo(-0.002, 12);
    // quant on lan: `none` fits (sets nothing else), `none` on wan does not.
    expect(other[2]?.iouDiffToBaseline?.mean).toBeCloseTo(-0.1, 12);
  });
});
