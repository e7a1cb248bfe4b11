import { describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTariff, parseTariff, unitBytes } from './tariff.js';
import { computeRoi } from './roi.js';

describe('parseTariff', () => {
  it('fills documented defaults', () => {
    const t = parseTariff({});
    expect(t).toMatchObject({ currency: 'USD', unit: 'GB', perGB: 0, billed: ['up', 'down'], plan: null, upgrade: null });
    expect(t.deployment).toEqual({ runsPerMonth: 1 });
    expect(t.compression).toEqual({ oneOff: 0, monthly: 0, computePerHour: 0, computePerHourByDevice: {} });
    expect(unitBytes(t)).toBe(1e9);
    expect(unitBytes(parseTariff({ unit: 'GiB' }))).toBe(2 ** 30);
  });

  it.each([
    [{ perGB: 'abc' }, 'tariff.perGB: must be a number ≥ 0, got "abc"'],
    [{ perGB: -1 }, 'tariff.perGB: must be a number ≥ 0, got -1'],
    [{ unit: 'MB' }, 'tariff.unit: must be one of GB, GiB, got "MB"'],
    [{ billed: ['sideways'] }, 'tariff.billed: must be a list of directions: up, down, got ["sideways"]'],
    [{ plan: { per: 'site' } }, 'tariff.plan.per: must be one of client, total, got "site"'],
    [{ plan: { includedGB: '10GB' } }, 'tariff.plan.includedGB: must be a number ≥ 0, got "10GB"'],
    [{ upgrade: { mbps: 0 } }, 'tariff.upgrade.mbps: must be a number > 0, got 0'],
    [{ compression: { computePerHourByDevice: { gpu: 'cheap' } } }, 'tariff.compression.computePerHourByDevice.gpu: must be a number ≥ 0, got "cheap"'],
    [{ deployment: { clients: 2.5 } }, 'tariff.deployment.clients: must be an integer ≥ 1, got 2.5'],
    [{ deployment: { runsPerMonth: 0 } }, 'tariff.deployment.runsPerMonth: must be a number > 0, got 0'],
    [{ perGb: 1 }, 'tariff.perGb: unknown field (known: name, currency, unit, perGB, billed, plan, upgrade, compression, deployment)'],
    [[1, 2], 'tariff: must be a mapping, got [1,2]'],
  ])('rejects %j', (doc, message) => {
    expect(() => parseTariff(doc)).toThrow(message);
  });
});

describe('loadTariff', () => {
  it('names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'splitwire-tariff-'));
    try {
      const path = join(dir, 't.yaml');
      await writeFile(path, 'perGB: abc\n');
      await expect(loadTariff(path)).rejects.toThrow(`${path}: tariff.perGB: must be a number ≥ 0, got "abc"`);
      await writeFile(path, 'perGB: [\n');
      await expect(loadTariff(path)).rejects.toThrow(`${path}: not valid YAML`);
      await expect(loadTariff(join(dir, 'none.yaml'))).rejects.toThrow(/cannot read tariff file \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['cloud-egress', 'cellular-4g', 'satellite', 'hospital-fiber-flat'])(
    'the shipped example %s.yaml is valid and prices the small log',
    async (name) => {
      const tariff = await loadTariff(`scenarios/tariffs/${name}.yaml`);
      expect(tariff.name).toMatch(/example/i);
      const roi = await computeRoi({ log: 'test/fixtures/roi/small/traffic.ndjson', tariff });
      expect(Number.isFinite(roi.savingsPerMonth)).toBe(true);
    },
  );

  it('counts the fiber upgrade as avoided only when the need exceeds the current line', async () => {
    const tariff = await loadTariff('scenarios/tariffs/hospital-fiber-flat.yaml');
    // small/: 1400 Mbps needed > 1000 Mbps current → the 10 Gbps upgrade is avoided: 2 × 2000 per month.
    const roi = await computeRoi({ log: 'test/fixtures/roi/small/traffic.ndjson', tariff });
    expect(roi.upgrade.priced).toMatchObject({ needed: true, enough: true, countAsSaving: true });
    expect(roi.upgradeAvoidedPerMonth).toBe(4000);
    // pilot/: 785.71 Mbps needed < 1000 Mbps → nothing avoided, nothing saved on a flat line.
    const pilot = await computeRoi({
      log: 'test/fixtures/roi/pilot/pilot.csv',
      baseline: 'test/fixtures/roi/pilot/pilot-baseline.csv',
      tariff,
    });
    expect(pilot.upgrade.priced).toMatchObject({ needed: false, countAsSaving: false });
    expect(pilot.upgradeAvoidedPerMonth).toBe(0);
    expect(pilot.transferSavingsPerMonth).toBe(0);
  });
});
