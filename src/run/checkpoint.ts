/**
 * Round-boundary checkpoints of a run (DESIGN §8, "Runs as transactions"), and what
 * `splitwire run --resume DIR` reads back.
 *
 * A run folder holds `scenario.json` (the resolved scenario, overrides applied: a resume needs
 * nothing else) and `checkpoint/state.bin`, replaced atomically (temporary file, fsync, rename,
 * fsync of the folder) before the run starts (round 0) and after every round but the last.
 *
 * Where a run's state lives, and how the checkpoint covers it (a resumed run must give the
 * same bytes as one never interrupted, so nothing may be missed):
 *
 * - Simulation (src/run/simulation.ts), captured whole by the generic graft (stateGraft.ts),
 *   every own field except handles and wall-clock values:
 *   - kernel: virtual clock, event queue (heap keys, seq counter, values), cancelled-event
 *     bitmap, counters. Queued `deliver` events are plain data; queued `done` events hold the
 *     task's job, which is awaited before saving and restored as a settled promise of its
 *     outcome (output tensors/bytes and loss); `net` events are plain.
 *   - blobs (BlobStore): every live buffer (activations, gradients, coded bytes, labels, the
 *     round's packed weights) and the next blob id.
 *   - tasks (TaskRunner): error-feedback residuals (topk memory), the residual job chain and the
 *     codec-step chain (settled: the trainable codec copies' steps are done),
 *     each client's last training loss (loss gates), in-flight job sets (empty once settled).
 *   - world.store (ParamStore): every model part and codec weight vector — global, per-client,
 *     the split server's per-client copies — with Adam's m, v and step count. Pool workers hold
 *     no weights between tasks (they get the shared buffers with each task; their caches are
 *     model structure only), so this is all the weights there are.
 *   - world.network: links (FIFO busy time, last arrival, trace level, loss-process carry),
 *     loss processes (Bernoulli, Gilbert–Elliott state), every link's Rng, trace positions,
 *     the flow model (waiting flows, active flows, load, settle time) and TCP state, stats,
 *     and the backbone link it routes federator ↔ split server messages on.
 *   - world.availability (dropout draws, crash steps, its Rng),
 *     world.*Device (lane free times, busy seconds), world.rng.
 *   - traffic bookkeeping: message seq, flows in flight, records waiting for in-order logging,
 *     next seq to log, network wake-up, totals by kind and direction, bytes sent by kind.
 *   - run record: round records (evaluations are awaited first, so their IoU is in them),
 *     training losses by round, steps done, the weights blobs kept for clients.
 * - Actors (federator, split server, clients; XState machines in host threads): their
 *   persisted snapshots (state value and context: round, step, task ids, held blob refs).
 * - Logs: byte length and line count of traffic.ndjson and timeline.ndjson at the boundary
 *   (flushed and fsynced first); a resume truncates them there and appends.
 * - Not saved, rebuilt from the scenario: data sets, model structure, codec plans, actor
 *   specs, RNG streams derived by name on use (batch order, client selection), traces read
 *   from files. Closures in the graph (trace shifts, the unlimited server access) hold no
 *   mutable state. Wall time and pool busy time are carried over as numbers only.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Scenario } from '../scenario/schema.js';
import type { Node } from './stateGraft.js';

/** Format version of `checkpoint/state.bin`. */
export const CHECKPOINT_VERSION = 1;

/** What one checkpoint holds. */
export interface Checkpoint {
  version: number;
  /** Rounds completed when it was saved (0: before the first). */
  roundsDone: number;
  trafficBytes: number;
  trafficLines: number;
  timelineBytes: number;
  timelineLines: number;
  /** Wall seconds and pool busy seconds spent so far (carried over, not compared). */
  wallSeconds: number;
  poolBusySeconds: number;
  /** Persisted actor snapshots by actor id. */
  actors: Record<string, unknown>;
  /** The simulation's state graph (stateGraft.ts). */
  state: Node;
}

/** `checkpoint/state.bin` of a run folder. */
export function checkpointFile(runDir: string): string {
  return join(runDir, 'checkpoint', 'state.bin');
}

/** `scenario.json` of a run folder. */
export function scenarioFile(runDir: string): string {
  return join(runDir, 'scenario.json');
}

/** Writes `data` to `file` atomically: a temporary sibling, fsync, rename, fsync of the folder. */
export function writeAtomic(file: string, data: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncPath(dirname(file));
}

/** fsync of a file or folder by path (the folder's entry of a renamed file becomes durable). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Saves a checkpoint in `runDir/checkpoint/`, replacing the previous one atomically. */
export function saveCheckpoint(runDir: string, cp: Checkpoint): void {
  writeAtomic(checkpointFile(runDir), serialize(cp));
}

/** The run folder's checkpoint, or null when it has none. */
export function loadCheckpoint(runDir: string): Checkpoint | null {
  const file = checkpointFile(runDir);
  if (!existsSync(file)) return null;
  const cp = deserialize(readFileSync(file)) as Checkpoint;
  if (cp.version !== CHECKPOINT_VERSION) {
    throw new Error(`${file}: checkpoint version must be ${CHECKPOINT_VERSION}, got ${String(cp.version)}`);
  }
  return cp;
}

/** Saves the resolved scenario (overrides applied) in the run folder. */
export function saveScenario(runDir: string, s: Scenario): void {
  writeAtomic(scenarioFile(runDir), `${JSON.stringify(s, null, 2)}\n`);
}

/** The resolved scenario a run folder was started with. */
export function loadSavedScenario(runDir: string): Scenario {
  const file = scenarioFile(runDir);
  if (!existsSync(file)) throw new Error(`--resume ${runDir}: must be a run folder with scenario.json, got none`);
  return JSON.parse(readFileSync(file, 'utf8')) as Scenario;
}

/** Cuts a log back to `bytes` (what it held at the checkpoint); a log shorter than that is an error. */
export function truncateLog(file: string, bytes: number): void {
  const size = existsSync(file) ? statSync(file).size : -1;
  if (size < bytes) throw new Error(`${file}: must hold at least the ${bytes} bytes logged before the checkpoint, got ${size < 0 ? 'no file' : `${size} bytes`}`);
  truncateSync(file, bytes);
}
