/**
 * What a run should tell its user it did not do as configured: links too slow for one round
 * before the deadline (estimated from the scenario before the run), messages still in flight
 * when the run ended, rounds nobody took part in, a run without a single training step.
 * Messages are plain sentences; `summary.json` `warnings[]` holds them (docs/formats.md).
 */
import { clientLinks } from '../scenario/resolveNetwork.js';
import type { LinkConfig, Scenario } from '../scenario/schema.js';
import { TraceFiles } from '../sim/index.js';
import { formatBytes, formatSeconds } from '../cli/format.js';
import type { RoundRecord } from './summary.js';
import { codecBytesPerElement } from '../codecs/index.js';
import { SENDER } from './codecPlan.js';
import { stateKey } from '../protocol/index.js';
import type { World } from './world.js';

/** What a round costs every client at least: the model weights each way, the split tensors of a fixed-size codec, the step crossings. */
export interface RoundFloor {
  /** Bytes of the client-side model weights (fp32), sent down and up once a round each. */
  weightsBytes: number;
  /** Split-tensor bytes of one round per client, by direction, where the codec's size is fixed (none, fp16, quant); 0 where it is not known before the run. */
  splitBytes?: { up: number[]; down: number[] };
  /** Local steps of each client in one round. */
  steps: number[];
  /** Link crossings of one step in each direction (u-shaped: 2 up, 2 down; label-sharing: 1, 1). */
  tripsPerStep: number;
}

/** Seconds to carry `bytes` over `link` starting at time 0 (serialisation at its rate or trace, plus latency). */
export function transferSeconds(link: LinkConfig, bytes: number, files: TraceFiles): number {
  const latency = link.latencyMs / 1000;
  if (link.bandwidthTrace === undefined) return (bytes * 8) / (link.bandwidthMbps * 1e6) + latency;
  const trace = files.capacity(link.bandwidthTrace, 'bandwidthTrace');
  return trace.timeOfLevel(trace.cumulative(0) + bytes) + latency;
}

/**
 * Links that cannot carry one round's unavoidable traffic before `protocol.roundDeadlineS`:
 * a lower bound (model weights one way, the split tensors where {@link RoundFloor} knows their
 * size, one latency per step crossing), so a warning here means the round cannot finish as
 * configured. Clients with the same finding share one line.
 */
export function capacityWarnings(s: Scenario, floor: RoundFloor, files: TraceFiles = new TraceFiles()): string[] {
  const deadline = s.protocol.roundDeadlineS;
  const found = new Map<string, number[]>();
  for (let k = 0; k < s.protocol.clients; k++) {
    const links = clientLinks(s, k);
    const steps = floor.steps[k] ?? 0;
    for (const dir of ['downlink', 'uplink'] as const) {
      const link = links[dir];
      const split = floor.splitBytes?.[dir === 'uplink' ? 'up' : 'down'][k] ?? 0;
      const weights = transferSeconds(link, floor.weightsBytes + split, files);
      // Each step crosses the link tripsPerStep times; latency is the least each crossing takes.
      const need = weights + steps * floor.tripsPerStep * (link.latencyMs / 1000);
      if (need <= deadline) continue;
      const rate = link.bandwidthTrace !== undefined ? `trace ${link.bandwidthTrace.file}` : `${link.bandwidthMbps} Mbit/s`;
      const text =
        `${dir} (${rate}) cannot carry one round before protocol.roundDeadlineS (${formatSeconds(deadline)}): ` +
        (split > 0
          ? `the model weights and split tensors (${formatBytes(floor.weightsBytes + split)}) take ${formatSeconds(weights)}`
          : `the model weights alone (${formatBytes(floor.weightsBytes)}) take ${formatSeconds(weights)}`) +
        (steps > 0 ? `, plus ${steps * floor.tripsPerStep} step crossings at ${link.latencyMs} ms` : '') +
        ` — at least ${formatSeconds(need)} a round`;
      found.set(text, [...(found.get(text) ?? []), k]);
    }
  }
  return [...found].map(([text, clients]) => `${clientList(clients, s.protocol.clients)} ${text}`);
}

/**
 * The round floor of a built world: client-side weights (fp32), and per client the split tensors
 * of one round (every sample crosses once per epoch, in each slot) where the codec's size is fixed.
 */
export function roundFloor(world: World): RoundFloor {
  const s = world.scenario;
  const variant = s.protocol.variant;
  const front = world.model.parts[world.roles.front];
  const perSample = front === undefined ? 0 : (front.outputShapes(1)[0] ?? []).reduce((a, b) => a * b, 1);
  const samples = world.data.clientIndices.map((idx) => idx.length * s.protocol.localEpochs);
  const up = samples.map(() => 0);
  const down = samples.map(() => 0);
  for (const plan of world.codecs) {
    const bytes = perSample * codecBytesPerElement(plan);
    const into = SENDER[plan.slot] === 'client' ? up : down;
    samples.forEach((n, k) => (into[k] = (into[k] as number) + n * bytes));
  }
  return {
    weightsBytes: 4 * world.roles.client.reduce((a, p) => a + world.store.get(stateKey('global', p, variant)).params.length, 0),
    splitBytes: { up, down },
    steps: world.steps,
    tripsPerStep: s.protocol.topology === 'u-shaped' ? 2 : 1,
  };
}

/** `client 3`, `clients 0–3`, `every client`. */
function clientList(clients: number[], total: number): string {
  if (clients.length === total && total > 1) return 'every client:';
  if (clients.length === 1) return `client ${clients[0]}:`;
  const contiguous = clients.every((c, i) => i === 0 || c === (clients[i - 1] as number) + 1);
  return contiguous ? `clients ${clients[0]}–${clients[clients.length - 1]}:` : `clients ${clients.join(', ')}:`;
}

/** A message that arrives after the run ended: its kind and arrival time. */
export interface LateMessage {
  kind: string;
  arrival: number;
}

/** Warnings from what happened: late messages, empty rounds, no training at all. */
export function runWarnings(input: { endSeconds: number; late: LateMessage[]; rounds: RoundRecord[]; stepsDone: number }): string[] {
  const out: string[] = [];
  if (input.late.length > 0) {
    const byKind = new Map<string, number>();
    for (const m of input.late) byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
    const kinds = [...byKind].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ×${n}`);
    const lastArrival = Math.max(...input.late.map((m) => m.arrival));
    out.push(
      `${input.late.length} message${input.late.length === 1 ? ' was' : 's were'} still in flight when the run ended at ${formatSeconds(input.endSeconds)} ` +
        `(${kinds.join(', ')}; the last arrives at ${formatSeconds(lastArrival)}): the traffic log counts their bytes, the training never used them`,
    );
  }
  const empty = input.rounds.filter((r) => r.participants === 0).map((r) => r.round + 1);
  if (empty.length > 0) {
    out.push(
      `${empty.length === 1 ? 'round' : 'rounds'} ${empty.join(', ')} had no participant (no client reported before the deadline): the model did not change`,
    );
  }
  if (input.stepsDone === 0) out.push('no training step finished in the whole run: the accuracy figures are those of the initial model');
  return out;
}
