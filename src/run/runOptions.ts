/** What a caller gives a simulated run and gets back (runScenario in simulation.ts). */
import type { ComputePool } from '../compute/pool.js';
import type { Faults } from '../interpret/index.js';
import type { DataInfo } from './evaluate.js';
import type { RoundRecord, RunSummary } from './summary.js';

/** Progress reported while a run goes on. */
export interface Progress {
  round: number;
  rounds: number;
  simulatedSeconds: number;
  wallSeconds: number;
  stepsDone: number;
  stepsTotal: number;
  lastRound?: RoundRecord;
}

export interface RunOptions {
  /** Folder for traffic.ndjson, timeline.ndjson and summary.json; null writes nothing. */
  outDir: string | null;
  onProgress?: (p: Progress) => void;
  /** Called before the run starts for each warning the scenario alone gives (links too slow for a round). */
  onWarning?: (message: string) => void;
  /** Called once the data is loaded, before training: the labels as read, notices, the trivial score. */
  onData?: (info: DataInfo) => void;
  /** Called after every training step (for a progress bar; `lastRound` unset). */
  onStep?: (p: Progress) => void;
  /** Aborting it stops the run at the next instant: logs flushed, summary `status: "interrupted"`. */
  signal?: AbortSignal;
  /** The run id written into every file (default: runIdOf(scenario)). */
  runId?: string;
  /** Run actors in this thread instead of host workers (tests). */
  inProcessActors?: boolean;
  /**
   * Continue the run in `outDir` from its last checkpoint (checkpoint.ts) instead of starting:
   * its logs are cut back to the checkpoint and the remaining rounds appended. The scenario
   * must be the one saved in the folder (`loadSavedScenario`).
   */
  resume?: boolean;
  /** A pool to use (and leave open) instead of starting one: tests that run many short runs. Its workers hold no run state. */
  pool?: ComputePool;
  /** Faults on top of the scenario's own (src/interpret/faultPlan.ts, as `splitwire check` generates them); default none. */
  faults?: Faults;
  /** Tests: stop as a kill would, after this many instants of this process (throws {@link RunStopped}). */
  stopAfterInstants?: number;
  /** Tests: stop as a kill would, right after this process's n-th checkpoint is saved (a kill between rounds). */
  stopAfterCheckpoints?: number;
}

/** Thrown when a run stops at `stopAfterInstants` (tests of checkpoint and resume). */
export class RunStopped extends Error {
  constructor(readonly instants: number) {
    super(`run stopped after ${instants} instants (stopAfterInstants or stopAfterCheckpoints)`);
  }
}

/** What a finished run hands back besides its files. */
export interface RunResult {
  summary: RunSummary;
  /** Sum of byteLength of every buffer handed to the network, by kind (the traffic log must match). */
  sentBufferBytes: Record<string, number>;
  poolBusySeconds: number;
}
