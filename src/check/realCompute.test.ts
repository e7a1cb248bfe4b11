import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { formatSchedule } from './faults.js';
import { REAL_PROPERTIES, checkRealCompute, realFaultsArb, runReal, tinyScenario } from './realCompute.js';
import { PROPERTIES } from './properties.js';

describe('--real-compute: the properties on the real simulation (tfjs, tiny model)', { timeout: 120_000 }, () => {
  it('every property holds on a run of the quickstart protocol with dropout, crashes and stragglers', async () => {
    const s = await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.clients=3')]);
    expect(fc.sample(realFaultsArb(), { seed: 0, numRuns: 1 })[0]).toMatchObject({ dropoutProb: 0.25, crashProb: 0.3, stragglerFraction: 0.5, stragglerSlowdown: 50 });
    const results = await checkRealCompute(s, { runs: 1, seed: 0 });
    expect(results.map((r) => r.name)).toEqual(PROPERTIES.map((p) => p.name));
    for (const r of results) expect(r.passed ? `${r.name} holds` : `${r.name}: ${r.violation} ${formatSchedule(r.counterexample ?? { runSeed: 0, messages: [], crashes: [], stragglers: [], serverRestarts: [] })}`).toBe(`${r.name} holds`);
  });

  it('the log-based properties can fail: a tampered traffic log is caught', async () => {
    const s = tinyScenario(await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.clients=2')]), {
      seed: 1,
      dropoutProb: 0,
      crashProb: 0,
      stragglerFraction: 0,
      stragglerSlowdown: 1,
    });
    const t = await runReal(s);
    const judge = async (name: string, x: typeof t): Promise<string | null> => (REAL_PROPERTIES[name] as (a: typeof t, b: () => Promise<typeof t>) => Promise<string | null> | string | null)(x, async () => x);
    expect(await judge('bytes-conserved', t)).toBeNull();
    const dup = t.traffic.find((m) => m.kind === 'gradients.s1');
    expect(await judge('no-double-apply', { ...t, traffic: [...t.traffic, dup as (typeof t.traffic)[number]] })).toMatch(/sent gradients.s1 twice/);
    expect(await judge('bytes-conserved', { ...t, traffic: t.traffic.slice(1) })).toMatch(/B of buffers sent/);
    expect(await judge('fedavg-matches-reference', { ...t, traffic: t.traffic.filter((m) => m.kind !== 'weights.up') })).toMatch(/participants, but 0 updates/);
  });
});
