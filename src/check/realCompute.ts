/**
 * `splitwire check --real-compute`: the same properties, judged on the real simulation (tfjs
 * compute, the scenario's network model) with a tiny model. fast-check draws two kinds of fault
 * for each run: the simulator's own knobs (the scenario seed for network jitter and loss draws,
 * client dropout, crashes mid-round, stragglers) and a fault schedule from the stand-in checker's
 * generator (message delay, drop and duplication, crash and rejoin, stragglers, split-server
 * restarts), which the run applies through `RunOptions.faults`. Each run takes seconds, so there
 * are few, and counterexamples are not shrunk; the properties are read from the run's traffic
 * log, timeline and summary.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { selectClients } from '../actors/federator.js';
import { NO_FAULTS, type Faults } from '../interpret/index.js';
import { runScenario, type RunResult } from '../run/simulation.js';
import type { TrafficRecord } from '../run/trafficLog.js';
import { validateScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import type { PropertyResult } from './checker.js';
import { DEFAULT_BOUNDS, faultScheduleArb } from './faults.js';
import { PROPERTIES } from './properties.js';
import { checkSettingsFromScenario } from './settings.js';
import type { FaultSchedule } from './types.js';

/** Runs of `--real-compute` unless `--runs` says otherwise: enough that the default seed draws message faults and crashes (2 drew none). */
export const DEFAULT_REAL_RUNS = 6;

/** What fast-check varies in a real run: the simulator's own fault knobs. */
export interface RealFaults {
  seed: number;
  dropoutProb: number;
  crashProb: number;
  stragglerFraction: number;
  stragglerSlowdown: number;
}

/** The faults of real runs: a scenario seed (jitter and loss draws), dropout for a round, crashes mid-round, stragglers. */
export function realFaultsArb(): fc.Arbitrary<RealFaults> {
  return fc.record({
    seed: fc.nat({ max: 1_000_000 }),
    dropoutProb: fc.constantFrom(0, 0.25, 0.5),
    crashProb: fc.constantFrom(0, 0.3),
    stragglerFraction: fc.constantFrom(0, 0.5),
    stragglerSlowdown: fc.constantFrom(1, 50),
  });
}

/** Knobs that add no faults of their own (the tiny scenario's settings do not depend on them). */
const QUIET: RealFaults = { seed: 0, dropoutProb: 0, crashProb: 0, stragglerFraction: 0, stragglerSlowdown: 1 };

/** One real run as drawn: the simulator's knobs and a fault schedule, whose `runSeed` is the knobs' scenario seed. */
export interface RealDraw {
  knobs: RealFaults;
  schedule: FaultSchedule;
}

/**
 * Real runs of a tiny `scenario`: the knobs, and a schedule drawn as the stand-in checker draws
 * one (swarm: a random subset of fault kinds, delays aimed at timeouts and the deadline), sized
 * for the tiny scenario's clients, rounds and steps.
 * @example fc.sample(realDrawArb(scenario), { seed: 42, numRuns: 2 })
 */
export function realDrawArb(scenario: Scenario): fc.Arbitrary<RealDraw> {
  const settings = checkSettingsFromScenario(tinyScenario(scenario, QUIET));
  return fc
    .record({ knobs: realFaultsArb(), schedule: faultScheduleArb(settings, DEFAULT_BOUNDS, 'swarm') })
    .map(({ knobs, schedule }) => ({ knobs, schedule: { ...schedule, runSeed: knobs.seed } }));
}

/** One real run, as files read back. */
export interface RealTrace {
  scenario: Scenario;
  /** The faults the run was given on top of the scenario's own. */
  faults: Faults;
  result: RunResult | null;
  error: string | null;
  traffic: TrafficRecord[];
  timeline: { round: number; step: number; actor: string; task: string; start: number; end: number }[];
  hash: string;
}

/** The scenario with a tiny model and data; the protocol and network settings kept (clients capped at 8). */
export function tinyScenario(s: Scenario, faults: RealFaults): Scenario {
  return validateScenario({
    ...s,
    seed: faults.seed,
    data: { ...s.data, size: 16, samplesPerClient: Math.min(s.data.samplesPerClient, 8), testSamples: 4 },
    model: { baseChannels: 2, depth: 3 },
    protocol: {
      ...s.protocol,
      clients: Math.min(s.protocol.clients, 8),
      clientsPerRound: s.protocol.clientsPerRound === undefined ? undefined : Math.min(s.protocol.clientsPerRound, 8, s.protocol.clients),
      rounds: Math.min(s.protocol.rounds, 2),
      localEpochs: 1,
      batchSize: Math.min(s.protocol.batchSize, 4),
    },
    network: {
      ...s.network,
      dropoutProb: faults.dropoutProb,
      availability: { ...s.network.availability, crashProb: faults.crashProb, stragglerFraction: faults.stragglerFraction, stragglerSlowdown: faults.stragglerSlowdown },
      perClient: s.network.perClient?.slice(0, 8),
    },
    compute: { ...s.compute, workers: 1, actorHosts: 1 },
    evaluation: { ...s.evaluation, every: 1000 },
  });
}

/** Runs the real simulation once, with `faults` on top of the scenario's own, into a temporary folder and reads its logs back. */
export async function runReal(s: Scenario, faults: Faults = NO_FAULTS): Promise<RealTrace> {
  const dir = mkdtempSync(join(tmpdir(), 'splitwire-check-'));
  try {
    let result: RunResult | null = null;
    let error: string | null = null;
    try {
      result = await runScenario(s, { outDir: dir, inProcessActors: true, faults });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const read = (f: string): string => {
      try {
        return readFileSync(join(dir, f), 'utf8');
      } catch {
        return '';
      }
    };
    const text = read('traffic.ndjson');
    const lines = (t: string): string[] => t.split('\n').filter((l) => l.length > 0);
    return {
      scenario: s,
      faults,
      result,
      error,
      traffic: lines(text).map((l) => JSON.parse(l) as TrafficRecord),
      timeline: lines(read('timeline.ndjson')).map((l) => JSON.parse(l) as RealTrace['timeline'][number]),
      hash: createHash('sha256').update(text).digest('hex'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isClient = (a: string): boolean => a.startsWith('client-');
const key = (k: string, r: number, s: number): string => `${k}|${r}|${s}`;
/** The client at a message's end of the link. */
const clientOf = (m: TrafficRecord): string => (isClient(m.src) ? m.src : m.dst);
/** A second copy the network made of a message (a schedule's duplicate): not something its sender sent. */
const isCopy = (m: TrafficRecord): boolean => (m.copy ?? 0) > 0;

/** Why a line marked as the network's copy is not one: no duplicate in the schedule, or no original right before it. */
function badCopy(t: RealTrace, m: TrafficRecord, before: TrafficRecord | undefined): string | null {
  const k = Number(clientOf(m).slice('client-'.length));
  const dir = isClient(m.src) ? 'up' : 'down';
  const asked = t.faults.messages.some((f) => f.fault === 'duplicate' && f.kind === m.kind && f.client === k && f.dir === dir && f.round === m.round && f.step === m.step);
  if (!asked) return `seq ${m.seq} (${m.kind} ${m.src} → ${m.dst}, round ${m.round} step ${m.step}) is marked a network copy, but the schedule duplicates no such message`;
  const same = before !== undefined && !isCopy(before) && before.kind === m.kind && before.src === m.src && before.dst === m.dst && before.round === m.round && before.step === m.step && before.sendTime === m.sendTime;
  return same ? null : `seq ${m.seq} (${m.kind} ${m.src} → ${m.dst}, round ${m.round} step ${m.step}) is marked a network copy, but seq ${m.seq - 1} is not its original`;
}

/** Times at which the schedule crashes `client` (crashes count from their round's start: its first weights.down). */
function crashTimes(t: RealTrace, client: string): number[] {
  const k = Number(client.slice('client-'.length));
  return t.faults.crashes
    .filter((c) => c.clients.includes(k))
    .map((c) => Math.min(...t.traffic.filter((m) => m.kind === 'weights.down' && m.round === c.round).map((m) => m.sendTime)) + c.atS);
}

/**
 * The first repeat among `events` (time-ordered) of one client, round and step, unless a crash
 * of that client came between the two: its fresh incarnation lost what the old one did and may
 * do it again, as the stand-in checker judges per incarnation.
 */
function repeated<T extends { client: string; round: number; step: number; time: number }>(t: RealTrace, events: T[]): [T, T] | null {
  const last = new Map<string, T>();
  for (const e of events) {
    const id = key(e.client, e.round, e.step);
    const before = last.get(id);
    if (before !== undefined && !crashTimes(t, e.client).some((c) => before.time < c && c <= e.time)) return [before, e];
    last.set(id, e);
  }
  return null;
}

/** A property judged on a real run: null when it holds, else what went wrong; `replay` runs the same scenario and faults again. */
export type RealJudge = (t: RealTrace, replay: () => Promise<RealTrace>) => Promise<string | null> | string | null;

/** The properties, as far as a real run's logs show them (docs/check.md says what each reads). */
export const REAL_PROPERTIES: Record<string, RealJudge> = {
  'terminates-by-deadline': (t) => {
    if (t.error !== null) return t.error;
    const s = t.scenario.protocol;
    const rounds = t.result?.summary.rounds ?? [];
    if (rounds.length !== s.rounds) return `${rounds.length} rounds completed, expected ${s.rounds}`;
    for (const rec of rounds) {
      const starts = t.traffic.filter((m) => m.kind === 'weights.down' && m.round === rec.round).map((m) => m.sendTime);
      const agg = t.timeline.find((x) => x.task === 'aggregate' && x.round === rec.round);
      if (starts.length === 0 || agg === undefined) return `round ${rec.round}: no weights sent or no FedAvg`;
      const start = Math.min(...starts);
      if (agg.start > start + s.roundDeadlineS + 1e-9) return `round ${rec.round}: FedAvg began at t=${agg.start}, after the deadline t=${start + s.roundDeadlineS}`;
    }
    return null;
  },
  'fedavg-matches-reference': (t) => {
    const s = t.scenario.protocol;
    for (const rec of t.result?.summary.rounds ?? []) {
      const agg = t.timeline.find((x) => x.task === 'aggregate' && x.round === rec.round);
      const selected = selectClients(t.scenario.seed, rec.round, s.clients, s.clientsPerRound ?? s.clients);
      const inTime = new Set(
        t.traffic
          .filter((m) => m.kind === 'weights.up' && m.round === rec.round && m.recvTime !== null && agg !== undefined && m.recvTime <= agg.start)
          .map((m) => Number(m.src.slice('client-'.length))),
      );
      if (rec.participants !== inTime.size) return `round ${rec.round}: ${rec.participants} participants, but ${inTime.size} updates arrived before FedAvg`;
      const dropped = selected.filter((k) => !inTime.has(k));
      if (JSON.stringify(rec.dropped.filter((k) => selected.includes(k))) !== JSON.stringify(dropped)) {
        return `round ${rec.round}: summary drops [${rec.dropped}], the log says [${dropped}] missed the deadline`;
      }
    }
    return null;
  },
  'no-double-apply': (t) => {
    // A duplicate the network made is a second line marked `copy`: not a send, but only where the schedule asked for one.
    const bySeq = new Map(t.traffic.map((m) => [m.seq, m]));
    for (const m of t.traffic) {
      const bad = isCopy(m) ? badCopy(t, m, bySeq.get(m.seq - 1)) : null;
      if (bad !== null) return bad;
    }
    const sends = t.traffic.filter((m) => !isCopy(m));
    // Each client sends one update a round; the server answers a batch's gradient once (M backward runs once).
    for (const kind of ['weights.up', 'gradients.s1'] as const) {
      const from = kind === 'weights.up' ? (m: TrafficRecord): boolean => isClient(m.src) : (m: TrafficRecord): boolean => m.src === 'server';
      const twice = repeated(t, sends.filter((m) => m.kind === kind && from(m)).map((m) => ({ client: clientOf(m), round: m.round, step: m.step, time: m.sendTime })));
      if (twice !== null) return `${kind === 'weights.up' ? twice[1].client : 'server'} sent ${kind} twice for ${twice[1].client} round ${twice[1].round} step ${twice[1].step}, at t=${twice[0].time} and t=${twice[1].time}`;
    }
    // The server may serve each copy of a batch's features that reaches it (its forward pass changes no state), no more.
    const asked = new Map<string, number>();
    for (const m of t.traffic) if (m.kind === 'features.s1' && m.dst === 'server' && m.recvTime !== null) asked.set(key(m.src, m.round, m.step), (asked.get(key(m.src, m.round, m.step)) ?? 0) + 1);
    const answered = new Map<string, number>();
    for (const m of sends) {
      if (m.src !== 'server' || m.kind !== 'features.s2') continue;
      const id = key(m.dst, m.round, m.step);
      answered.set(id, (answered.get(id) ?? 0) + 1);
      if ((answered.get(id) ?? 0) > (asked.get(id) ?? 0)) return `server sent features.s2 twice for ${m.dst} round ${m.round} step ${m.step}: ${answered.get(id)} answers to ${asked.get(id) ?? 0} copies of its features`;
    }
    // A client trains BE on a batch's features.s2, and FE on its gradients.s1, once.
    for (const task of ['be.train', 'fe.backward']) {
      const runs = t.timeline.filter((x) => x.task === task && isClient(x.actor)).sort((a, b) => a.start - b.start);
      const twice = repeated(t, runs.map((x) => ({ client: x.actor, round: x.round, step: x.step, time: x.start })));
      if (twice !== null) return `${twice[1].client} ran ${task} twice for round ${twice[1].round} step ${twice[1].step}, at t=${twice[0].time} and t=${twice[1].time}`;
    }
    return null;
  },
  'gradient-after-features': (t) => {
    const arrived = new Map<string, number>();
    // The first copy to arrive counts: a duplicate's later copy does not unsend what the first let happen.
    for (const m of t.traffic) {
      const id = `${m.kind}|${key(clientOf(m), m.round, m.step)}`;
      if (m.recvTime !== null) arrived.set(id, Math.min(m.recvTime, arrived.get(id) ?? Infinity));
    }
    for (const m of t.traffic) {
      const k = isClient(m.src) ? m.src : m.dst;
      const needs = m.kind === 'gradients.s1' ? ['features.s1'] : m.kind === 'gradients.s2' ? ['features.s2'] : [];
      if (m.kind === 'gradients.s1' && t.scenario.protocol.topology === 'u-shaped') needs.push('gradients.s2');
      for (const n of needs) {
        const at = arrived.get(`${n}|${key(k, m.round, m.step)}`);
        if (at === undefined || at > m.sendTime) return `${m.kind} for ${k} round ${m.round} step ${m.step} sent at t=${m.sendTime} before its ${n} arrived`;
      }
    }
    return null;
  },
  'late-messages-ignored': (t) => {
    const closed = new Map<number, number>();
    for (const m of t.traffic) if (m.src === 'federator' && m.dst === 'server' && m.recvTime !== null) closed.set(m.round, m.recvTime); // the round's last order is its aggregate
    for (const m of t.traffic) {
      const end = closed.get(m.round);
      if (m.dst !== 'server' || !isClient(m.src) || m.recvTime === null || end === undefined || m.recvTime <= end) continue;
      const reply = t.traffic.find((x) => x.src === 'server' && x.dst === m.src && x.round === m.round && x.step === m.step && x.sendTime >= (m.recvTime as number) && x.kind !== 'control');
      if (reply !== undefined) return `${m.kind} of ${m.src} round ${m.round} step ${m.step} arrived after the round was aggregated, and the server answered with ${reply.kind}`;
    }
    return null;
  },
  'labels-stay-on-client': (t) => {
    if (t.scenario.protocol.topology !== 'u-shaped') return null;
    const big = t.traffic.find((m) => isClient(m.src) && m.kind === 'control' && m.wireBytes > 256);
    return big === undefined ? null : `${big.src} sent a ${big.wireBytes}-byte control message (labels?) in round ${big.round}`;
  },
  'bytes-conserved': (t) => {
    const open = t.traffic.find((m) => m.dropped === (m.recvTime !== null));
    if (open !== undefined) return `message seq ${open.seq} is ${open.dropped ? 'dropped with' : 'neither dropped nor given'} a receive time`;
    const byKind: Record<string, number> = {};
    for (const m of t.traffic) byKind[m.kind] = (byKind[m.kind] ?? 0) + m.wireBytes;
    const sent = t.result?.sentBufferBytes ?? {};
    for (const k of new Set([...Object.keys(byKind), ...Object.keys(sent)])) {
      if ((byKind[k] ?? 0) !== (sent[k] ?? 0)) return `${k}: ${sent[k] ?? 0} B of buffers sent, ${byKind[k] ?? 0} B in the traffic log`;
    }
    const all = t.traffic.reduce((a, m) => a + m.wireBytes, 0);
    const summary = t.result?.summary.totals.allWireBytes;
    if (summary !== undefined && summary !== all) return `summary counts ${summary} B, the traffic log ${all} B`;
    return null;
  },
  deterministic: async (t, replay) => {
    const again = await replay();
    return again.hash === t.hash ? null : `traffic-log hash ${t.hash.slice(0, 12)}… then ${again.hash.slice(0, 12)}… on a replay`;
  },
};

/** Options of {@link checkRealCompute}. */
export interface RealCheckOptions {
  /** Real runs, each with its own draw. */
  runs: number;
  /** fast-check seed of the draws. */
  seed: number;
  /** Judges by property name (default {@link REAL_PROPERTIES}; tests plant a failing one). */
  judges?: Record<string, RealJudge>;
}

/**
 * Checks every property on `runs` real runs of a tiny version of `scenario`; a violated
 * property's counterexample is the schedule of the first run that broke it, as drawn.
 * @example await checkRealCompute(scenario, { runs: 2, seed: 42 })
 */
export async function checkRealCompute(scenario: Scenario, options: RealCheckOptions): Promise<PropertyResult[]> {
  const judges = options.judges ?? REAL_PROPERTIES;
  const draws = fc.sample(realDrawArb(scenario), { seed: options.seed, numRuns: options.runs });
  const failures = new Map<string, { schedule: FaultSchedule; violation: string }>();
  for (const { knobs, schedule } of draws) {
    const s = tinyScenario(scenario, knobs);
    const trace = await runReal(s, schedule);
    for (const p of PROPERTIES) {
      if (failures.has(p.name)) continue;
      const judge = judges[p.name];
      const verdict = judge === undefined ? null : await judge(trace, () => runReal(s, schedule));
      if (verdict !== null) failures.set(p.name, { schedule, violation: `${verdict} (with ${JSON.stringify(knobs)})` });
    }
  }
  return PROPERTIES.map((p) => {
    const fail = failures.get(p.name);
    return {
      name: p.name,
      description: p.description,
      passed: fail === undefined,
      runs: draws.length,
      seed: options.seed,
      counterexample: fail?.schedule ?? null,
      violation: fail?.violation ?? null,
      path: null,
      shrinks: 0,
    };
  });
}
