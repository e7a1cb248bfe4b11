import { describe, it, expect } from 'vitest';
import { computeRoi } from './roi.js';
import { loadTariff, parseTariff } from './tariff.js';

const FIX = 'test/fixtures/roi';

describe('computeRoi on the small simulator log (hand-computed)', () => {
  // small/traffic.ndjson: 2 clients, 1 round. Per client: weights.down 1e8 (raw = wire),
  // features.s1 raw 2e9 → wire 1e8, gradients.s1 raw 2e9 → wire 2e8, weights.up 1e8.
  // Per run: baseline down = 2×(1e8 + 2e9) = 4.2e9; compressed down = 2×(1e8 + 2e8) = 6e8.
  // Tariff egress.yaml: 0.09/GB on "down", 200 clients × 50 rounds, 4 runs/month:
  // scale = (200/2)·(50/1) = 5000 per run, × 4 runs = 20000 per month.
  it('matches the hand-computed savings and payback to the cent', async () => {
    const roi = await computeRoi({ log: `${FIX}/small/traffic.ndjson`, tariff: await loadTariff(`${FIX}/egress.yaml`) });
    expect(roi.baseline.bytes).toBe(8_400_000_000);
    expect(roi.compressed.bytes).toBe(1_000_000_000);
    // 4.2e9 × 20000 = 8.4e13 B = 84,000 GB × 0.09 = 7,560.00
    expect(roi.baseline.transferCostPerMonth).toBe(7560);
    // 6e8 × 20000 = 1.2e13 B = 12,000 GB × 0.09 = 1,080.00
    expect(roi.compressed.transferCostPerMonth).toBe(1080);
    expect(roi.transferSavingsPerMonth).toBe(6480);
    // Codec compute (timeline.ndjson): edge-cpu 2×(0.8 + 0.7) = 3.0 s, server-gpu 2×(0.2 + 0.3) = 1.0 s per run.
    // edge: 3.0 × 20000 / 3600 = 16.667 h × 0.18 = 3.00; gpu: 1.0 × 20000 / 3600 = 5.556 h × 2.00 = 11.11.
    expect(roi.compression.computeCostPerMonth).toBe(14.11);
    // 6480 − (10 + 3 + 11.1111) = 6455.8889 → 6,455.89
    expect(roi.savingsPerMonth).toBe(6455.89);
    // 20000 / 6455.8889 = 3.098 → 3.10 months
    expect(roi.paybackMonths).toBe(3.1);
    // Link busy per client: up = features 8 s + weights.up 8 s = 16 s for raw 2.1e9 B → 1050 Mbps;
    // down = weights.down 4 s + gradients 8 s = 12 s for raw 2.1e9 B → 1400 Mbps.
    expect(roi.upgrade.neededMbps).toEqual({ up: 1050, down: 1400 });
    expect(roi.upgrade.pilotMbps).toEqual({ up: 100, down: 200 });
    expect(roi.upgradeBandwidthMbps).toBe(1400);
    expect(roi.pilot).toMatchObject({ clients: 2, rounds: 1, messages: 8 });
    expect(roi.deployment).toMatchObject({ clients: 200, rounds: 50, runsPerMonth: 4 });
    const features = roi.traffic.find((t) => t.kind === 'features.s1')!;
    expect(features).toEqual({
      direction: 'up',
      kind: 'features.s1',
      baselineBytesPerMonth: 8e13,
      compressedBytesPerMonth: 4e12,
      savedBytesPerMonth: 7.6e13,
    });
    expect(roi.assumptions.join('\n')).toMatch(/clients × rounds × samples/);
  });

  it('scales split tensors with samples per client but weights only with clients × rounds', async () => {
    const tariff = parseTariff({ perGB: 1, billed: ['up', 'down'], deployment: { runsPerMonth: 1 } });
    const roi = await computeRoi({
      log: `${FIX}/small/traffic.ndjson`,
      tariff,
      timeline: null,
      pilot: { samples: 100 },
      scale: { samples: 300 },
    });
    // Compressed per run: split tensors 2×(1e8 + 2e8) = 6e8 (× 3), weights 2×(1e8 + 1e8) = 4e8 (× 1).
    expect(roi.compressed.bytesPerMonth).toBe(6e8 * 3 + 4e8);
    expect(roi.scale).toEqual({ splitTensors: 3, other: 1 });
    // Baseline: (8e9 × 3 + 4e8) B = 24.4 GB at 1/GB; compressed 2.2 GB → 22.20 saved, no costs.
    expect(roi.savingsPerMonth).toBe(22.2);
    expect(roi.paybackMonths).toBe(0);
  });

  it('says "never" (null) when compression costs more than it saves', async () => {
    const tariff = parseTariff({ perGB: 0.0001, compression: { oneOff: 100, monthly: 50 } });
    const roi = await computeRoi({ log: `${FIX}/small/traffic.ndjson`, tariff, timeline: null });
    expect(roi.savingsPerMonth).toBeLessThan(0);
    expect(roi.paybackMonths).toBeNull();
  });

  it('counts an avoided upgrade as savings when the tariff says so', async () => {
    const tariff = parseTariff({
      perGB: 0,
      plan: { per: 'client', monthlyFee: 300, includedGB: 'unlimited' },
      upgrade: { oneOffPerClient: 1000, monthlyPerClient: 200, mbps: 1000, countAsSaving: true },
      compression: { oneOff: 5000, monthly: 100 },
    });
    const roi = await computeRoi({ log: `${FIX}/small/traffic.ndjson`, tariff, timeline: null });
    // Flat plan: no transfer saving. Avoided: 2 clients × 200 = 400/month, 2 × 1000 = 2000 once.
    expect(roi.transferSavingsPerMonth).toBe(0);
    expect(roi.upgradeAvoidedPerMonth).toBe(400);
    expect(roi.savingsPerMonth).toBe(300);
    // (5000 − 2000) / 300 = 10 months
    expect(roi.paybackMonths).toBe(10);
    // 1000 Mbps is below the 1400 Mbps needed
    expect(roi.upgrade.priced).toMatchObject({ mbps: 1000, enough: false, oneOff: 2000, perMonth: 400 });
  });
});

describe('computeRoi on a pilot CSV with a baseline CSV (hand-computed)', () => {
  // pilot.csv per run: up = 2×2e7 + 2×5e7 = 1.4e8, down = 2×5e7 = 1e8 → 2.4e8.
  // pilot-baseline.csv per run: up = 2×5e8 + 2×5e7 = 1.1e9, down = 1e8 → 1.2e9.
  // --scale clients=10: (10/2)·(1/1) = 5 per run, 10 runs/month → × 50.
  // Plan per client: 25/month, 2 GB included, 8 per GB over; billed up and down.
  it('prices a per-client capped plan and pays back to the cent', async () => {
    const roi = await computeRoi({
      log: `${FIX}/pilot/pilot.csv`,
      baseline: `${FIX}/pilot/pilot-baseline.csv`,
      tariff: await loadTariff(`${FIX}/pilot/cellular.yaml`),
      scale: { clients: 10 },
    });
    expect(roi.baseline.bytes).toBe(1.2e9);
    expect(roi.compressed.bytes).toBe(2.4e8);
    // Baseline: 1.2e9 × 50 = 60 GB, 6 GB per client: 10 × (25 + 4 × 8) = 570.00
    expect(roi.baseline.transferCostPerMonth).toBe(570);
    // Compressed: 2.4e8 × 50 = 12 GB, 1.2 GB per client, under the cap: 10 × 25 = 250.00
    expect(roi.compressed.transferCostPerMonth).toBe(250);
    expect(roi.savingsPerMonth).toBe(320);
    // 1500 / 320 = 4.6875 → 4.69
    expect(roi.paybackMonths).toBe(4.69);
    expect(roi.currency).toBe('EUR');
    // Busy up per client: features 1.6 s + weights.up 4 s = 5.6 s for baseline 5.5e8 B → 785.71 Mbps;
    // down: 4 s for 5e7 B → 100 Mbps.
    expect(roi.upgrade.neededMbps).toEqual({ up: 785.71, down: 100 });
    expect(roi.upgradeBandwidthMbps).toBe(785.71);
  });

  it('requires a baseline when the CSV has no raw_bytes, and says so', async () => {
    await expect(
      computeRoi({ log: `${FIX}/pilot/pilot.csv`, tariff: await loadTariff(`${FIX}/pilot/cellular.yaml`) }),
    ).rejects.toThrow(/no raw_bytes .* pass --baseline/);
  });
});

describe('computeRoi with a sweep', () => {
  it('prices every setting (hand-computed)', async () => {
    const roi = await computeRoi({
      log: `${FIX}/small/traffic.ndjson`,
      tariff: await loadTariff(`${FIX}/egress.yaml`),
      sweep: `${FIX}/sweep/sweep.json`,
    });
    // Sweep rows have no timeline: savings = transfer savings − 10 (monthly).
    // λ=0.01: 7560 − 1080 − 10 = 6470.00, payback 20000/6470 = 3.09.
    // λ=0.1: compressed down 2×(1e8 + 1e8) = 4e8 × 20000 = 8000 GB → 720; 7560 − 720 − 10 = 6830.00, 2.93.
    expect(roi.sensitivity).toEqual([
      {
        setting: { 'codec.lambda': 0.01 },
        dir: 'lambda=0.01',
        compressionRatio: 13.33,
        meanIoU: 0.81,
        tailMeanIoU: null,
        compressedBytesPerMonth: 2e13,
        savingsPerMonth: 6470,
        paybackMonths: 3.09,
      },
      {
        setting: { 'codec.lambda': 0.1 },
        dir: 'lambda=0.1',
        compressionRatio: 26.67,
        meanIoU: 0.74,
        tailMeanIoU: null,
        compressedBytesPerMonth: 1.4e13,
        savingsPerMonth: 6830,
        paybackMonths: 2.93,
      },
    ]);
  });
});
