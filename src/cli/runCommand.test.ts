import { describe, expect, it } from 'vitest';
import { validateScenario } from '../scenario/load.js';
import { networkBanner } from './runCommand.js';

describe('run banner', () => {
  it("prints client 0's resolved links and the network model, saying when network.server chose flow", () => {
    expect(networkBanner(validateScenario({ network: { uplink: { bandwidthMbps: 50 } } }))).toBe(
      '  network model fifo; client 0 uplink 50 Mbit/s, 5 ms ± 0.5 ms, downlink 100 Mbit/s, 5 ms ± 0.5 ms',
    );
    expect(networkBanner(validateScenario({ network: { profile: 'rural-4g', server: { uplinkMbps: 100, downlinkMbps: 100 } } }))).toBe(
      '  network model flow (network.server is set); client 0 uplink 5 Mbit/s, 40 ms ± 10 ms, loss 0.5 %, downlink 20 Mbit/s, 40 ms ± 10 ms, loss 0.5 %',
    );
  });
});
