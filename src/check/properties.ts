/**
 * The protocol's invariants (issue 5, part 2), each a named property judged on a run's trace.
 * A verdict is null when the property holds, else one line saying what went wrong and where.
 */
import { clientIndex } from '../actors/common.js';
import type { MessageKind, TaskName } from '../protocol/messages.js';
import { buffersLiveRight, linkAccounting, makesProgress, turnsAreExclusive } from './lifecycleProperties.js';
import { codecVersionAt } from '../run/codecSync.js';
import { Rng } from '../sim/rng.js';
import { packedWeights } from './standIn.js';
import type { TaskRecord, Trace, TrafficEntry, Verdict } from './types.js';

/** One named invariant. `replay` runs the same schedule again (only determinism needs it). */
export interface ProtocolProperty {
  name: string;
  description: string;
  check(trace: Trace, replay: () => Trace): Verdict;
  /** Whether the trace gives the property anything to judge (default: always), for the coverage report. */
  judges?(trace: Trace): boolean;
}

/** Relative tolerance of the FedAvg comparison (the same sums in another order). */
const TOLERANCE = 1e-9;

const firstEntriesOf = new WeakMap<readonly TrafficEntry[], { length: number; byMsg: Map<number, TrafficEntry> }>();

/** Message id → its first copy's log entry (built once per traffic log, shared by the properties; a log still growing is re-read). */
function firstEntries(trace: Trace): Map<number, TrafficEntry> {
  const memo = firstEntriesOf.get(trace.traffic);
  if (memo !== undefined && memo.length === trace.traffic.length) return memo.byMsg;
  const byMsg = new Map<number, TrafficEntry>();
  for (const e of trace.traffic) if (!byMsg.has(e.msgId)) byMsg.set(e.msgId, e);
  firstEntriesOf.set(trace.traffic, { length: trace.traffic.length, byMsg });
  return byMsg;
}

function clientOf(e: TrafficEntry): number {
  const k = clientIndex(e.src);
  return k >= 0 ? k : clientIndex(e.dst);
}

export const terminatesByDeadline: ProtocolProperty = {
  name: 'terminates-by-deadline',
  description: 'every round completes by its deadline (plus FedAvg time); the run finishes: no deadlock, no livelock',
  check(t) {
    if (t.stuck !== null) return t.stuck;
    if (!t.finished) return 'the federator never finished';
    for (const s of t.roundStarts) {
      const done = t.roundCompletes.filter((c) => c.round === s.round);
      if (done.length !== 1) return `round ${s.round} completed ${done.length} times`;
      const c = done[0] as (typeof done)[number];
      if (c.time > s.deadline) return `round ${s.round} started at t=${s.time} completed at t=${c.time}, after its deadline t=${s.deadline}`;
    }
    if (t.roundStarts.length !== t.settings.rounds) return `${t.roundStarts.length} rounds started, expected ${t.settings.rounds}`;
    return null;
  },
};

export const fedAvgMatchesReference: ProtocolProperty = {
  name: 'fedavg-matches-reference',
  description:
    "each round selects the scenario's seeded sample of clients and aggregates exactly the updates that arrived by the deadline, weighted by samples (client side and server side)",
  check(t) {
    const entries = firstEntries(t);
    const packs = new Map(t.packs.map((p) => [p.blob, p]));
    for (const start of t.roundStarts) {
      const r = start.round;
      const drawn = seededSample(t.settings.seed, r, t.settings.clients, t.settings.clientsPerRound);
      if (JSON.stringify(start.selected) !== JSON.stringify(drawn)) {
        return `round ${r}: the federator selected [${start.selected}]; the scenario's seed draws [${drawn}] (${t.settings.clientsPerRound} of ${t.settings.clients}, ascending)`;
      }
      // Over-selection: FedAvg begins once the first `aggregateFirst` of them arrived.
      const inTime = wholeUpdates(t, r, start.selected)
        .slice(0, t.settings.aggregateFirst ?? Infinity)
        .sort((a, b) => a.client - b.client);
      const participants = inTime.map((u) => u.client);
      const samples = participants.map((k) => t.settings.samples[k] as number);
      const aggs = t.aggregates.filter((a) => a.round === r);
      if (aggs.length !== 1) return `round ${r}: the federator ran FedAvg ${aggs.length} times`;
      const agg = aggs[0] as (typeof aggs)[number];
      if (JSON.stringify(agg.participants) !== JSON.stringify(participants)) {
        return `round ${r}: FedAvg over clients [${agg.participants}], but the updates that arrived in time are from [${participants}]`;
      }
      if (JSON.stringify(agg.samples) !== JSON.stringify(samples)) {
        return `round ${r}: FedAvg weights [${agg.samples}], but those clients hold [${samples}] samples`;
      }
      const codecs = agg.codecs.map((c) => `client-${c.client} of round ${c.round}`).sort();
      const wanted = syncsClientCodecs(t, r) ? participants.map((k) => `client-${k} of round ${r}`).sort() : [];
      if (JSON.stringify(codecs) !== JSON.stringify(wanted)) {
        return `round ${r}: FedAvg averaged the codec updates [${codecs.join(', ')}], expected [${wanted.join(', ')}]`;
      }
      const global = t.globals[r];
      if (global === undefined) return `round ${r}: no global weights were sent`;
      let expected = [...global];
      if (inTime.length > 0) {
        const total = samples.reduce((a, b) => a + b, 0);
        expected = global.map(() => 0);
        for (const [j, u] of inTime.entries()) {
          const blob = entries.get(u.msgId)?.blob ?? null;
          const pack = blob === null ? undefined : packs.get(blob);
          if (pack === undefined) return `round ${r}: the update of client-${u.client} carries no packed weights`;
          const v = packedWeights(global, u.client, r, pack.stepsDone);
          const w = (samples[j] as number) / total;
          expected = expected.map((x, i) => x + w * (v[i] as number));
        }
      }
      const bad = expected.findIndex((x, i) => !(Math.abs(x - (agg.result[i] as number)) <= TOLERANCE * Math.max(1, Math.abs(x))));
      if (bad >= 0) return `round ${r}: aggregate [${agg.result.map((x) => x.toFixed(6))}] differs from the reference [${expected.map((x) => x.toFixed(6))}]`;
      const srv = t.serverAggregates.filter((a) => a.round === r);
      if (srv.length !== 1) return `round ${r}: the split server aggregated M ${srv.length} times`;
      const m = srv[0] as (typeof srv)[number];
      if (JSON.stringify(m.participants) !== JSON.stringify(participants) || JSON.stringify(m.samples) !== JSON.stringify(samples)) {
        return `round ${r}: the split server averaged M over [${m.participants}] with weights [${m.samples}], expected [${participants}] with [${samples}]`;
      }
    }
    return null;
  },
};

/**
 * The clients round `r` takes part with: all, or the seeded sample of `perRound` in ascending
 * order — the reference the federator's selection is held to, written here apart from its code.
 */
function seededSample(seed: number, round: number, clients: number, perRound: number): number[] {
  const all = Array.from({ length: clients }, (_, k) => k);
  if (perRound >= clients) return all;
  const sample = new Rng(seed, `select/round-${round}`).shuffle(all).slice(0, perRound);
  return sample.sort((a, b) => a - b);
}

/** Whether round `r` syncs codecs that clients send (codec.up): an update is then whole only with its codecs. */
function syncsClientCodecs(t: Trace, r: number): boolean {
  return t.settings.codecSync?.[r] === true && t.settings.clientCodecs !== false;
}

/**
 * The updates of round `r` from `selected` clients that were whole before the deadline — the
 * first weights.up and, in a round that syncs client codecs, the first codec.up — in the order
 * they became whole.
 */
function wholeUpdates(t: Trace, r: number, selected: readonly number[]): { client: number; msgId: number }[] {
  const codecs = syncsClientCodecs(t, r);
  const out: { client: number; msgId: number; at: number }[] = [];
  for (const k of selected) {
    const w = t.updateArrivals.findIndex((u) => u.kind === 'weights.up' && u.round === r && u.client === k && u.first);
    const c = codecs ? t.updateArrivals.findIndex((u) => u.kind === 'codec.up' && u.round === r && u.client === k && u.first) : w;
    if (w < 0 || c < 0) continue;
    const at = Math.max(w, c);
    if (!(t.updateArrivals[at]?.beforeDeadline ?? false)) continue;
    out.push({ client: k, msgId: (t.updateArrivals[w] as (typeof t.updateArrivals)[number]).msgId, at });
  }
  return out.sort((a, b) => a.at - b.at);
}

export const loadsMatchGlobal: ProtocolProperty = {
  name: 'loads-match-global',
  description:
    "every weights.load leaves its client holding the round's global weights and, with learned codecs, the round's synced codec version (a delta rebuilds only the version it was made against)",
  judges: (t) => t.settings.codecSync !== undefined || t.settings.weightDeltas === true,
  check(t) {
    const sync = t.settings.codecSync;
    for (const l of t.loads) {
      if (l.weightsWrong !== null) return `client-${l.client} loaded round ${l.round}'s weights at t=${l.time} from ${l.weightsWrong}`;
      if (sync === undefined) continue;
      const want = codecVersionAt(sync, l.round);
      if (l.codecVersion !== want) {
        const held = l.codecVersion < 0 ? 'a codec spoilt by a delta made against another version' : `codec version ${l.codecVersion}`;
        return `client-${l.client} starts round ${l.round} at t=${l.time} with ${held}; the round's is version ${want}`;
      }
    }
    return null;
  },
};

/** The message kind (and control op) each state-changing task applies. */
const APPLIES: Partial<Record<TaskName, (e: TrafficEntry) => boolean>> = {
  'm.backward': (e) => e.kind === 'gradients.s2',
  's.train': (e) => e.op === 'labels',
  'be.train': (e) => e.kind === 'features.s2',
  'fe.backward': (e) => e.kind === 'gradients.s1',
  'weights.load': (e) => e.kind === 'weights.down',
  aggregate: (e) => e.kind === 'weights.up',
  'm.aggregate': (e) => e.op === 'aggregate',
};

export const noDoubleApply: ProtocolProperty = {
  name: 'no-double-apply',
  description: 'no message is applied twice to the same state (a gradient, features, weights, an update or an aggregate order)',
  check(t) {
    const entries = firstEntries(t);
    const seen = new Map<string, TaskRecord>();
    for (const task of t.tasks) {
      const applies = APPLIES[task.task];
      if (applies === undefined) continue;
      for (const id of task.ancestry) {
        const e = entries.get(id);
        if (e === undefined || !applies(e)) continue;
        // Per incarnation: a client that crashed lost what it applied; its fresh self may apply a copy again.
        const key = `${id}/${task.task}/${task.actor}#${task.inc}`;
        const before = seen.get(key);
        if (before !== undefined) {
          return `${e.kind}${e.op ? ` ${e.op}` : ''} #${id} (round ${e.round}, step ${e.step}, ${e.src} → ${e.dst}) applied twice by ${task.actor} ${task.task}, at t=${before.time} and t=${task.time}`;
        }
        seen.set(key, task);
      }
    }
    return null;
  },
};

const GRADIENT_TASKS: Partial<Record<TaskName, MessageKind | 'labels'>> = {
  'm.backward': 'gradients.s2',
  's.train': 'labels',
  'fe.backward': 'gradients.s1',
};

export const gradientAfterFeatures: ProtocolProperty = {
  name: 'gradient-after-features',
  description: "a gradient is applied only to its own batch, and only after that batch's features were sent",
  check(t) {
    const entries = firstEntries(t);
    for (const task of t.tasks) {
      const wants = GRADIENT_TASKS[task.task];
      if (wants === undefined) continue;
      const where = `${task.actor} ${task.task} for client-${task.client} round ${task.round} step ${task.step}`;
      const split = task.ancestry.map((id) => entries.get(id)).filter((e): e is TrafficEntry => e !== undefined && e.step >= 0);
      const other = split.find((e) => clientOf(e) !== task.client || e.round !== task.round || e.step !== task.step);
      if (other !== undefined) return `${where} used ${other.kind} #${other.msgId} of client-${clientOf(other)} round ${other.round} step ${other.step}`;
      const grads = split.filter((e) => (wants === 'labels' ? e.op === 'labels' : e.kind === wants));
      if (grads.length === 0) return `${where} applied no ${wants} message`;
      const features = split.filter((e) => e.kind === 'features.s1');
      if (features.length === 0) return `${where}: its batch's features.s1 was never sent`;
      const firstFeature = Math.min(...features.map((e) => e.msgId));
      const early = split.find((e) => (e.kind === 'gradients.s1' || e.kind === 'gradients.s2') && e.msgId < firstFeature);
      if (early !== undefined) return `${where}: ${early.kind} #${early.msgId} was sent before the features.s1 #${firstFeature} of its batch`;
    }
    return null;
  },
};

export const lateMessagesIgnored: ProtocolProperty = {
  name: 'late-messages-ignored',
  description: 'a message from an earlier round (or for a batch already given up) changes nothing: no reply, no task, never used later',
  check(t) {
    const onTime = new Set<number>();
    for (const d of t.deliveries) {
      if (!d.late) {
        onTime.add(d.msgId);
        continue;
      }
      if (d.sends > 0 || d.computes > 0) return `${d.lateWhy}, and ${d.to} reacted with ${d.sends} send(s) and ${d.computes} task(s)`;
      if (onTime.has(d.msgId)) continue; // a late copy of a message whose first copy was on time
      const user = t.tasks.find((x) => x.index >= d.index && x.ancestry.includes(d.msgId));
      if (user !== undefined) return `${d.lateWhy}, and ${user.actor} later used it in ${user.task} (round ${user.round}, step ${user.step})`;
    }
    return null;
  },
};

export const labelsStayOnClient: ProtocolProperty = {
  name: 'labels-stay-on-client',
  description: 'in the U-shaped topology the labels (and the skip tensor) never leave a client',
  judges: (t) => t.settings.topology === 'u-shaped',
  check(t) {
    if (t.settings.topology !== 'u-shaped') return null;
    for (const e of t.traffic) {
      if (e.op === 'labels') return `${e.src} sent its labels to ${e.dst} (round ${e.round}, step ${e.step})`;
      const leak = e.tags.find((x) => x === 'labels' || x === 'skip');
      if (leak !== undefined) return `${e.src} sent a ${e.kind} derived from its ${leak} tensor to ${e.dst} (round ${e.round}, step ${e.step})`;
    }
    return null;
  },
};

export const bytesConserved: ProtocolProperty = {
  name: 'bytes-conserved',
  description: 'per link, bytes sent = bytes delivered + bytes dropped (and the network model agrees)',
  check(t) {
    const inFlight = t.traffic.filter((e) => !e.dropped && e.recvTime === null);
    if (inFlight.length > 0 && (t.stuck === null || t.stuck.startsWith('deadlock'))) {
      const e = inFlight[0] as TrafficEntry;
      return `${e.kind} #${e.msgId} (seq ${e.seq}) was neither delivered nor dropped`;
    }
    for (const [link, b] of Object.entries(t.links)) {
      const pending = inFlight.filter((e) => e.link === link).reduce((a, e) => a + e.bytes, 0);
      if (b.sent !== b.delivered + b.dropped + pending) return `${link}: sent ${b.sent} B ≠ delivered ${b.delivered} B + dropped ${b.dropped} B`;
      if (b.model !== null) {
        if (b.model.bytesSent !== b.model.bytesDelivered + b.model.bytesDropped) {
          return `${link}: the network model counts ${b.model.bytesSent} B sent ≠ ${b.model.bytesDelivered} B delivered + ${b.model.bytesDropped} B dropped`;
        }
        if (b.model.bytesSent !== b.sent) return `${link}: ${b.sent} B put on the link, the network model saw ${b.model.bytesSent} B`;
      }
    }
    const logged = t.traffic.reduce((a, e) => a + e.bytes, 0);
    const counted = Object.values(t.links).reduce((a, b) => a + b.sent, 0);
    if (logged !== counted) return `the traffic log holds ${logged} B, the links counted ${counted} B`;
    return null;
  },
};

export const deterministic: ProtocolProperty = {
  name: 'deterministic',
  description: 'the same scenario, schedule and seed give the same traffic-log hash',
  check(t, replay) {
    const again = replay();
    return again.trafficHash === t.trafficHash ? null : `traffic-log hash ${t.trafficHash.slice(0, 12)}… then ${again.trafficHash.slice(0, 12)}… on a replay`;
  },
};

export const lateReplyNeverApplied: ProtocolProperty = {
  name: 'late-reply-never-applied',
  description:
    'a reply (features.s2, gradients.s1) to a batch its client abandoned (step timeout, `abandon` notice) is never used by that client afterwards; the split server, once it has the notice, starts no more work on that batch',
  check(t) {
    const abandoned = new Map<string, number>();
    for (const e of t.traffic) {
      const key = `${e.src}/${e.round}/${e.step}`;
      if (e.op === 'abandon' && !abandoned.has(key)) abandoned.set(key, e.sendTime);
    }
    if (abandoned.size === 0) return null;
    const entries = firstEntries(t);
    for (const task of t.tasks) {
      if (clientIndex(task.actor) < 0) continue;
      for (const id of task.ancestry) {
        const e = entries.get(id);
        if (e === undefined || (e.kind !== 'features.s2' && e.kind !== 'gradients.s1')) continue;
        const at = abandoned.get(`${e.dst}/${e.round}/${e.step}`);
        if (at !== undefined && task.time >= at) {
          return `${task.actor} ${task.task} at t=${task.time} used ${e.kind} #${id} (round ${e.round}, step ${e.step}), a reply to a batch it abandoned at t=${at}`;
        }
      }
    }
    return serverWorkAfterAbandon(t, entries);
  },
};

/**
 * The server's side of an abandon (docs/formats.md): once an incarnation of the split server has
 * the notice, it starts no task for that batch (work already running finishes and is dropped).
 * A restarted server never heard it.
 */
function serverWorkAfterAbandon(t: Trace, entries: ReadonlyMap<number, TrafficEntry>): string | null {
  const heard = new Map<string, { index: number; inc: number; time: number }>();
  for (const d of t.deliveries) {
    if (d.to !== 'server') continue;
    const e = entries.get(d.msgId);
    if (e === undefined || e.op !== 'abandon') continue;
    const key = `${clientIndex(e.src)}/${e.round}/${e.step}/${d.inc}`;
    if (!heard.has(key)) heard.set(key, { index: d.index, inc: d.inc, time: d.time });
  }
  if (heard.size === 0) return null;
  for (const task of t.tasks) {
    if (task.actor !== 'server') continue;
    const h = heard.get(`${task.client}/${task.round}/${task.step}/${task.inc}`);
    if (h !== undefined && task.index >= h.index) {
      return `the server ran ${task.task} for client-${task.client} (round ${task.round}, batch ${task.step}) at t=${task.time}, after that client's abandon notice reached it at t=${h.time}`;
    }
  }
  return null;
}

/** Every property, in the order the command prints them. */
export const PROPERTIES: readonly ProtocolProperty[] = [
  terminatesByDeadline,
  fedAvgMatchesReference,
  loadsMatchGlobal,
  noDoubleApply,
  gradientAfterFeatures,
  lateMessagesIgnored,
  labelsStayOnClient,
  bytesConserved,
  linkAccounting,
  makesProgress,
  turnsAreExclusive,
  buffersLiveRight,
  deterministic,
  lateReplyNeverApplied,
];
