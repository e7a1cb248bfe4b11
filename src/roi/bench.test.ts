import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticLog } from './bench.js';
import { computeRoi } from './roi.js';
import { parseTariff } from './tariff.js';

describe('the ROI benchmark log', () => {
  it('has exactly the requested lines and is priced end to end (small size here; 1M in the bench)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'splitwire-roi-bench-test-'));
    try {
      const { traffic } = await writeSyntheticLog(dir, 20_000);
      expect((await readFile(traffic, 'utf8')).trimEnd().split('\n')).toHaveLength(20_000);
      const roi = await computeRoi({ log: traffic, tariff: parseTariff({ perGB: 0.09, billed: ['down'] }) });
      expect(roi.pilot.messages).toBe(20_000);
      expect(roi.pilot.clients).toBe(40);
      expect(roi.compression.computeHoursPerMonth).toBeGreaterThan(0);
      expect(roi.compressed.bytes).toBeLessThan(roi.baseline.bytes);
      expect(roi.upgradeBandwidthMbps).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
