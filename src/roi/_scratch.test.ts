import { it } from 'vitest';
import { computeRoi } from './roi.js';
import { loadTariff } from './tariff.js';
it('scratch', async () => {
  const t0 = performance.now();
  const r = await computeRoi({ log: 'test/fixtures/roi/small/traffic.ndjson', tariff: await loadTariff('test/fixtures/roi/egress.yaml') });
  console.log(JSON.stringify(r, null, 1), performance.now() - t0);
});
