import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Faults, MessageFault } from '../interpret/index.js';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { formatResult } from './command.js';
import { formatSchedule, noFaults } from './faults.js';
import { PROPERTIES } from './properties.js';
import { REAL_PROPERTIES, checkRealCompute, realDrawArb, runReal, tinyScenario, type RealTrace } from './realCompute.js';

/** Knobs that add no faults of the simulator's own. */
const QUIET = { seed: 1, dropoutProb: 0, crashProb: 0, stragglerFraction: 0, stragglerSlowdown: 1 };

/** One log-based judge on a trace (the replay gives the trace back: `deterministic` is not judged this way). */
async function judge(name: string, t: RealTrace): Promise<string | null> {
  const j = REAL_PROPERTIES[name];
  if (j === undefined) throw new Error(`no judge named ${name}`);
  return j(t, async () => t);
}

function duplicate(kind: MessageFault['kind'], client: number, dir: MessageFault['dir'], round: number, step: number): MessageFault {
  return { kind, client, dir, round, step, fault: 'duplicate', delayS: 0.001 };
}

describe('--real-compute: the properties on the real simulation (tfjs, tiny model)', { timeout: 120_000 }, () => {
  it('every property holds on a real run of the quickstart protocol whose schedule has every fault kind, on top of dropout and crashes', async () => {
    const s = await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.clients=3')]);
    const [draw] = fc.sample(realDrawArb(s), { seed: 100, numRuns: 1 });
    if (draw === undefined) throw new Error('no draw');
    const faults = draw.schedule.messages.map((m) => m.fault);
    const count = (f: MessageFault['fault']): number => faults.filter((x) => x === f).length;
    expect({ delay: count('delay'), drop: count('drop'), duplicate: count('duplicate') }).toEqual({ delay: 1, drop: 2, duplicate: 4 });
    expect(draw.schedule.crashes.filter((c) => c.downS !== null)).toHaveLength(1);
    expect(draw.schedule.stragglers.length).toBeGreaterThan(0);
    expect(draw.schedule.serverRestarts).toEqual([0]);
    expect(draw.knobs).toMatchObject({ dropoutProb: 0.25, crashProb: 0.3 });
    expect(draw.schedule.runSeed).toBe(draw.knobs.seed);

    const results = await checkRealCompute(s, { runs: 1, seed: 100 });
    expect(results.map((r) => r.name)).toEqual(PROPERTIES.map((p) => p.name));
    for (const r of results) expect(r.passed ? `${r.name} holds` : `${r.name}: ${r.violation}\n${formatSchedule(r.counterexample ?? noFaults())}`).toBe(`${r.name} holds`);
  });

  it('a violated property reports the schedule as drawn, with the knobs in its violation', async () => {
    const s = await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.clients=2')]);
    const [draw] = fc.sample(realDrawArb(s), { seed: 7, numRuns: 1 });
    const results = await checkRealCompute(s, { runs: 1, seed: 7, judges: { 'no-double-apply': () => 'planted' } });
    const failed = results.filter((r) => !r.passed);
    expect(failed.map((r) => r.name)).toEqual(['no-double-apply']);
    expect(failed[0]?.counterexample).toEqual(draw?.schedule);
    expect(failed[0]?.violation).toBe(`planted (with ${JSON.stringify(draw?.knobs)})`);
    expect(formatResult(failed[0] as (typeof results)[number], 'splitwire check x.yaml')).toContain(formatSchedule(draw?.schedule ?? noFaults()).split('\n').join('\n          '));
  });

  it('the log-based properties can fail: a tampered traffic log is caught', async () => {
    const s = tinyScenario(await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.clients=2')]), QUIET);
    const t = await runReal(s);
    expect(await judge('bytes-conserved', t)).toBeNull();
    const dup = t.traffic.find((m) => m.kind === 'gradients.s1');
    expect(await judge('no-double-apply', { ...t, traffic: [...t.traffic, dup as (typeof t.traffic)[number]] })).toMatch(/sent gradients.s1 twice/);
    expect(await judge('bytes-conserved', { ...t, traffic: t.traffic.slice(1) })).toMatch(/B of buffers sent/);
    expect(await judge('fedavg-matches-reference', { ...t, traffic: t.traffic.filter((m) => m.kind !== 'weights.up') })).toMatch(/participants, but 0 updates/);
  });

  it('a network duplicate is no double apply; the same line sent by the protocol (no copy mark) is', async () => {
    const s = tinyScenario(await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.clients=2')]), QUIET);
    const faults: Faults = {
      ...noFaults(),
      messages: [duplicate('gradients.s1', 0, 'down', 0, 0), duplicate('weights.up', 1, 'up', 0, -1), duplicate('features.s1', 0, 'up', 0, 1)],
    };
    const t = await runReal(s, faults);
    expect(t.traffic.filter((m) => m.copy === 1).map((m) => m.kind)).toEqual(['gradients.s1', 'features.s1', 'weights.up']);
    // The server takes a batch's features once: a copy gets no second answer.
    expect(t.traffic.filter((m) => m.kind === 'features.s2' && m.dst === 'client-0' && m.round === 0 && m.step === 1)).toHaveLength(1);
    for (const name of Object.keys(REAL_PROPERTIES).filter((n) => n !== 'deterministic')) expect(`${name}: ${await judge(name, t)}`).toBe(`${name}: null`);

    const unmarked = (kind: string): RealTrace => ({ ...t, traffic: t.traffic.map((m) => (m.copy === 1 && m.kind === kind ? { ...m, copy: undefined } : m)) });
    expect(await judge('no-double-apply', unmarked('gradients.s1'))).toMatch(/^server sent gradients.s1 twice for client-0 round 0 step 0/);
    expect(await judge('no-double-apply', unmarked('weights.up'))).toMatch(/^client-1 sent weights.up twice for client-1 round 0/);
    expect(await judge('no-double-apply', { ...t, faults: noFaults() })).toMatch(/is marked a network copy, but the schedule duplicates no such message/);
    const answer = t.traffic.find((m) => m.kind === 'features.s2' && m.dst === 'client-1');
    expect(await judge('no-double-apply', { ...t, traffic: [...t.traffic, answer as (typeof t.traffic)[number]] })).toMatch(/^server sent features.s2 twice for client-1 round 0 step 0: 2 answers to 1 copies/);
    // A reply applied twice by the client; a fresh incarnation (after a crash the schedule made) may train the batch again.
    const be = t.timeline.find((x) => x.task === 'be.train' && x.actor === 'client-0');
    const again = [...t.timeline, { ...(be as (typeof t.timeline)[number]), start: 10, end: 11 }];
    expect(await judge('no-double-apply', { ...t, timeline: again })).toMatch(/^client-0 ran be.train twice for round 0 step 0/);
    expect(await judge('no-double-apply', { ...t, timeline: again, faults: { ...faults, crashes: [{ clients: [0], round: 0, atS: 5, downS: 1 }] } })).toBeNull();
  });
});
