/**
 * Where a run's compute goes: the quickstart run on a pool that sums the workers' own time per
 * kind of task (learned-codec work apart from the rest), and one training step per kernel.
 * For `npm run bench -- --only profile`; the numbers are wall milliseconds of this machine.
 */
import { ComputePool, type ComputePoolOptions } from '../compute/pool.js';
import type { PoolRequest, PoolResult } from '../compute/types.js';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { runScenario } from '../run/simulation.js';
import { wallSeconds } from '../sim/wallClock.js';
import { profileKernels, type KernelProfile } from './kernelProfile.js';
import { prepareTrainStep } from './trainStep.js';

/** A task's kind for the profile: its name, and whether (and how) a learned codec takes part. */
export function taskKind(req: PoolRequest): string {
  switch (req.task) {
    case 'encode':
      if (req.learned === undefined) return 'encode';
      return req.learned.train !== undefined ? 'encode.learned+train' : 'encode.learned';
    case 'decode':
      return req.learned === undefined ? 'decode' : 'decode.learned';
    case 'part.backward':
      if (req.outputCodec === undefined) return `part.backward ${req.part}`;
      return `part.backward ${req.part} through codec${req.outputCodec.train !== undefined ? '+train' : ''}`;
    case 'part.forward':
    case 'part.train':
      return `${req.task} ${req.part}`;
    case 'codec.train':
      return `codec.train ${req.role}`;
    default:
      return req.task;
  }
}

/** A compute pool that adds up the workers' time per {@link taskKind}. */
export class ProfilingPool extends ComputePool {
  readonly byKind = new Map<string, { tasks: number; ms: number }>();

  constructor(options: ComputePoolOptions = {}) {
    super(options);
  }

  override async run(req: PoolRequest, keep?: ReadonlySet<ArrayBufferLike>): Promise<PoolResult> {
    const kind = taskKind(req);
    const r = await super.run(req, keep);
    const row = this.byKind.get(kind) ?? { tasks: 0, ms: 0 };
    row.tasks += 1;
    row.ms += r.workerMs ?? 0;
    this.byKind.set(kind, row);
    return r;
  }
}

export interface RunProfile {
  codec: string;
  wallSeconds: number;
  finalMeanIoU: number | null;
  /** Sum of the workers' task time, milliseconds. */
  workerMs: number;
  /** Share of workerMs in tasks that code with, or train, a learned codec. */
  learnedCodecTaskShare: number;
  /** Per task kind, largest first: tasks, ms, share of workerMs. */
  tasks: { kind: string; tasks: number; ms: number; share: number }[];
}

/** The quickstart (`rounds` rounds) with `codec`, profiled per task kind. */
export async function profileRun(codec: string, rounds = 2, overrides: ReturnType<typeof parseOverride>[] = []): Promise<RunProfile> {
  const s = await loadScenario('scenarios/quickstart.yaml', [parseOverride(`protocol.rounds=${rounds}`), parseOverride(`codec.name=${codec}`), ...overrides]);
  const pool = new ProfilingPool({ threads: s.compute.workers, backend: s.compute.backend });
  const t0 = wallSeconds();
  let finalMeanIoU: number | null;
  try {
    finalMeanIoU = (await runScenario(s, { outDir: null, pool })).summary.final.meanIoU;
  } finally {
    await pool.close();
  }
  const wall = wallSeconds() - t0;
  const rows = [...pool.byKind.entries()].map(([kind, r]) => ({ kind, tasks: r.tasks, ms: Math.round(r.ms) }));
  const workerMs = rows.reduce((a, r) => a + r.ms, 0);
  const learned = rows.filter((r) => /learned|codec/.test(r.kind)).reduce((a, r) => a + r.ms, 0);
  return {
    codec,
    wallSeconds: wall,
    finalMeanIoU,
    workerMs,
    learnedCodecTaskShare: learned / workerMs,
    tasks: rows.map((r) => ({ ...r, share: Math.round((r.ms / workerMs) * 1000) / 1000 })).sort((a, b) => b.ms - a.ms),
  };
}

/** One training step (after a warm-up step) of the given size, per kernel, on the current backend. */
export async function profileTrainStep(o: { baseChannels: number; size: number; batch: number }): Promise<KernelProfile & { shares: Record<string, number> }> {
  const prepared = prepareTrainStep(o);
  try {
    await prepared.step();
    const p = await profileKernels(() => prepared.step());
    const shares: Record<string, number> = {};
    for (const k of p.kernels) shares[k.kernel] = Math.round((k.selfMs / p.totalMs) * 1000) / 1000;
    shares['(outside kernels)'] = Math.round((p.outsideKernelsMs / p.totalMs) * 1000) / 1000;
    return { ...p, shares };
  } finally {
    prepared.dispose();
  }
}
