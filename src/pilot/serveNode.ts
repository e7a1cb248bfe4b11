/**
 * `splitwire serve`: the split server and the federator in one process, sites joining over
 * mutual TLS. It is the pilot's hub, so it writes the pilot's traffic.ndjson: a message from
 * a site is logged when it has arrived whole (sent at the site's stamp, received now), a
 * message to a site when the site's receipt comes back, a message to a site that is not
 * connected as dropped.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientIndex } from '../actors/common.js';
import type { BlobStore } from '../compute/blobStore.js';
import { ComputePool } from '../compute/pool.js';
import type { WireMessage } from '../protocol/messages.js';
import { evaluateModel } from '../run/evaluate.js';
import { buildSummary, type RoundRecord, type RunSummary } from '../run/summary.js';
import { runIdOf } from '../run/outputDir.js';
import { TrafficLog, TrafficTotals, type TrafficRecord } from '../run/trafficLog.js';
import { buildWorld, stateKey } from '../run/world.js';
import type { Scenario } from '../scenario/schema.js';
import { epochMs, monotonicMs, sleepMs } from '../sim/realClock.js';
import { PilotNode } from './pilotNode.js';
import { WireServer } from './wireServer.js';
import { CLIENT_MAY_SEND, fromEnvelope, toEnvelope } from './wireMessage.js';

export interface ServeOptions {
  host: string;
  port: number;
  /** Folder with ca.pem, server.pem, server.key. */
  certs: string;
  /** Where traffic.ndjson and summary.json go. */
  outDir: string;
  /** Seconds to wait for every site to join before the first round (default 600). */
  waitS?: number;
  /** Called once listening, with the port. */
  onListening?: (port: number) => void;
  log: (line: string) => void;
  /** How the pilot's links were made (written to summary.json). */
  links?: string;
}

/** summary.json of a pilot: the run summary plus how it was measured. */
export type PilotSummary = RunSummary & { pilot: { measured: true; transport: string; links: string; frames: Record<string, number> } };

interface Pending {
  record: Omit<TrafficRecord, 'seq' | 'recvTime' | 'dropped'>;
}

/** The bytes the simulator logs for a message (see Simulation.send): the same rule here. */
export function loggedSize(msg: WireMessage, blobs: BlobStore): { raw: number; wire: number; codec: string; step: number } {
  const step = 'step' in msg ? msg.step : msg.kind === 'control' && msg.control.op === 'labels' ? msg.control.step : -1;
  if (msg.kind === 'control') {
    const { blob, ...rest } = msg.control as { blob?: { id: number } };
    const header = Buffer.from(JSON.stringify({ round: msg.round, ...rest }));
    const wire = header.byteLength + (blob ? blobs.get(blob.id).data.byteLength : 0);
    return { raw: wire, wire, codec: 'none', step };
  }
  const b = blobs.get(msg.blob.id);
  const wire = b.data.byteLength;
  return { raw: b.kind === 'bytes' ? b.rawBytes : wire, wire, codec: b.kind === 'bytes' ? b.codec : 'none', step };
}

/** Runs the server side of a pilot until the federator finishes; returns the summary written. */
export async function runServe(s: Scenario, o: ServeOptions): Promise<PilotSummary> {
  mkdirSync(o.outDir, { recursive: true });
  const wallStart = monotonicMs();
  const world = await buildWorld(s);
  const pool = new ComputePool({ threads: s.compute.workers, backend: s.compute.backend });
  const traffic = new TrafficLog(join(o.outDir, 'traffic.ndjson'), runIdOf(s));
  const totals = new TrafficTotals();
  const rounds: RoundRecord[] = [];
  const evaluations: Promise<void>[] = [];
  const lossByRound = new Map<number, { sum: number; n: number }>();
  const pending = new Map<number, Pending>();
  let runStart = Number.NaN;
  let seq = 0;
  let msgId = 0;
  const now = (): number => (epochMs() - runStart) / 1000;
  const log = (r: Omit<TrafficRecord, 'seq'>): void => {
    const rec: TrafficRecord = { seq: seq++, ...r };
    traffic.append(rec);
    totals.add(rec);
  };
  let fatal: (err: unknown) => void = () => undefined;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    fatal = reject;
    finished = resolve;
  });

  const wire = new WireServer({
    ca: readFileSync(join(o.certs, 'ca.pem'), 'utf8'),
    cert: readFileSync(join(o.certs, 'server.pem'), 'utf8'),
    key: readFileSync(join(o.certs, 'server.key'), 'utf8'),
    sites: s.protocol.clients,
    host: o.host,
    port: o.port,
    log: o.log,
    nowMs: monotonicMs,
    epochMs,
  });
  try {
    const backend = await pool.warmUp();
    const specs = world.actors.filter((a) => a.kind !== 'client');
    const node = new PilotNode(
      world,
      pool,
      specs,
      {
        send: async (from, to, msg, blobs) => {
          const k = clientIndex(to);
          const size = loggedSize(msg, blobs);
          const id = ++msgId;
          const record = { round: msg.round, step: size.step, src: from, dst: to, kind: msg.kind, codec: size.codec, rawBytes: size.raw, wireBytes: size.wire, sendTime: now(), retransmissions: 0 };
          pending.set(id, { record });
          const ok = await wire.send(k, toEnvelope(from, to, msg, id, blobs, record.sendTime));
          if (!ok && pending.delete(id)) log({ ...record, recvTime: null, dropped: true });
          return ok;
        },
      },
      {
        onLocalMessage: (from, to, msg, blobs) => {
          const size = loggedSize(msg, blobs);
          const t = now();
          log({ round: msg.round, step: size.step, src: from, dst: to, kind: msg.kind, codec: size.codec, rawBytes: size.raw, wireBytes: size.wire, sendTime: t, recvTime: t, retransmissions: 0, dropped: false });
        },
        onLoss: (round, loss) => {
          const l = lossByRound.get(round) ?? { sum: 0, n: 0 };
          l.sum += loss;
          l.n += 1;
          lossByRound.set(round, l);
        },
        onRoundComplete: (round, participants) => {
          const record: RoundRecord = { round, meanIoU: null, meanDice: null, loss: null, simulatedSeconds: now(), participants: participants.length, dropped: [], iou: [], dice: [] };
          record.dropped = Array.from({ length: s.protocol.clients }, (_, k) => k).filter((k) => !participants.includes(k));
          rounds.push(record);
          const l = lossByRound.get(round);
          record.loss = l && l.n > 0 ? l.sum / l.n : null;
          o.log(`round ${round + 1}/${s.protocol.rounds} complete at ${record.simulatedSeconds.toFixed(2)} s, ${participants.length} sites`);
          if (round === s.protocol.rounds - 1 || (round + 1) % s.evaluation.every === 0) {
            const params: Record<string, Float32Array> = {};
            for (const p of [...world.roles.client, world.roles.server]) params[p] = world.store.snapshot(stateKey('global', p, s.protocol.variant));
            const codecOf = (slot: 'F1' | 'F2'): ReturnType<typeof node.tasks.codecOf> => {
              const c = node.tasks.codecOf(slot);
              return 'spec' in c ? { spec: c.spec, params: c.params.slice(), normalize: c.normalize } : c;
            };
            evaluations.push(
              evaluateModel(pool, { config: world.model.config, topology: world.model.topology }, params, world.data.test, { F1: codecOf('F1'), F2: codecOf('F2') }).then((m) => {
                record.meanIoU = m.meanIoU;
                record.meanDice = m.meanDice;
                record.iou = m.iou;
                record.dice = m.dice;
              }),
            );
          }
        },
        onFinished: () => finished(),
        onFatal: (err) => fatal(err),
      },
    );
    wire.onMessage = (k, env) => {
      if (env.kind === 'receipt') {
        const r = env.meta as { id?: unknown; t?: unknown } | undefined;
        const p = typeof r?.id === 'number' ? pending.get(r.id) : undefined;
        if (p === undefined || typeof r?.t !== 'number' || !Number.isFinite(r.t)) return;
        pending.delete(r.id as number);
        log({ ...p.record, recvTime: Math.max(r.t - runStart / 1000, p.record.sendTime), dropped: false });
        return;
      }
      if (env.kind === 'clock') {
        // A site's clock ping: answered at once with this clock (ms since the Unix epoch).
        const id = (env.meta as { id?: unknown } | undefined)?.id;
        if (typeof id === 'number' && Number.isFinite(id)) {
          void wire.send(k, { from: 'server', to: `client-${k}`, kind: 'clock', round: -1, step: -1, t: 0, meta: { id, server: epochMs() }, payload: new Uint8Array(0) });
        }
        return;
      }
      if (env.kind === 'loss') {
        // A site's training loss (U-shaped: computed on the site), for the summary's loss per round.
        const loss = (env.meta as { loss?: unknown } | undefined)?.loss;
        if (typeof loss === 'number' && Number.isFinite(loss) && env.round >= 0 && env.round < s.protocol.rounds) {
          const l = lossByRound.get(env.round) ?? { sum: 0, n: 0 };
          l.sum += loss;
          l.n += 1;
          lossByRound.set(env.round, l);
        }
        return;
      }
      if (Number.isNaN(runStart)) return;
      const got = fromEnvelope(env, node.blobs, CLIENT_MAY_SEND);
      if (typeof got === 'string') {
        o.log(`site ${k}: refused a message (${got})`);
        return;
      }
      const size = loggedSize(got.msg, node.blobs);
      log({ round: got.msg.round, step: size.step, src: env.from, dst: env.to, kind: got.msg.kind, codec: size.codec, rawBytes: size.raw, wireBytes: size.wire, sendTime: Math.min(env.t - runStart / 1000, now()), recvTime: now(), retransmissions: 0, dropped: false });
      node.receive(env.from, env.to, got.msg);
    };
    const port = await wire.listen();
    o.onListening?.(port);
    o.log(`listening on ${o.host}:${port}; waiting for ${s.protocol.clients} sites`);
    const waitUntil = monotonicMs() + (o.waitS ?? 600) * 1000;
    while (Array.from({ length: s.protocol.clients }, (_, k) => wire.connected(k)).some((c) => !c)) {
      if (monotonicMs() > waitUntil) {
        o.log('not every site joined in time: starting with those connected');
        break;
      }
      await new Promise((r) => setImmediate(r));
      await sleepMs(50);
    }
    runStart = epochMs();
    o.log('all sites joined: round 1 starts');
    node.deliver('federator', { type: 'start' });
    await done;
    node.stop();
    // Receipts of the last messages, then every site is told the run is over.
    const receiptsBy = monotonicMs() + 10_000;
    while (pending.size > 0 && monotonicMs() < receiptsBy) await sleepMs(20);
    for (const [id, p] of pending) {
      log({ ...p.record, recvTime: null, dropped: true });
      pending.delete(id);
    }
    const measured = now();
    await Promise.all(Array.from({ length: s.protocol.clients }, (_, k) => wire.send(k, { from: 'server', to: `client-${k}`, kind: 'bye', round: -1, step: -1, t: measured, payload: new Uint8Array(0) })));
    await Promise.all(evaluations);
    traffic.close();
    rounds.sort((a, b) => a.round - b.round);
    const base = buildSummary({
      codecs: world.codecs,
      scenario: s,
      backend,
      rounds,
      totals,
      simulatedSeconds: measured,
      wallSeconds: (monotonicMs() - wallStart) / 1000,
      poolBusySeconds: pool.busySeconds,
      computeThreads: pool.computeThreads,
      clients: s.protocol.clients,
      clientSamples: world.data.clientIndices.map((idx) => idx.length),
      runId: runIdOf(s),
      status: 'complete',
      roundsCompleted: rounds.length,
    });
    const summary: PilotSummary = { ...base, pilot: { measured: true, transport: 'WebSocket over TLS 1.3, mutual TLS (ws)', links: o.links ?? 'as the machines are connected (not shaped)', frames: { ...wire.stats } } };
    const file = join(o.outDir, 'summary.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    return summary;
  } finally {
    traffic.close();
    await wire.close();
    await pool.close();
  }
}
