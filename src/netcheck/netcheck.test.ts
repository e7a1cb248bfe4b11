/**
 * The kernel check, short form: runs when this machine allows network namespaces (root, ip,
 * tc, cc, /dev/net/tun) and the endpoint is built; otherwise the test is skipped and says why.
 */
import { describe, it, expect } from 'vitest';
import { quickCases } from './cases.js';
import { formatReport } from './report.js';
import { endpointScript, probeEnvironment, runNetworkCheck } from './runCheck.js';
import { predictConcurrent, predictFifo } from './predict.js';

const why = probeEnvironment() ?? (endpointScript() === null ? 'the endpoint is not built (npm run build)' : null);
if (why !== null) console.warn(`netcheck: kernel comparison skipped: ${why}`);

describe('model predictions for the testbed', () => {
  it('one flow: slow start on top of serialisation; four flows: the survivor speeds up', () => {
    const p = { rateMbps: 10, delayMs: 10, loss: 0 };
    const [one] = predictConcurrent(p, [1_000_008], 'cubic');
    expect(one).toBeGreaterThan(predictFifo(p, 1_000_008));
    const four = predictConcurrent(p, [250_008, 500_008, 1_000_008, 2_000_008], 'cubic');
    for (let i = 1; i < 4; i++) expect(four[i]!).toBeGreaterThan(four[i - 1]!);
    // The last one ends when the bottleneck has carried all four.
    expect(four[3]!).toBeGreaterThan((3_750_032 * 8) / 10e6);
  });
});

describe.skipIf(why !== null)('against the Linux kernel (short form)', () => {
  it('meets the targets on the quick cases', async () => {
    const report = await runNetworkCheck({ cases: quickCases() });
    console.log(formatReport(report));
    expect(report.status).toBe('passed');
    expect(report.rows.length).toBeGreaterThanOrEqual(6);
  }, 60_000);
});
