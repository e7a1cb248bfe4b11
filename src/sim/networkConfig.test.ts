import { describe, it, expect } from 'vitest';
import { availabilityFromConfig, networkSpecFromConfig, type NetworkConfigInput } from './networkConfig.js';
import { Network } from './network.js';
import { Rng } from './rng.js';
import { TraceFiles } from './traceFiles.js';

const base: NetworkConfigInput = { mode: 'reliable', mtuBytes: 1500, rtoMs: 200, dropoutProb: 0, congestionControl: 'cubic' };
const link = { bandwidthMbps: 10, latencyMs: 20, jitterMs: 0, loss: 0.01 };

describe('networkSpecFromConfig', () => {
  it('turns burst lengths into Gilbert chains, reads the shipped traces, and selects the flow model with a server', () => {
    const files = new TraceFiles();
    const spec = networkSpecFromConfig(
      {
        ...base,
        server: { uplinkMbps: 100, downlinkMbps: 50, latencyMs: 2, loss: 0 },
        availability: { schedule: 'scenarios/traces/availability-example.txt', crashProb: 0.1, stragglerFraction: 0, stragglerSlowdown: 1 },
      },
      2,
      (k) => ({
        uplink: { ...link, burstLength: 4, bandwidthTrace: { file: 'scenarios/traces/lte-rural-up.mahi', format: 'mahimahi', offsetS: 7 * k } },
        downlink: { ...link, latencyTrace: 'scenarios/traces/rtt-cellular.txt' },
      }),
      files,
    );
    const up = spec.clients[0]!.uplink;
    expect(up.burst?.pBadToGood).toBeCloseTo(0.25, 12);
    expect(up.bandwidthTrace?.meanBps).toBeGreaterThan(1e6);
    expect(spec.clients[1]!.downlink.latencyTrace?.oneWayAt(0)).toBeGreaterThan(0.01);
    expect(spec.tcp?.congestionControl).toBe('cubic');
    const net = new Network(spec, new Rng(1));
    expect(net.isFlowModel).toBe(true);
    net.startTransfer('client-1', 'server', 200_000, 0, undefined, 0);
    let done = 0;
    for (let i = 0; i < 10_000 && done === 0; i++) done += net.advanceTo(net.nextEventTime() as number).length;
    expect(done).toBe(1);
    const avail = availabilityFromConfig({ ...base, availability: { schedule: 'scenarios/traces/availability-example.txt', crashProb: 0.1, stragglerFraction: 0, stragglerSlowdown: 1 } }, files);
    expect(avail.crashProb).toBe(0.1);
    expect(avail.schedule?.isOn(0, 950)).toBe(false); // the all-client outage at 900–960 s
  });

  it('names a missing trace file', () => {
    expect(() =>
      networkSpecFromConfig(base, 1, () => ({ uplink: { ...link, latencyTrace: 'nope.txt' }, downlink: link })),
    ).toThrow('network.clients[0].uplink.latencyTrace: cannot read trace "nope.txt"');
  });
});
