/** `splitwire doctor`: what this machine can compute on, and what to install for the rest. */
import { cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { AUTO_ORDER, CANDIDATES, selectBackend, type BackendPreference } from '../compute/backend.js';
import type { Io } from './io.js';

export const DOCTOR_HELP = `Usage: splitwire doctor

Prints the Node.js version and machine size, tries every compute backend in the order
'compute.backend: auto' does (tfjs-node-gpu, webgpu, tfjs-node, wasm), says which work and,
for each that does not, why and what to install; then which one 'auto' picks.
`;

/** `importModule`: replaces `import()` when looking for the optional backends' packages (tests). */
export async function doctorCommand(argv: string[], io: Io, options: { importModule?: (name: string) => Promise<unknown> } = {}): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(DOCTOR_HELP);
    return 0;
  }
  if (argv.length > 0) {
    io.stderr(`splitwire doctor: takes no arguments, got ${argv.join(' ')}\n\n${DOCTOR_HELP}`);
    return 2;
  }
  io.stdout(`Node.js ${process.version} on ${process.platform}-${process.arch}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`);
  io.stdout(`@tensorflow/tfjs ${tf.version.tfjs}\n\nbackends (in the order 'auto' tries them):\n`);
  let usable = 0;
  for (const name of AUTO_ORDER) {
    try {
      await selectBackend(name as BackendPreference, options);
      usable += 1;
      io.stdout(`  ok    ${name}${name === 'wasm' ? ' (single-threaded SIMD, splitwire conv gradient kernels registered)' : ''}\n`);
      if (name === 'webgpu') await describeAdapter(io);
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).replace(/^backend '[^']+' cannot be used: /, '');
      io.stdout(`  no    ${name}: ${why}\n`);
      const pkg = CANDIDATES[name].pkg;
      if (pkg !== undefined && /not installed/.test(why)) io.stdout(`        to use it: ${installHint(name)}\n`);
    }
  }
  const auto = await selectBackend('auto', options);
  io.stdout(`\n'auto' uses: ${auto.name}\n`);
  return usable > 0 ? 0 : 1;
}

function installHint(name: string): string {
  switch (name) {
    case 'tfjs-node-gpu':
      return 'npm install @tensorflow/tfjs-node-gpu (needs CUDA 11.2 and cuDNN 8.1; its install downloads libtensorflow)';
    case 'tfjs-node':
      return 'npm install @tensorflow/tfjs-node (its install downloads libtensorflow)';
    case 'webgpu':
      return 'npm install @tensorflow/tfjs-backend-webgpu@4.22 webgpu (a GPU with a Vulkan driver and loader)';
    default:
      return 'nothing: it ships with splitwire';
  }
}

async function describeAdapter(io: Io): Promise<void> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<{ info?: Record<string, unknown> } | null> } } }).navigator?.gpu;
  const adapter = await gpu?.requestAdapter();
  if (adapter?.info) io.stdout(`        adapter: ${JSON.stringify(adapter.info)}\n`);
}
