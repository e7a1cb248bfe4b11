/**
 * Chooses the tfjs backend a process (or worker thread) computes on, once, and says why.
 * 'auto' prefers native TensorFlow (GPU, then CPU), then wasm with splitwire's conv
 * gradient kernels; the plain `cpu` backend is used only when asked for, since training
 * a conv net on it is ~100x slower than on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradKernels } from './kernels/index.js';
import { gpuConvGradsFromEnv, registerGpuConvGradKernels } from './kernels/gpu/index.js';

export type BackendPreference = 'auto' | 'wasm' | 'webgpu' | 'tfjs-node-gpu' | 'tfjs-node' | 'cpu';

export interface BackendReport {
  /** The backend in use: one of the preferences other than 'auto'. */
  name: string;
  preference: BackendPreference;
  /** Why each backend tried before `name` was not used (empty when none was tried). */
  reasons: string[];
}

/** Effects `selectBackend` performs, replaceable in tests. */
export interface BackendSelectOptions {
  /** Loads an npm package by name; default: dynamic `import()`. */
  importModule?: (name: string) => Promise<unknown>;
}

export const PREFERENCES: readonly BackendPreference[] = ['auto', 'wasm', 'webgpu', 'tfjs-node-gpu', 'tfjs-node', 'cpu'];

/** 'auto' tries these in order (GPUs first); `cpu` is never chosen automatically. */
export const AUTO_ORDER = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm'] as const;

type Candidate = Exclude<BackendPreference, 'auto'>;

/** npm package, what to say when it is missing, and tfjs registry name of each candidate. */
export const CANDIDATES: Record<Candidate, { pkg?: string; missing?: string; tfName: string }> = {
  webgpu: {
    pkg: '@tensorflow/tfjs-backend-webgpu',
    missing: "an optional peer: `npm install @tensorflow/tfjs-backend-webgpu@4.22 webgpu` (Dawn's Node bindings) on a machine with a GPU and Vulkan",
    tfName: 'webgpu',
  },
  'tfjs-node-gpu': {
    pkg: '@tensorflow/tfjs-node-gpu',
    missing: 'an optional dependency; it installs only where CUDA 11.2 and cuDNN 8.1 are present',
    tfName: 'tensorflow',
  },
  'tfjs-node': {
    pkg: '@tensorflow/tfjs-node',
    missing: 'install it to use native TensorFlow on the CPU',
    tfName: 'tensorflow',
  },
  wasm: { tfName: 'wasm' },
  cpu: { tfName: 'cpu' },
};

/**
 * Whether `dataSync()`/`arraySync()` work on the backend `name` (default: the active one).
 * tfjs-webgpu 4.22 reads synchronously through an `OffscreenCanvas`, which Node lacks, so
 * there only `await t.data()` works. `SPLITWIRE_FORCE_ASYNC_READBACK=1` answers false for every
 * backend, so tests run the paths meant for WebGPU on wasm or cpu.
 */
export function hasSyncReadback(name: string = tf.getBackend(), env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['SPLITWIRE_FORCE_ASYNC_READBACK'] === '1') return false;
  return name !== 'webgpu';
}

/** The last selection (in flight or done), so repeated and concurrent calls share it. */
let current: { preference: BackendPreference; selection: Promise<BackendReport> } | undefined;

/**
 * Selects and activates the compute backend. Idempotent: asking again for the preference
 * already selected returns the same report without reloading anything (and re-activates
 * its backend if something switched away since).
 * Throws an Error naming the backend and the cause when an explicit choice cannot load.
 * @example const { name, reasons } = await selectBackend(); // 'wasm' where no tfjs-node is installed
 */
export async function selectBackend(
  preference: BackendPreference = 'auto',
  options: BackendSelectOptions = {},
): Promise<BackendReport> {
  if (!PREFERENCES.includes(preference)) {
    throw new Error(`backend: must be one of ${PREFERENCES.join(', ')}, got '${String(preference)}'`);
  }
  if (current?.preference === preference) {
    const report = await current.selection;
    const tfName = CANDIDATES[report.name as Candidate].tfName;
    // Switching back to an initialised backend is cheap.
    if (tf.getBackend() !== tfName) await tf.setBackend(tfName);
    return report;
  }
  const importModule = options.importModule ?? ((name: string): Promise<unknown> => import(name));
  const selection = select(preference, importModule);
  current = { preference, selection };
  try {
    return await selection;
  } catch (err) {
    if (current?.selection === selection) current = undefined; // let a later call retry
    throw err;
  }
}

async function select(
  preference: BackendPreference,
  importModule: (name: string) => Promise<unknown>,
): Promise<BackendReport> {
  if (preference !== 'auto') {
    const failure = await activate(preference, importModule);
    if (failure !== undefined) throw new Error(`backend '${preference}' cannot be used: ${failure}`);
    return { name: preference, preference, reasons: [] };
  }
  const reasons: string[] = [];
  for (const candidate of AUTO_ORDER) {
    const failure = await activate(candidate, importModule);
    if (failure === undefined) return { name: candidate, preference, reasons };
    reasons.push(`${candidate}: ${failure}`);
  }
  throw new Error(`backend 'auto': no backend could be used (${reasons.join('; ')})`);
}

/** Loads and activates one backend; returns why it failed, or undefined on success. */
async function activate(
  candidate: Candidate,
  importModule: (name: string) => Promise<unknown>,
): Promise<string | undefined> {
  const { pkg, missing, tfName } = CANDIDATES[candidate];
  if (candidate === 'webgpu') {
    // WebGPU in Node comes from Dawn's `webgpu` package: install its globals and navigator.gpu first.
    const failure = await installDawn(importModule, missing ?? '');
    if (failure !== undefined) return failure;
  }
  if (pkg !== undefined) {
    try {
      await importModule(pkg);
    } catch (err) {
      return isModuleNotFound(err, pkg)
        ? `not installed (${pkg}: ${missing})`
        : `${pkg} failed to load: ${errorMessage(err)}`;
    }
    if (tf.findBackendFactory(tfName) == null) {
      return `${pkg} loaded but registered no '${tfName}' backend (a second copy of @tensorflow/tfjs-core?)`;
    }
  }
  if (candidate === 'wasm') registerWasmGradKernels();
  if (candidate === 'webgpu') registerGpuConvGradKernels('webgpu', gpuConvGradsFromEnv()); // SPLITWIRE_GPU_CONV_GRADS=0 disables
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } catch (err) {
    return `initialisation failed: ${errorMessage(err)}`;
  }
  if (!ok && candidate === 'webgpu') return 'no WebGPU adapter (Dawn found no usable GPU: check the Vulkan loader and driver)';
  return ok ? undefined : `initialisation failed (tf.setBackend('${tfName}') returned false)`;
}

/** Makes Dawn's WebGPU implementation the global `navigator.gpu`; returns why it could not. */
async function installDawn(importModule: (name: string) => Promise<unknown>, missing: string): Promise<string | undefined> {
  let dawn: { create?: (flags: string[]) => unknown; globals?: object };
  try {
    dawn = (await importModule('webgpu')) as typeof dawn;
  } catch (err) {
    return isModuleNotFound(err, 'webgpu') ? `not installed (webgpu: ${missing})` : `webgpu failed to load: ${errorMessage(err)}`;
  }
  if (typeof dawn.create !== 'function' || dawn.globals === undefined) return 'webgpu loaded but has no create()/globals (an unexpected version?)';
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu === undefined) {
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu: dawn.create([]) }, configurable: true });
  }
  return undefined;
}

function isModuleNotFound(err: unknown, pkg: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    // Only when the package itself is missing, not one of its own imports.
    return errorMessage(err).includes(`'${pkg}'`) || errorMessage(err).includes(`"${pkg}"`);
  }
  return false;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
