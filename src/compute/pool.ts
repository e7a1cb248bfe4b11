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
  /**
   * Run tasks one at a time in the calling thread instead of worker threads (`threads` is then
   * 1). For a process that is one of several running at once on a machine's cores (a sweep's
   * points): no second thread to start, no buffers to move, and the same results.
   */
  inThread?: boolean;
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
  /** Tasks run in the calling thread, one at a time (no worker threads). */
  inThread?: boolean;
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

type RunTask = (req: PoolRequest, use: WorkerSettings) => Promise<PoolResult>;

/** `req` with every buffer in `keep` replaced by a copy (what a message to a worker thread does). */
function copyKept(req: PoolRequest, keep: ReadonlySet<ArrayBufferLike>): PoolRequest {
  const copied = new Map<ArrayBufferLike, ArrayBuffer>();
  const own = <T extends ArrayBufferView>(v: T): T => {
    if (!keep.has(v.buffer)) return v;
    let b = copied.get(v.buffer);
    if (b === undefined) {
      b = (v.buffer as ArrayBuffer).slice(0);
      copied.set(v.buffer, b);
    }
    const C = v.constructor as new (b: ArrayBuffer, o: number, n: number) => T;
    return new C(b, v.byteOffset, v.byteLength / ((v as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1));
  };
  const walk = (x: unknown): unknown => {
    if (ArrayBuffer.isView(x)) return own(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    return x;
  };
  return walk(req) as PoolRequest;
}

export class ComputePool {
  /** Worker threads; null in the in-thread mode. */
  private piscina: Piscina<PoolRequest, PoolResult> | null;
  /** In-thread mode: the worker's task function, and the tail of the one-at-a-time queue. */
  private runTask: Promise<RunTask> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
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
    const threads = poolThreadsFor(this.settings.backend, requestedThreads, installed);
    if (options.inThread === true) {
      this.plan = { backendPreference: this.settings.backend, requestedThreads, threads: 1, gpuShared: threads.gpuShared, provisional: false, inThread: true };
      this.piscina = null;
      this.runTask = import('./worker.js').then((m) => m.runTask);
      return;
    }
    this.plan = { backendPreference: this.settings.backend, requestedThreads, ...threads };
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
      if (this.piscina !== null) return await this.piscina.run(req, { transferList: transferList(req, keep) });
      return await this.inThread(req, keep);
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.busyTotal += wallSeconds() - this.busySince;
    }
  }

  /**
   * Runs `req` in this thread after the tasks before it, as one worker thread would. Buffers the
   * sender keeps are copied, as the worker threads' messages would copy them.
   */
  private inThread(req: PoolRequest, keep: ReadonlySet<ArrayBufferLike>): Promise<PoolResult> {
    const own = keep.size === 0 ? req : copyKept(req, keep);
    const runTask = this.runTask as Promise<RunTask>;
    // A turn of the event loop before each task: on wasm a task's awaits resolve at once, so a
    // chain of tasks would otherwise starve I/O, and the process would not hear its parent go
    // away (a killed sweep), signals or progress until the whole run ended.
    const job = this.queue.then(() => new Promise<void>((r) => setImmediate(r))).then(async () => (await runTask)(own, this.settings));
    this.queue = job.catch(() => undefined);
    return job;
  }

  /** Worker threads the tasks run on; 0 in the in-thread mode (summary.json `computeThreads`). */
  get computeThreads(): number {
    return this.plan.inThread === true ? 0 : this.plan.threads;
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
    if (this.piscina !== null && this.plan.provisional && (backend === 'wasm' || backend === 'cpu') && this.inFlight === 0) {
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
    if (this.piscina === null) return (await this.run({ task: 'ping' })).backend ?? 'unknown';
    const piscina = this.piscina;
    const pings = await Promise.all(Array.from({ length: piscina.options.maxThreads }, () => piscina.run({ task: 'ping' })));
    return pings[0]?.backend ?? 'unknown';
  }

  async close(): Promise<void> {
    if (this.piscina !== null) await this.piscina.destroy();
    else await this.queue;
  }
}
