/**
 * `splitwire join`: client K of a pilot in its own process. It connects with its site
 * certificate, hosts its client actor, runs its compute on its own pool, answers every
 * message from the server with a receipt (so the server logs the delivery time), and keeps
 * reconnecting after a dropped connection until the server says the run is over.
 */
import { clientName } from '../actors/common.js';
import { ComputePool } from '../compute/pool.js';
import { buildWorld } from '../run/world.js';
import type { Scenario } from '../scenario/schema.js';
import { epochMs, monotonicMs, sleepMs } from '../sim/realClock.js';
import { PilotNode } from './pilotNode.js';
import { WireClient, type Welcome } from './wireClient.js';
import { fromEnvelope, toEnvelope } from './wireMessage.js';

export interface JoinOptions {
  /** `https://HOST:PORT` (or `wss://`). */
  server: string;
  site: number;
  /** PEM text. */
  ca: string;
  cert: string;
  key: string;
  log: (line: string) => void;
  /** Seconds to keep trying to (re)connect before giving up (default 120). */
  retryS?: number;
}

/** Clock pings a site sends after each (re)join. */
const CLOCK_PINGS = 5;

/** Runs client `site` until the server says goodbye; resolves with the number of messages it received. */
export async function runJoin(s: Scenario, o: JoinOptions): Promise<number> {
  if (!Number.isInteger(o.site) || o.site < 0 || o.site >= s.protocol.clients) {
    throw new Error(`--site: must be an integer in 0..${s.protocol.clients - 1}, got ${o.site}`);
  }
  const me = clientName(o.site);
  const world = await buildWorld(s);
  const pool = new ComputePool({ threads: s.compute.workers, backend: s.compute.backend });
  const wire = new WireClient({ url: o.server, site: o.site, ca: o.ca, cert: o.cert, key: o.key, nowMs: monotonicMs });
  // Stamps: the server's clock (Unix seconds). The offset starts from the welcome's stamp and is
  // then measured with small clock pings (NTP's rule on the fastest exchange; one machine: ~0).
  let offsetMs = 0;
  let bestRttMs = Number.POSITIVE_INFINITY;
  const pings = new Map<number, number>();
  const now = (): number => (epochMs() + offsetMs) / 1000;
  let received = 0;
  let msgId = 0;
  let over = false;
  try {
    await pool.warmUp();
    let fatal: (err: unknown) => void = () => undefined;
    let bye: () => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      fatal = reject;
      bye = resolve;
    });
    const spec = world.actors.find((a) => a.id === me);
    if (spec === undefined) throw new Error(`scenario has no ${me}`);
    const node = new PilotNode(
      world,
      pool,
      [spec],
      { send: (from, to, msg, blobs) => wire.send(toEnvelope(from, to, msg, ++msgId, blobs, now())) },
      {
        onFatal: (err) => fatal(err),
        // The training loss is the client's in a U-shaped run: the server's summary wants it per round.
        onLoss: (round, loss) => void wire.send({ from: me, to: 'server', kind: 'loss', round, step: -1, t: now(), meta: { loss }, payload: new Uint8Array(0) }),
      },
    );
    wire.onMessage = (env) => {
      if (env.kind === 'clock') {
        const m = env.meta as { id?: unknown; server?: unknown } | undefined;
        const t0 = typeof m?.id === 'number' ? pings.get(m.id) : undefined;
        if (t0 === undefined || typeof m?.server !== 'number' || !Number.isFinite(m.server)) return;
        pings.delete(m.id as number);
        const t1 = epochMs();
        if (t1 - t0 < bestRttMs) {
          bestRttMs = t1 - t0;
          offsetMs = m.server - (t0 + t1) / 2;
        }
        return;
      }
      if (env.kind === 'bye') {
        over = true;
        bye();
        return;
      }
      const got = fromEnvelope(env, node.blobs);
      if (typeof got === 'string') {
        o.log(`${me}: ignored a message from the server (${got})`);
        return;
      }
      received++;
      void wire.send({ from: me, to: 'server', kind: 'receipt', round: env.round, step: env.step, t: now(), meta: { id: got.id, t: now() }, payload: new Uint8Array(0) });
      node.receive(env.from, env.to, got.msg);
    };
    // A few pings, 200 ms apart; the one with the shortest round trip sets the offset.
    let pingId = 0;
    const syncClock = async (): Promise<void> => {
      for (let i = 0; i < CLOCK_PINGS && !over; i++) {
        const id = ++pingId;
        pings.set(id, epochMs());
        await wire.send({ from: me, to: 'server', kind: 'clock', round: -1, step: -1, t: now(), meta: { id }, payload: new Uint8Array(0) });
        await sleepMs(200);
      }
      if (Number.isFinite(bestRttMs)) o.log(`${me}: clock offset ${offsetMs.toFixed(1)} ms (best of ${CLOCK_PINGS} pings: round trip ${bestRttMs.toFixed(1)} ms)`);
    };
    const connect = async (): Promise<void> => {
      const until = monotonicMs() + (o.retryS ?? 120) * 1000;
      for (;;) {
        try {
          const w: Welcome = await wire.connect();
          if (!Number.isFinite(bestRttMs)) offsetMs = w.serverEpochMs - epochMs();
          o.log(`${me}: joined (server accepted our frames up to seq ${w.lastSeq})`);
          void syncClock();
          return;
        } catch (err) {
          if (monotonicMs() > until) throw new Error(`${me}: could not join ${o.server}: ${err instanceof Error ? err.message : String(err)}`);
          await sleepMs(500);
        }
      }
    };
    wire.onClose = (code) => {
      if (over) return;
      o.log(`${me}: connection closed (${code}); rejoining`);
      connect().catch((err) => fatal(err));
    };
    await connect();
    await done;
    node.stop();
    return received;
  } finally {
    over = true;
    wire.close();
    await pool.close();
  }
}
