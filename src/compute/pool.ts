/**
 * The compute pool: a thin class over piscina. Tasks are named (types.ts), inputs travel as
 * transferable buffers, and the pool measures how much wall time it was busy, so benchmarks
 * can report how much of a run is orchestration rather than compute.
 *
 * On a GPU backend the pool runs one worker thread: each thread would otherwise open its own
 * GPU device (its own context, memory pool and shader cache), so one thread owns the single
 * GPU context and every simulated client's tasks queue on it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { wallSeconds } from '../sim/wallClock.js';
import type { PoolRequest, PoolResult, WorkerSettings } from './types.js';

export interface ComputePoolOptions {
  /** Worker threads; default 2. A GPU backend runs one (see {@link poolThreadsFor}). */
  threads?: number;
  /** tfjs backend preference for the workers; default 'auto'. */
  backend?: string;
  /** Whether a GPU backend's packages are installed; default: {@link gpuPackagesInstalled}(). */
  gpuPackagesInstalled?: boolean;
}

/** Backends that drive a GPU: one device context per process is what they are built for. */
export const GPU_BACKENDS: readonly string[] = ['webgpu', 'tfjs-node-gpu'];

/** How many worker threads the pool runs, and why. */
export interface PoolThreads {
  threads: number;
  /** One worker owns the only GPU context; every simulated client's tasks queue on it. */
  gpuShared: boolean;
  /**
   * 'auto' where a GPU package is installed: start with the one GPU worker, and grow to the
   * requested threads once the worker reports a non-GPU backend.
   */
  provisional: boolean;
}

/** What the pool runs, for run summaries and logs. */
export interface PoolInfo extends PoolThreads {
  backendPreference: string;
  requestedThreads: number;
  /** The backend the workers selected; known after {@link ComputePool.warmUp}. */
  backend?: string;
}

/**
 * Worker threads for a backend preference: 1 for a GPU backend (`webgpu`, `tfjs-node-gpu`),
 * the requested count otherwise. 'auto' may resolve to a GPU backend only where one of their
 * packages is installed (`gpuPackagesInstalled`); then it starts with one thread, provisionally.
 * @example poolThreadsFor('webgpu', 4) // { threads: 1, gpuShared: true, provisional: false }
 */
export function poolThreadsFor(backendPreference: string, requestedThreads = 2, gpuPackagesInstalled = false): PoolThreads {
  if (!Number.isInteger(requestedThreads) || requestedThreads < 1) {
    throw new Error(`compute.workers: must be an integer >= 1, got ${requestedThreads}`);
  }
  if (GPU_BACKENDS.includes(backendPreference)) return { threads: 1, gpuShared: true, provisional: false };
  if (backendPreference === 'auto' && gpuPackagesInstalled) return { threads: 1, gpuShared: true, provisional: true };
  return { threads: requestedThreads, gpuShared: false, provisional: false };
}

/** Whether a GPU backend's packages resolve from here (without loading them). */
export function gpuPackagesInstalled(): boolean {
  const require = createRequire(import.meta.url);
  const resolves = (name: string): boolean => {
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  };
  return resolves('@tensorflow/tfjs-node-gpu') || (resolves('webgpu') && resolves('@tensorflow/tfjs-backend-webgpu'));
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
    case 'codec.train':
      add(req.tensor.data);
      add(req.dOutput?.data);
      break;
    default:
      break;
  }
  return [...out];
}

export class ComputePool {
  private piscina: Piscina<PoolRequest, PoolResult>;
  private inFlight = 0;
  private busySince = 0;
  private busyTotal = 0;
  private readonly settings: WorkerSettings;
  private plan: PoolInfo;
  /** Tasks run, by name. */
  readonly counts: Record<string, number> = {};

  constructor(options: ComputePoolOptions = {}) {
    this.settings = { backend: options.backend ?? 'auto' };
    const requestedThreads = options.threads ?? 2;
    const installed = this.settings.backend === 'auto' && (options.gpuPackagesInstalled ?? gpuPackagesInstalled());
    this.plan = {
      backendPreference: this.settings.backend,
      requestedThreads,
      ...poolThreadsFor(this.settings.backend, requestedThreads, installed),
    };
    this.piscina = this.start(this.plan.threads);
  }

  private start(threads: number): Piscina<PoolRequest, PoolResult> {
    return new Piscina({
      filename: compiledPath('compute/worker.js'),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: this.settings,
    });
  }

  /** Threads, whether one GPU context is shared, and (after warmUp) the workers' backend. */
  get info(): PoolInfo {
    return { ...this.plan };
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

  /**
   * Starts every worker and returns the backend they run (tfjs' name: 'webgpu', 'wasm',
   * 'tensorflow', ...). A provisional single-thread pool ('auto' with a GPU package installed)
   * whose worker fell back to wasm or cpu is restarted with the requested threads, if no task
   * is running yet.
   */
  async warmUp(): Promise<string> {
    let backend = await this.ping();
    // Only wasm and cpu are surely CPU-bound: 'tensorflow' may be tfjs-node-gpu (and
    // tfjs-node threads inside TensorFlow anyway).
    if (this.plan.provisional && (backend === 'wasm' || backend === 'cpu') && this.inFlight === 0) {
      const old = this.piscina;
      this.piscina = this.start(this.plan.requestedThreads);
      await old.destroy();
      this.plan = { ...this.plan, threads: this.plan.requestedThreads, gpuShared: false };
      backend = await this.ping();
    }
    this.plan = { ...this.plan, provisional: false, backend };
    return backend;
  }

  private async ping(): Promise<string> {
    const threads = this.piscina.options.maxThreads;
    const pings = await Promise.all(Array.from({ length: threads }, () => this.piscina.run({ task: 'ping' })));
    return pings[0]?.backend ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
