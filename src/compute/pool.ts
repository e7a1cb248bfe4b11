/**
 * The compute pool: a thin class over piscina. Tasks are named (types.ts), inputs travel as
 * transferable buffers, and the pool measures how much wall time it was busy, so benchmarks
 * can report how much of a run is orchestration rather than compute.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { wallSeconds } from '../sim/wallClock.js';
import type { PoolRequest, PoolResult, WorkerSettings } from './types.js';

export interface ComputePoolOptions {
  /** Worker threads; default 2. */
  threads?: number;
  /** tfjs backend preference for the workers; default 'auto'. */
  backend?: string;
}

/**
 * The compiled worker script. Tests run from TypeScript sources, but workers always load the
 * compiled JavaScript (`npm test` builds first), so this resolves `dist/…` from either tree.
 */
export function compiledPath(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const file = join(dir, 'dist', relative);
      if (!existsSync(file)) throw new Error(`compiled file ${file} is missing: run \`npm run build\` first`);
      return file;
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find the project root from ${fileURLToPath(import.meta.url)}`);
}

/** Buffers to transfer with a request: everything not shared and not kept by the sender. */
function transferList(req: PoolRequest, keep: ReadonlySet<ArrayBufferLike>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (v: { buffer: ArrayBufferLike } | null | undefined): void => {
    if (v == null) return;
    const b = v.buffer;
    if (b instanceof ArrayBuffer && !keep.has(b)) out.add(b);
  };
  switch (req.task) {
    case 'part.forward':
    case 'part.backward':
    case 'part.train':
      for (const t of req.inputs) add(t.data);
      if (req.task === 'part.backward') for (const d of req.dOutputs) add(d?.data);
      if (req.task === 'part.train') add(req.labels.data);
      break;
    case 'encode':
      add(req.tensor.data);
      break;
    case 'decode':
      add(req.bytes);
      break;
    default:
      break;
  }
  return [...out];
}

export class ComputePool {
  private readonly piscina: Piscina<PoolRequest, PoolResult>;
  private inFlight = 0;
  private busySince = 0;
  private busyTotal = 0;
  /** Tasks run, by name. */
  readonly counts: Record<string, number> = {};

  constructor(options: ComputePoolOptions = {}) {
    const threads = options.threads ?? 2;
    const settings: WorkerSettings = { backend: options.backend ?? 'auto' };
    this.piscina = new Piscina({
      filename: compiledPath('compute/worker.js'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: settings,
    });
  }

  /**
   * Runs a named task. Buffers in the request are transferred (the caller gives them up)
   * unless listed in `keep`, which are copied.
   */
  async run(req: PoolRequest, keep: ReadonlySet<ArrayBufferLike> = new Set()): Promise<PoolResult> {
    if (this.inFlight === 0) this.busySince = wallSeconds();
    this.inFlight += 1;
    this.counts[req.task] = (this.counts[req.task] ?? 0) + 1;
    try {
      return await this.piscina.run(req, { transferList: transferList(req, keep) });
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.busyTotal += wallSeconds() - this.busySince;
    }
  }

  /** Wall seconds during which at least one task was running. */
  get busySeconds(): number {
    return this.busyTotal + (this.inFlight > 0 ? wallSeconds() - this.busySince : 0);
  }

  /** Starts every worker and returns the backend they run. */
  async warmUp(): Promise<string> {
    const threads = this.piscina.options.maxThreads;
    const pings = await Promise.all(Array.from({ length: threads }, () => this.piscina.run({ task: 'ping' })));
    return pings[0]?.backend ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
