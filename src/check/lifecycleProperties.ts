/**
 * Properties of issue 18, for the bugs the first eight could not see: a client's batches
 * (progress), SFLV2's turns on the one M (exclusivity), buffer lifetimes, and the link's own
 * accounting of retransmissions. Each is judged on the trace alone (types.ts: `batches`,
 * `turns`, `lifetimes`, the traffic log and the links' counters).
 */
import { DEFAULT_MTU_BYTES, HEADER_BYTES } from '../sim/index.js';
import type { ProtocolProperty } from './properties.js';
import type { BatchRecord, DeliveryRecord, TaskRecord, TrafficEntry, Trace, TurnRecord } from './types.js';

/** Slack for comparing virtual times computed along different paths. */
const EPS = 1e-9;

function batchGroups(t: Trace): Map<string, BatchRecord[]> {
  const groups = new Map<string, BatchRecord[]>();
  for (const b of t.batches) {
    const key = `${b.client}#${b.inc}/${b.round}`;
    const list = groups.get(key);
    if (list) list.push(b);
    else groups.set(key, [b]);
  }
  return groups;
}

/**
 * U-shaped SFLV1: the first gradients.s2 of a batch the split server holds (it ran M forward on
 * the batch's features) starts its backward pass, unless the server had a reason to drop it: a
 * skipped notice, a late message, a newer batch of that client or its abandon notice first, or a
 * restart since. (SFLV2 is left out: a turn that lapses with nobody waiting leaves no record.)
 * Null when it holds.
 */
function droppedHeldGradient(t: Trace): string | null {
  if (t.settings.topology !== 'u-shaped' || t.settings.variant !== 'sflv1') return null;
  const entry = new Map(t.traffic.map((e) => [e.seq, e]));
  const toServer = t.deliveries.flatMap((d) => {
    const e = entry.get(d.seq);
    return d.to === 'server' && e !== undefined ? [{ d, e }] : [];
  });
  const seen = new Set<string>();
  for (const { d, e } of toServer) {
    if (e.kind !== 'gradients.s2') continue;
    const batch = `${e.src}/${e.round}/${e.step}`;
    if (seen.has(batch)) continue; // a later copy: the first one decides
    seen.add(batch);
    if (d.late || d.computes > 0 || e.tags.includes('skip')) continue;
    const k = Number(e.src.slice('client-'.length));
    const forward = t.tasks.find((x) => x.actor === 'server' && x.task === 'm.forward' && x.client === k && x.round === e.round && x.step === e.step && x.time <= d.time);
    if (forward === undefined) continue;
    const moved = toServer.some(
      (o) =>
        o.d.index < d.index &&
        o.e.src === e.src &&
        o.e.round === e.round &&
        ((o.e.kind === 'features.s1' && o.e.step > e.step) || (o.e.kind === 'control' && o.e.op === 'abandon' && o.e.step >= e.step)),
    );
    if (moved) continue;
    if (t.tasks.some((x) => x.actor === 'server' && x.inc !== forward.inc && x.time >= forward.time)) continue; // restarted since
    return `the split server dropped the gradients.s2 of ${e.src} round ${e.round} batch ${e.step} at t=${d.time} although it held the batch (M forward at t=${forward.time}): its work was lost`;
  }
  return null;
}

export const makesProgress: ProtocolProperty = {
  name: 'makes-progress',
  description:
    "every batch a client starts is trained, or skipped by its step timer while a reply was missing; a round's batches run 0, 1, 2, … once each; a client that loaded a round finishes it unless a crash or newer weights interrupt; the split server does not drop the gradient of a batch it holds",
  check(t) {
    const dropped = droppedHeldGradient(t);
    if (dropped !== null) return dropped;
    for (const b of t.batches) {
      const where = `client-${b.client} round ${b.round} batch ${b.step}`;
      if (b.end === 'lost') return `${where} ended at t=${b.endTime} neither trained nor timed out: its work was lost`;
      const g1 = b.replies.find((r) => r.kind === 'gradients.s1');
      if (b.end === 'skipped' && g1 !== undefined && g1.time < (b.endTime as number) - EPS) {
        return `${where} was skipped at t=${b.endTime} although its gradients.s1 had arrived at t=${g1.time}`;
      }
    }
    const groups = batchGroups(t);
    for (const list of groups.values()) {
      const bad = list.findIndex((b, i) => b.step !== i);
      if (bad >= 0) {
        const b = list[bad] as BatchRecord;
        return `client-${b.client} round ${b.round}: its batch #${bad} of the round was batch ${b.step} (batches ${list.map((x) => x.step).join(', ')}): resumed mid-way or repeated`;
      }
    }
    const packs = t.tasks.filter((x) => x.task === 'weights.pack' && x.actor.startsWith('client-'));
    for (const p of packs) {
      const list = groups.get(`${p.client}#${p.inc}/${p.round}`) ?? [];
      const steps = t.settings.steps[p.client] as number;
      if (list.length !== steps) return `client-${p.client} packed round ${p.round} at t=${p.time} after ${list.length} of its ${steps} batches`;
    }
    // A client that loaded a round and was never interrupted finishes it (SFLV2: once it got the turn).
    const crashed = new Set(t.crashed.map((c) => `${c.client}#${c.inc}`));
    const loads = t.tasks.filter((x) => x.task === 'weights.load');
    for (const l of loads) {
      if (crashed.has(`${l.client}#${l.inc}`) || !t.finished) continue;
      const later = loads.some((x) => x.client === l.client && x.inc === l.inc && x.index > l.index);
      if (later) continue;
      if (t.settings.variant === 'sflv2' && !t.turns.some((x) => x.round === l.round && x.client === l.client)) continue;
      if (!packs.some((p) => p.client === l.client && p.inc === l.inc && p.round === l.round)) {
        const list = groups.get(`${l.client}#${l.inc}/${l.round}`) ?? [];
        return `client-${l.client} loaded round ${l.round} at t=${l.time} and never finished it (${list.length} batches started, none interrupted it)`;
      }
    }
    return null;
  },
};

/** Server tasks a client's message or decoded tensor starts on M's behalf: only its turn's holder may start them. */
const ON_M = new Set(['decode', 'm.forward', 'm.backward', 's.train']);

export const turnsAreExclusive: ProtocolProperty = {
  name: 'turns-are-exclusive',
  description:
    "SFLV2: one client's turn at a time on M — a turn starts with the round or ends by its holder's turn.done or its timeout, each client once a round, M serves only the holder, a holder that is done hands the turn back with its update, and a holder silent for the turn timeout loses the turn while a client waits",
  judges: (t) => t.settings.variant === 'sflv2',
  check(t) {
    if (t.settings.variant !== 'sflv2') return null;
    const byRound = new Map<string, typeof t.turns>();
    for (const x of t.turns) {
      const key = `${x.inc}/${x.round}`;
      const list = byRound.get(key);
      if (list) list.push(x);
      else byRound.set(key, [x]);
    }
    // When the server last took a batch from each client (features.s1 it started to decode re-arm the turn timer).
    const featuresAt = t.deliveries.filter((d) => d.to === 'server' && d.computes > 0);
    const entryOf = new Map(t.traffic.map((e) => [e.seq, e]));
    for (const list of byRound.values()) {
      const seen = new Set<number>();
      for (const [i, x] of list.entries()) {
        const where = `round ${x.round}: turn of client-${x.client} at t=${x.time}`;
        if (seen.has(x.client)) return `${where} is its second turn of the round`;
        seen.add(x.client);
        const prev = list[i - 1];
        if (prev === undefined) {
          if (x.cause.type !== 'round.start') return `${where} was the round's first turn but began on ${x.cause.type}`;
          continue;
        }
        if (x.cause.type === 'turn.done') {
          if (x.cause.client !== prev.client) return `${where}: client-${x.cause.client}'s turn.done took the turn from its holder client-${prev.client}`;
        } else if (x.cause.type === 'timer') {
          const heard = featuresAt
            .map((d) => entryOf.get(d.seq))
            .filter((e) => e !== undefined && e.kind === 'features.s1' && e.src === `client-${prev.client}` && e.round === x.round && (e.recvTime as number) <= x.time)
            .reduce((a, e) => Math.max(a, e?.recvTime ?? -Infinity), prev.time);
          if (x.time - heard < t.settings.turnTimeoutS - EPS) {
            return `${where}: the timer took client-${prev.client}'s turn ${(x.time - heard).toFixed(3)} s after the server last heard from it (timeout ${t.settings.turnTimeoutS} s)`;
          }
        } else {
          return `${where} passed on ${x.cause.type === 'other' ? x.cause.what : x.cause.type}, not by its holder or its timeout`;
        }
      }
    }
    const handedBack = updateWithoutTurnDone(t) ?? turnDoneNotHeeded(t, byRound, entryOf);
    if (handedBack !== null) return handedBack;
    const liveness = silentHolderKeptTurn(t, byRound, featuresAt, entryOf);
    if (liveness !== null) return liveness;
    for (const task of t.tasks) {
      if (task.actor !== 'server' || !ON_M.has(task.task)) continue;
      // In event order, not time: a task started in the same instant as, but before, a turn.done is the old holder's.
      const holder = (byRound.get(`${task.inc}/${task.round}`) ?? []).filter((x) => x.index <= task.index).at(-1);
      if (holder === undefined || holder.client !== task.client) return `${describe(task)} while ${holder === undefined ? 'nobody' : `client-${holder.client}`} held the turn`;
    }
    return null;
  },
};

/**
 * SFLV2: a client that trained its batches and sends its update (weights.up) hands the turn back
 * with turn.done in the same instant, so the clients behind it wait for no timeout.
 */
function updateWithoutTurnDone(t: Trace): string | null {
  const done = new Set(t.traffic.filter((e) => e.copy === 0 && e.op === 'turn.done').map((e) => `${e.src}/${e.round}/${e.sendTime}`));
  for (const e of t.traffic) {
    if (e.copy !== 0 || e.kind !== 'weights.up' || done.has(`${e.src}/${e.round}/${e.sendTime}`)) continue;
    return `round ${e.round}: ${e.src} sent its update at t=${e.sendTime} without handing the turn back (no turn.done)`;
  }
  return null;
}

/**
 * SFLV2: the holder's turn.done passes the turn on in the instant it reaches the server (the
 * same incarnation, while the turn is still the holder's), when a selected client still waits.
 */
function turnDoneNotHeeded(t: Trace, byRound: Map<string, TurnRecord[]>, entryOf: Map<number, TrafficEntry>): string | null {
  const dones = t.deliveries.filter((d) => d.to === 'server' && entryOf.get(d.seq)?.op === 'turn.done');
  if (dones.length === 0) return null;
  for (const list of byRound.values()) {
    const round = list[0]?.round as number;
    const selected = t.roundStarts.find((r) => r.round === round)?.selected ?? [];
    for (const [i, x] of list.entries()) {
      const next = list[i + 1];
      const waiting = selected.some((k) => !list.slice(0, i + 1).some((y) => y.client === k));
      if (!waiting) continue;
      const done = dones.find((d) => {
        const e = entryOf.get(d.seq);
        return d.inc === x.inc && d.index > x.index && (next === undefined || d.index <= next.index) && e?.src === `client-${x.client}` && e.round === round;
      });
      if (done === undefined) continue;
      const closed = t.traffic.some((e) => e.dst === 'server' && e.op === 'aggregate' && e.round === round && e.recvTime !== null && e.recvTime <= done.time);
      if (closed) continue;
      if (next === undefined || next.index !== done.index || next.cause.type !== 'turn.done') {
        return `round ${round}: client-${x.client}'s turn.done reached the server at t=${done.time}, but the turn ${next === undefined ? 'never passed on' : `passed on only at t=${next.time} (${next.cause.type})`} while a client waited`;
      }
    }
  }
  return null;
}

/**
 * SFLV2 liveness: a holder the server has not heard from (its turn began, or its last features
 * were taken) for `turnTimeoutS` loses the turn then, while a selected client still waits for
 * one: by the next turn, or the round's close at the server, whichever is first.
 */
function silentHolderKeptTurn(
  t: Trace,
  byRound: Map<string, TurnRecord[]>,
  featuresAt: DeliveryRecord[],
  entryOf: Map<number, TrafficEntry>,
): string | null {
  const closedAt = new Map<number, number>();
  for (const e of t.traffic) {
    if (e.dst === 'server' && e.op === 'aggregate' && e.recvTime !== null) closedAt.set(e.round, Math.min(closedAt.get(e.round) ?? Infinity, e.recvTime));
  }
  for (const list of byRound.values()) {
    const round = list[0]?.round as number;
    const selected = t.roundStarts.find((r) => r.round === round)?.selected ?? [];
    for (const [i, x] of list.entries()) {
      const next = list[i + 1];
      // The turn ends with the next one, the round's close at the server, or the server's restart.
      const restart = t.serverRestarted.find((r) => r.inc === x.inc)?.time;
      const ends = [next?.time, closedAt.get(round), restart].filter((v): v is number => v !== undefined && v >= x.time);
      if (ends.length === 0) continue; // the run ended first
      const end = Math.min(...ends);
      const waiting = selected.some((k) => !list.slice(0, i + 1).some((y) => y.client === k));
      if (!waiting) continue;
      const heard = featuresAt
        .filter((d) => d.time >= x.time && d.time <= end)
        .map((d) => entryOf.get(d.seq))
        .filter((e) => e !== undefined && e.kind === 'features.s1' && e.src === `client-${x.client}` && e.round === round)
        .reduce((a, e) => Math.max(a, e?.recvTime ?? -Infinity), x.time);
      if (end > heard + t.settings.turnTimeoutS + 1e-6) {
        return `round ${round}: client-${x.client} kept the turn until t=${end} although the server had not heard from it since t=${heard} (turn timeout ${t.settings.turnTimeoutS} s) while a client waited`;
      }
    }
  }
  return null;
}

function describe(task: TaskRecord): string {
  return `the server ran ${task.task} for client-${task.client} (round ${task.round}, batch ${task.step}) at t=${task.time}`;
}

export const buffersLiveRight: ProtocolProperty = {
  name: 'buffers-live-right',
  description:
    "no buffer is used after it was freed; no actor frees a round's shared weights or codecs; every message copy a receiver is handed is used, passed on or freed (none left at the end); no actor lets go of a buffer it owns without freeing it; duplicates are separate buffers",
  check(t) {
    const l = t.lifetimes;
    if (l.useAfterRelease !== null) return l.useAfterRelease;
    if (l.sharedFreed !== null) return l.sharedFreed;
    if (l.sharedCopies > 0) return `${l.sharedCopies} duplicated message(s) shared their first copy's buffer`;
    if (l.leaked.length > 0 && t.finished) return `at the end of the run ${l.leaked.join('; ')}`;
    if (l.droppedCount > 0 && t.finished) return `at the end of the run ${l.droppedCount} buffer(s) can no longer be freed: ${l.dropped.join('; ')}`;
    return null;
  },
};

export const linkAccounting: ProtocolProperty = {
  name: 'link-accounting',
  description: "each link's counters (messages, wire bytes, retransmissions) add up to its messages, and a message's wire bytes and time cover its headers and retransmissions",
  check(t) {
    for (const [link, b] of Object.entries(t.links)) {
      if (b.model === null) continue;
      const mine = t.traffic.filter((e) => e.link === link);
      const dropped = mine.filter((e) => e.dropReason === 'loss').length;
      if (b.model.sent !== mine.length || b.model.dropped !== dropped || b.model.delivered !== mine.length - dropped) {
        return `${link}: the link counts ${b.model.sent} sent, ${b.model.delivered} delivered, ${b.model.dropped} lost; the log has ${mine.length} and ${dropped} lost`;
      }
      const wire = mine.reduce((a, e) => a + e.wireBytes, 0);
      const resent = mine.reduce((a, e) => a + e.retransmissions, 0);
      if (wire !== b.model.wireBytes || resent !== b.model.retransmissions) {
        return `${link}: the link counts ${b.model.wireBytes} wire bytes and ${b.model.retransmissions} retransmissions, its messages ${wire} and ${resent}`;
      }
    }
    for (const e of t.traffic) {
      if (e.link === 'backbone') continue;
      const k = Number(e.link.slice('client-'.length, e.link.indexOf('/')));
      const spec = t.settings.links[k]?.[e.link.endsWith('uplink') ? 'uplink' : 'downlink'];
      if (spec === undefined) continue;
      const mtu = spec.mtuBytes ?? DEFAULT_MTU_BYTES;
      const payload = mtu - HEADER_BYTES;
      const packets = Math.ceil(e.bytes / payload);
      const base = e.bytes + HEADER_BYTES * packets;
      const extra = e.wireBytes - base;
      if (extra < 0 || extra > e.retransmissions * mtu || (e.retransmissions > 0 && extra < e.retransmissions * Math.min(mtu, e.bytes - (packets - 1) * payload + HEADER_BYTES))) {
        return `${e.kind} #${e.msgId} on ${e.link}: ${e.wireBytes} wire bytes for ${e.bytes} B in ${packets} packets with ${e.retransmissions} retransmissions`;
      }
      if (e.dropReason === 'loss' && e.retransmissions > 0) return `${e.kind} #${e.msgId} on ${e.link} was lost although the link resent ${e.retransmissions} packets`;
      if (spec.bandwidthTrace !== undefined || spec.latencyTrace !== undefined || e.recvTime === null || e.dropped) continue;
      const rtt = (2 * spec.latencyMs) / 1000;
      const recovery = e.retransmissions > 0 ? Math.min(rtt, (spec.rtoMs ?? 200) / 1000) : 0;
      const least = (e.wireBytes * 8) / (spec.bandwidthMbps * 1e6) + spec.latencyMs / 1000 + recovery;
      if (e.recvTime - e.sendTime < least - 1e-6) {
        return `${e.kind} #${e.msgId} on ${e.link} took ${(e.recvTime - e.sendTime).toFixed(6)} s, less than its ${e.wireBytes} wire bytes, latency and ${e.retransmissions} retransmissions allow (${least.toFixed(6)} s)`;
      }
    }
    return null;
  },
};
