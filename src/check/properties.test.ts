import { describe, expect, it } from 'vitest';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { checkProtocol } from './checker.js';
import { formatSchedule, noFaults } from './faults.js';
import {
  bytesConserved,
  deterministic,
  fedAvgMatchesReference,
  gradientAfterFeatures,
  labelsStayOnClient,
  lateMessagesIgnored,
  lateReplyNeverApplied,
  noDoubleApply,
  terminatesByDeadline,
} from './properties.js';
import { turnsAreExclusive } from './lifecycleProperties.js';
import { checkSettingsFromScenario } from './settings.js';
import type { CheckSettings, FaultSchedule, Trace } from './types.js';
import { runSchedule } from './world.js';

async function settings(...sets: string[]): Promise<CheckSettings> {
  return checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml', sets.map(parseOverride)));
}

/** Fails with the violation, the shrunk schedule and its replay seed when a property does not hold. */
function expectAllHold(results: ReturnType<typeof checkProtocol>): void {
  for (const r of results) {
    const why = r.passed ? '' : `${r.name}: ${r.violation}\nseed ${r.seed} path ${r.path}\n${formatSchedule(r.counterexample ?? noFaults())}`;
    expect(why).toBe('');
  }
}

describe('the real protocol holds every property under generated faults (fixed seed)', () => {
  it('quickstart: 4 clients, 8 rounds, SFLV1 U-shaped, reliable network', async () => {
    const results = checkProtocol(await settings(), { runs: 12, seed: 42 });
    expect(results.map((r) => r.name)).toHaveLength(14);
    expectAllHold(results);
  }, 60_000);

  it('SFLV2 (turns), lossy rural 4G, 3 clients of which 2 a round', async () => {
    const s = await settings('protocol.variant=sflv2', 'network.mode=lossy', 'network.profile=rural-4g', 'protocol.clients=3', 'protocol.clientsPerRound=2', 'protocol.rounds=3', 'data.samplesPerClient=24');
    expectAllHold(checkProtocol(s, { runs: 25, seed: 42 }));
  }, 60_000);

  it('label-sharing (labels travel, by design), lossy satellite', async () => {
    const s = await settings('protocol.topology=label-sharing', 'network.mode=lossy', 'network.profile=satellite', 'protocol.clients=3', 'protocol.rounds=3', 'data.samplesPerClient=24');
    expectAllHold(checkProtocol(s, { runs: 25, seed: 42 }));
  }, 60_000);
});

describe('each property can fail: it rejects a tampered trace', () => {
  const base = async (): Promise<{ s: CheckSettings; t: Trace }> => {
    const s = await settings('protocol.clients=2', 'protocol.rounds=2', 'data.samplesPerClient=16');
    return { s, t: runSchedule(s, noFaults()) };
  };
  const same = (t: Trace) => (): Trace => t;

  it('terminates-by-deadline: a stuck run, a missing round, a late completion', async () => {
    const { t } = await base();
    expect(terminatesByDeadline.check(t, same(t))).toBeNull();
    expect(terminatesByDeadline.check({ ...t, stuck: 'deadlock: x' }, same(t))).toBe('deadlock: x');
    expect(terminatesByDeadline.check({ ...t, roundCompletes: t.roundCompletes.slice(1) }, same(t))).toMatch(/round 0 completed 0 times/);
    const late = t.roundCompletes.map((c, i) => (i === 1 ? { ...c, time: (t.roundStarts[1]?.deadline ?? 0) + 1 } : c));
    expect(terminatesByDeadline.check({ ...t, roundCompletes: late }, same(t))).toMatch(/after its deadline/);
  });

  it('fedavg-matches-reference: a wrong result, a missing participant, wrong weights', async () => {
    const { t } = await base();
    expect(fedAvgMatchesReference.check(t, same(t))).toBeNull();
    const agg = t.aggregates[0] as Trace['aggregates'][number];
    const off = { ...agg, result: agg.result.map((x, i) => (i === 0 ? x + 1e-6 : x)) };
    expect(fedAvgMatchesReference.check({ ...t, aggregates: [off, ...t.aggregates.slice(1)] }, same(t))).toMatch(/differs from the reference/);
    expect(fedAvgMatchesReference.check({ ...t, aggregates: [{ ...agg, participants: [0] }, ...t.aggregates.slice(1)] }, same(t))).toMatch(/arrived in time are from \[0,1\]/);
    expect(fedAvgMatchesReference.check({ ...t, aggregates: [{ ...agg, samples: [1, 1] }, ...t.aggregates.slice(1)] }, same(t))).toMatch(/weights \[1,1\]/);
  });

  it('no-double-apply: the same gradient message in two backward passes', async () => {
    const { t } = await base();
    expect(noDoubleApply.check(t, same(t))).toBeNull();
    const mb = t.tasks.find((x) => x.task === 'm.backward') as Trace['tasks'][number];
    expect(noDoubleApply.check({ ...t, tasks: [...t.tasks, { ...mb, index: mb.index + 1 }] }, same(t))).toMatch(/applied twice by server m.backward/);
  });

  it("gradient-after-features: a gradient applied to another batch, or with no features sent", async () => {
    const { t } = await base();
    expect(gradientAfterFeatures.check(t, same(t))).toBeNull();
    const fb = t.tasks.find((x) => x.task === 'fe.backward') as Trace['tasks'][number];
    expect(gradientAfterFeatures.check({ ...t, tasks: [{ ...fb, step: fb.step + 1 }] }, same(t))).toMatch(/used .* step 0/);
    const noFeatures = t.traffic.map((e) => (e.kind === 'features.s1' ? { ...e, kind: 'control' as const, op: 'x' } : e));
    expect(gradientAfterFeatures.check({ ...t, traffic: noFeatures }, same(t))).toMatch(/features.s1 was never sent/);
  });

  it('late-messages-ignored: a late message that got an answer, or was used later', async () => {
    const { t } = await base();
    expect(lateMessagesIgnored.check(t, same(t))).toBeNull();
    const d = t.deliveries.find((x) => x.computes > 0) as Trace['deliveries'][number];
    const marked = t.deliveries.map((x) => (x === d ? { ...x, late: true, lateWhy: 'late' } : x));
    expect(lateMessagesIgnored.check({ ...t, deliveries: marked }, same(t))).toMatch(/late, and .* reacted/);
    const quiet = t.deliveries.map((x) => (x === d ? { ...x, late: true, lateWhy: 'late', computes: 0, sends: 0 } : x));
    expect(lateMessagesIgnored.check({ ...t, deliveries: quiet }, same(t))).toMatch(/later used it/);
  });

  it('labels-stay-on-client: a labels op, or a tensor derived from the skip connection, on the wire', async () => {
    const { t } = await base();
    expect(labelsStayOnClient.check(t, same(t))).toBeNull();
    const e = t.traffic.find((x) => x.kind === 'features.s1') as Trace['traffic'][number];
    expect(labelsStayOnClient.check({ ...t, traffic: [{ ...e, tags: ['skip'] }] }, same(t))).toMatch(/derived from its skip tensor/);
    expect(labelsStayOnClient.check({ ...t, traffic: [{ ...e, kind: 'control', op: 'labels' }] }, same(t))).toMatch(/sent its labels/);
  });

  it('bytes-conserved: a message with no fate, or a link whose counts do not add up', async () => {
    const { t } = await base();
    expect(bytesConserved.check(t, same(t))).toBeNull();
    const e = t.traffic[3] as Trace['traffic'][number];
    expect(bytesConserved.check({ ...t, traffic: t.traffic.map((x) => (x === e ? { ...x, recvTime: null } : x)) }, same(t))).toMatch(/neither delivered nor dropped/);
    const link = Object.keys(t.links)[0] as string;
    const links = { ...t.links, [link]: { ...(t.links[link] as Trace['links'][string]), delivered: 0 } };
    expect(bytesConserved.check({ ...t, links }, same(t))).toMatch(/sent .* ≠ delivered/);
  });

  it('deterministic: a replay with another traffic log', async () => {
    const { s, t } = await base();
    expect(deterministic.check(t, () => runSchedule(s, noFaults()))).toBeNull();
    expect(deterministic.check(t, () => ({ ...t, trafficHash: 'f00' }))).toMatch(/on a replay/);
  });

  it('late-reply-never-applied: a reply used after its client abandoned the batch', async () => {
    const { t } = await base();
    expect(lateReplyNeverApplied.check(t, same(t))).toBeNull();
    // A client task fed by a features.s2 reply; pretend the client had abandoned that batch just before.
    const reply = t.traffic.find((e) => e.kind === 'features.s2') as Trace['traffic'][number];
    const user = t.tasks.find((x) => x.actor === reply.dst && x.ancestry.includes(reply.msgId)) as Trace['tasks'][number];
    const notice = { ...reply, msgId: -7, seq: -7, kind: 'control' as const, op: 'abandon', src: reply.dst, dst: 'server', sendTime: user.time, blob: null };
    expect(lateReplyNeverApplied.check({ ...t, traffic: [...t.traffic, notice] }, same(t))).toMatch(/a reply to a batch it abandoned/);
    // Abandoned after the task ran: nothing late was used.
    const later = { ...notice, sendTime: user.time + 1 };
    expect(lateReplyNeverApplied.check({ ...t, traffic: [...t.traffic, later] }, same(t))).toBeNull();
  });
});

describe('same-instant events are judged in event order', () => {
  it('turns-are-exclusive: a decode started for the holder in the instant its turn.done then passes the turn is the holder’s (found at 1,000 runs, seed 7)', async () => {
    // SFLV2: client-0's last batch is delayed to land with its own abandon and turn.done, all at one instant.
    const schedule: FaultSchedule = {
      ...noFaults(),
      messages: [{ kind: 'features.s1', client: 0, dir: 'up', round: 0, step: 7, fault: 'delay', delayS: 60.025 }],
      variation: { networkMode: null, loss: 0, variant: 'sflv2', topology: null, aggregateFirst: null },
    };
    const t = runSchedule(await settings(), schedule);
    const decode = t.tasks.find((x) => x.actor === 'server' && x.task === 'decode' && x.client === 0 && x.round === 0 && x.step === 7);
    const next = t.turns.find((x) => x.round === 0 && x.client === 1);
    expect(decode?.time).toBe(next?.time);
    expect(decode?.index).toBeLessThan(next?.index as number);
    expect(turnsAreExclusive.check(t, () => t)).toBeNull();
    // The same trace with the turn given one event earlier: the decode was served off-turn.
    const early = { ...t, turns: t.turns.map((x) => (x === next ? { ...x, index: (decode?.index as number) - 1 } : x)) };
    expect(turnsAreExclusive.check(early, () => early)).toMatch(/the server ran decode for client-0 \(round 0, batch 7\).* while client-1 held the turn/);
  });
});
