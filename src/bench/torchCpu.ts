/**
 * The `torchCpu` benchmark: splitwire's split U-Net training step on wasm against the same step
 * in PyTorch on the CPU (scripts/torch_unet_step.py --serve), both on one thread, on the same
 * weights and batch, interleaved step by step so machine load hits both alike. PyTorch is only
 * a yardstick here, never a dependency: without `import torch` the entry says why and skips.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { shapeSize } from '../model/layers.js';
import { getPart } from '../model/unet.js';
import { wallSeconds } from '../sim/wallClock.js';
import type { GpuTrainSize } from './gpuTrainStep.js';
import { median, prepareTrainStep, type PreparedTrainStep } from './trainStep.js';

/** The reference script, found from this module (src/bench or dist/bench). */
export const TORCH_SCRIPT = fileURLToPath(new URL('../../scripts/torch_unet_step.py', import.meta.url));

/**
 * Pythons tried in order: `SPLITWIRE_PYTHON` if set, then `python3` on the PATH, then Debian's
 * system Python (where `apt-get install python3-torch` puts torch when a pyenv shim shadows it).
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const own = env['SPLITWIRE_PYTHON'];
  return own !== undefined && own !== '' ? [own] : ['python3', '/usr/bin/python3'];
}

/** The first candidate Python that can `import torch`, or why none can. */
export function findTorchPython(candidates: readonly string[] = pythonCandidates()): { python: string } | { reason: string } {
  const why: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python };
    const last = (r.error?.message ?? r.stderr ?? '').trim().split('\n').pop() ?? '';
    why.push(`${python}: ${last || `exit ${String(r.status)}`}`);
  }
  return { reason: `no Python with torch (${why.join('; ')}); apt-get install python3-torch libopenblas0-openmp` };
}

/** One step's answer from the script. */
export interface TorchStep {
  ms: number;
  loss: number;
}

/** A running `torch_unet_step.py --serve`: one JSON command per line, one answer per line. */
export class TorchStepper {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';
  private dir: string | undefined;

  /** Starts the script on `python`, with torch on `threads` threads (default 1). */
  constructor(python: string, threads = 1) {
    this.child = spawn(python, [TORCH_SCRIPT, '--serve', '--threads', String(threads)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
    const fail = (why: string): void => {
      for (const p of this.pending.splice(0)) p(JSON.stringify({ error: why }));
    };
    this.child.on('exit', () => fail(`torch_unet_step.py exited: ${this.stderr.trim().split('\n').pop() ?? ''}`));
    this.child.on('error', (err) => fail(`${python}: ${err.message}`));
    // A write to a script that never started or has died: reported by 'error' or 'exit' above.
    this.child.stdin.on('error', () => undefined);
  }

  private async ask(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    const line = await new Promise<string>((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
    const reply = JSON.parse(line) as Record<string, unknown>;
    if (typeof reply['error'] === 'string') throw new Error(`torch_unet_step.py ${String(cmd['op'])}: ${reply['error']}`);
    return reply;
  }

  /** Loads the prepared step's current weights and its batch into the script's model. */
  async load(prepared: PreparedTrainStep, lr = 1e-3): Promise<{ params: number; threads: number; torch: string }> {
    this.dir ??= mkdtempSync(join(tmpdir(), 'splitwire-torch-'));
    const header = writeTorchBatch(this.dir, prepared, lr);
    const r = await this.ask({ op: 'load', header });
    return { params: Number(r['params']), threads: Number(r['threads']), torch: String(r['torch']) };
  }

  /** One Adam step of the loaded model, timed inside the script (no pipe time). */
  async step(): Promise<TorchStep> {
    const r = await this.ask({ op: 'step' });
    return { ms: Number(r['ms']), loss: Number(r['loss']) };
  }

  /** Ends the script and removes the files it read. */
  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
      await exited;
    }
    this.lines.close();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Writes the step's parameters (by splitwire name, tfjs layout), images and labels as one raw
 * little-endian file plus the JSON header the script's `load` reads; returns the header's path.
 */
export function writeTorchBatch(dir: string, prepared: PreparedTrainStep, lr: number): string {
  const tensors: { name: string; dtype: 'float32' | 'int32'; shape: number[]; offset: number }[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (name: string, dtype: 'float32' | 'int32', shape: number[], data: Float32Array | Int32Array): void => {
    tensors.push({ name, dtype, shape, offset });
    chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  };
  for (const name of ['FE', 'M', 'BE'] as const) {
    const part = getPart(prepared.model, name);
    let at = 0;
    for (const spec of part.params) {
      const n = shapeSize(spec.shape);
      add(spec.name, 'float32', spec.shape, prepared.params[name].subarray(at, at + n));
      at += n;
    }
  }
  const { size, inChannels } = prepared.config;
  const batch = prepared.yData.length / (size * size);
  add('x', 'float32', [batch, size, size, inChannels], prepared.xData);
  add('labels', 'int32', [batch, size, size], prepared.yData);
  const bin = join(dir, 'batch.bin');
  writeFileSync(bin, Buffer.concat(chunks));
  const header = join(dir, 'batch.json');
  writeFileSync(header, JSON.stringify({ bin, config: prepared.config, lr, tensors }));
  return header;
}

/** One size of the comparison (the model-size shape the GPU entry uses, with a ratio's suffix as name). */
export interface TorchCpuSize extends GpuTrainSize {
  name: 'Small' | 'Medium';
}

export const TORCH_CPU_SIZES: readonly TorchCpuSize[] = [
  { name: 'Small', baseChannels: 16, size: 64, batch: 8 },
  { name: 'Medium', baseChannels: 32, size: 128, batch: 8 },
];

export interface TorchCpuOptions {
  quick?: boolean;
  sizes?: readonly TorchCpuSize[];
  /** Timed steps per side per size; default 3 (quick) or 7 (medium: 2 or 5). */
  steps?: number;
}

/**
 * Per size: the wasm step (current backend, meant to be wasm) and PyTorch's on the same weights
 * and batch, one step each in turn after a warm-up step each; `wasmVsTorchCpuTrainStep<Size>` =
 * median wasm ms / median PyTorch ms. `{ skipped }` when no Python can import torch.
 */
export async function benchTorchCpu(o: TorchCpuOptions = {}): Promise<Record<string, unknown>> {
  const found = findTorchPython();
  if ('reason' in found) return { torchCpu: { skipped: found.reason } };
  const out: Record<string, unknown> = {};
  const rows: Record<string, unknown> = { python: found.python };
  for (const s of o.sizes ?? TORCH_CPU_SIZES) {
    const steps = o.steps ?? (s.size >= 128 ? (o.quick ? 2 : 5) : o.quick ? 3 : 7);
    const prepared = prepareTrainStep({ baseChannels: s.baseChannels, size: s.size, batch: s.batch });
    const torch = new TorchStepper(found.python, 1);
    try {
      const info = await torch.load(prepared);
      const wasmMs: number[] = [];
      const torchMs: number[] = [];
      const wasmLoss: number[] = [];
      const torchLoss: number[] = [];
      for (let i = 0; i <= steps; i++) {
        const t0 = wallSeconds();
        const lw = await prepared.step();
        const w = (wallSeconds() - t0) * 1000;
        const t = await torch.step();
        wasmLoss.push(lw);
        torchLoss.push(t.loss);
        // Step 0 is the warm-up of each side.
        if (i > 0) {
          wasmMs.push(w);
          torchMs.push(t.ms);
        }
      }
      const ratio = median(wasmMs) / median(torchMs);
      out[`wasmVsTorchCpuTrainStep${s.name}`] = round(ratio);
      rows[s.name] = {
        baseChannels: s.baseChannels,
        size: s.size,
        batch: s.batch,
        wasmMs: round(median(wasmMs)),
        torchMs: round(median(torchMs)),
        wasmTimes: wasmMs.map(round),
        torchTimes: torchMs.map(round),
        wasmLosses: wasmLoss,
        torchLosses: torchLoss,
        torchThreads: info.threads,
        torch: info.torch,
      };
    } finally {
      prepared.dispose();
      await torch.close();
    }
  }
  return { ...out, torchCpu: rows };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
