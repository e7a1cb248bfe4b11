import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network } from '../sim/network.js';
import { networkSpecFromConfig } from '../sim/networkConfig.js';
import { Rng } from '../sim/rng.js';
import { TraceFiles } from '../sim/traceFiles.js';
import { ScenarioError } from './errors.js';
import { validateScenario } from './load.js';
import { NETWORK_PROFILES } from './networkProfiles.js';
import { accessLinks, clientLinks, describeLink, linkReport, networkModel, resolvedNetworkConfig } from './resolveNetwork.js';

const trace = { file: 'scenarios/traces/lte-rural-up.mahi', format: 'mahimahi' } as const;

function problems(tree: unknown): string[] {
  try {
    validateScenario(tree);
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  return [];
}

describe('link overrides merge field by field', () => {
  it("a network-wide override keeps the profile's other fields (the README's own example)", () => {
    const s = validateScenario({ network: { profile: 'hospital-fiber', uplink: { bandwidthMbps: 50 } } });
    expect(clientLinks(s, 0).uplink).toEqual({ bandwidthMbps: 50, latencyMs: 5, jitterMs: 0.5, loss: 0 });
    expect(clientLinks(s, 0).downlink).toEqual({ bandwidthMbps: 100, latencyMs: 5, jitterMs: 0.5, loss: 0 });
  });

  it('profile, then network-wide, then per-client: each layer replaces only the fields it states', () => {
    const s = validateScenario({
      protocol: { clients: 3 },
      network: {
        profile: 'rural-4g',
        uplink: { jitterMs: 2 },
        downlink: { bandwidthMbps: 8 },
        perClient: [{}, { uplink: { loss: 0.01 }, downlink: { latencyMs: 60 } }],
      },
    });
    expect(clientLinks(s, 0).uplink).toEqual({ bandwidthMbps: 5, latencyMs: 40, jitterMs: 2, loss: 0.005 });
    expect(clientLinks(s, 1).uplink).toEqual({ bandwidthMbps: 5, latencyMs: 40, jitterMs: 2, loss: 0.01 });
    expect(clientLinks(s, 1).downlink).toEqual({ bandwidthMbps: 8, latencyMs: 60, jitterMs: 10, loss: 0.005 });
    // No per-client entry at all: the network-wide layer.
    expect(clientLinks(s, 2)).toEqual(clientLinks(s, 0));
  });

  it('rural-4g with a bandwidth trace keeps 40 ms, 10 ms jitter and 0.5 % loss', () => {
    const s = validateScenario({ network: { profile: 'rural-4g', uplink: { bandwidthTrace: trace } } });
    const up = clientLinks(s, 0).uplink;
    expect(up).toMatchObject({ latencyMs: 40, jitterMs: 10, loss: 0.005 });
    expect(up.bandwidthTrace).toEqual({ ...trace, offsetS: 0, binMs: 50 });
    expect(linkReport(up)).toEqual({
      bandwidthMbps: null,
      bandwidthTrace: trace.file,
      latencyMs: 40,
      latencyTrace: null,
      jitterMs: 10,
      loss: 0.005,
      burstLength: null,
    });
    // And the built link simulates those values.
    const spec = networkSpecFromConfig(resolvedNetworkConfig(s), 1, (k) => clientLinks(s, k), new TraceFiles());
    expect(spec.clients[0]!.uplink).toMatchObject({ latencyMs: 40, jitterMs: 10, loss: 0.005 });
    expect(spec.clients[0]!.uplink.bandwidthTrace?.meanBps).toBeGreaterThan(0);
  });

  it('a layer that states a fixed rate or latency drops the trace it inherits', () => {
    const s = validateScenario({
      protocol: { clients: 2 },
      network: {
        profile: 'satellite',
        uplink: { bandwidthTrace: trace, latencyTrace: 'scenarios/traces/rtt-cellular.txt', burstLength: 3 },
        perClient: [{ uplink: { bandwidthMbps: 2, latencyMs: 250 } }],
      },
    });
    expect(clientLinks(s, 0).uplink).toEqual({ bandwidthMbps: 2, latencyMs: 250, jitterMs: 20, loss: 0.01, burstLength: 3 });
    expect(clientLinks(s, 1).uplink.bandwidthTrace?.file).toBe(trace.file);
    expect(clientLinks(s, 1).uplink.latencyTrace).toBe('scenarios/traces/rtt-cellular.txt');
  });

  it('the simulated one-way delay of a partially overridden link is the profile latency', () => {
    const s = validateScenario({ network: { profile: 'hospital-fiber', uplink: { bandwidthMbps: 50 } } });
    const net = new Network(networkSpecFromConfig(resolvedNetworkConfig(s), 1, (k) => clientLinks(s, k)), new Rng(7));
    const extra: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = i * 10; // far apart: no queueing
      const d = net.send('client-0', 'server', 10_000, t);
      extra.push((d.arrivalTime as number) - t - (10_000 * 8) / 50e6);
    }
    extra.sort((a, b) => a - b);
    const median = extra[100] as number;
    expect(extra[0]).toBeGreaterThanOrEqual(0.004);
    expect(median).toBeGreaterThan(0.0045);
    expect(median).toBeLessThan(0.0065); // 5 ms plus jitter, not the schema's old 10 ms
  });

  it('the federator inherits its access link field by field from the server', () => {
    const s = validateScenario({ network: { server: { uplinkMbps: 200, downlinkMbps: 100, latencyMs: 2 }, federator: { downlinkMbps: 20 } } });
    expect(accessLinks(s).federator).toEqual({ uplinkMbps: 200, downlinkMbps: 20, latencyMs: 2, loss: 0 });
    expect(networkModel(s)).toBe('flow');
    expect(networkModel(validateScenario({}))).toBe('fifo');
    expect(problems({ network: { model: 'flow', federator: { uplinkMbps: 5 } } })).toEqual([
      'network.federator.downlinkMbps: must be set when network.server is not (nothing to inherit it from), got nothing',
    ]);
  });

  it('property: every field is the most specific layer that states it (per-client, network-wide, profile)', () => {
    const fields = {
      bandwidthMbps: fc.double({ min: 0.1, max: 1000, noNaN: true }),
      latencyMs: fc.double({ min: 0, max: 500, noNaN: true }),
      jitterMs: fc.double({ min: 0, max: 50, noNaN: true }),
      loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
      burstLength: fc.double({ min: 1, max: 10, noNaN: true }),
    };
    const layer = fc.record(fields, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(NETWORK_PROFILES)), layer, layer, fc.boolean(), (profile, global, own, up) => {
        const dir = up ? 'uplink' : 'downlink';
        const s = validateScenario({ protocol: { clients: 2 }, network: { profile, [dir]: global, perClient: [{ [dir]: own }] } });
        const base = NETWORK_PROFILES[profile]![dir] as unknown as Record<string, number | undefined>;
        for (const k of [0, 1]) {
          const got = clientLinks(s, k)[dir] as unknown as Record<string, number | undefined>;
          for (const f of Object.keys(fields) as Array<keyof typeof fields>) {
            const want = (k === 0 ? own[f] : undefined) ?? global[f] ?? base[f];
            if (got[f] !== want) throw new Error(`client ${k} ${dir}.${f}: got ${got[f]}, want ${want}`);
          }
        }
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('describes a link for the banner', () => {
    const s = validateScenario({ network: { profile: 'rural-4g', uplink: { burstLength: 4 } } });
    expect(describeLink(linkReport(clientLinks(s, 0).uplink))).toBe('5 Mbit/s, 40 ms ± 10 ms, loss 0.5 % (bursts of 4)');
  });
});
