import { describe, expect, it } from 'vitest';
import { ComputePool, GPU_BACKENDS, gpuPackagesInstalled, poolThreadsFor } from './pool.js';
import { PREFERENCES } from './backend.js';

describe('poolThreadsFor', () => {
  it('runs one worker owning the GPU context for webgpu and tfjs-node-gpu, whatever was asked', () => {
    for (const pref of ['webgpu', 'tfjs-node-gpu']) {
      for (const requested of [1, 2, 8, 64]) {
        expect(poolThreadsFor(pref, requested)).toEqual({ threads: 1, gpuShared: true, provisional: false });
      }
    }
  });

  it('gives CPU backends the requested threads', () => {
    for (const pref of ['wasm', 'cpu', 'tfjs-node']) {
      expect(poolThreadsFor(pref, 6)).toEqual({ threads: 6, gpuShared: false, provisional: false });
    }
    expect(poolThreadsFor('wasm')).toEqual({ threads: 2, gpuShared: false, provisional: false });
  });

  it("starts 'auto' on one provisional GPU worker only where a GPU package is installed", () => {
    expect(poolThreadsFor('auto', 4, false)).toEqual({ threads: 4, gpuShared: false, provisional: false });
    expect(poolThreadsFor('auto', 4, true)).toEqual({ threads: 1, gpuShared: true, provisional: true });
  });

  it('covers every backend preference, and GPU_BACKENDS are exactly the GPU ones', () => {
    const threads = Object.fromEntries(PREFERENCES.map((p) => [p, poolThreadsFor(p, 3).threads]));
    expect(threads).toEqual({ auto: 3, wasm: 3, webgpu: 1, 'tfjs-node-gpu': 1, 'tfjs-node': 3, cpu: 3 });
    expect([...GPU_BACKENDS].sort()).toEqual(['tfjs-node-gpu', 'webgpu']);
  });

  it('rejects a thread count that is not a positive integer, naming the field', () => {
    expect(() => poolThreadsFor('wasm', 0)).toThrow('compute.workers: must be an integer >= 1, got 0');
    expect(() => poolThreadsFor('webgpu', 1.5)).toThrow('compute.workers: must be an integer >= 1, got 1.5');
  });
});

describe('ComputePool', () => {
  it('reports one shared GPU worker for webgpu and the requested threads for wasm', async () => {
    // No GPU and no task here: the workers start but are never asked to select a backend.
    const gpu = new ComputePool({ threads: 4, backend: 'webgpu' });
    const cpu = new ComputePool({ threads: 2, backend: 'wasm' });
    try {
      expect(gpu.info).toEqual({ backendPreference: 'webgpu', requestedThreads: 4, threads: 1, gpuShared: true, provisional: false });
      expect(cpu.info).toMatchObject({ backendPreference: 'wasm', requestedThreads: 2, threads: 2, gpuShared: false });
    } finally {
      await Promise.all([gpu.close(), cpu.close()]);
    }
  });

  it("'auto' with a GPU package installed starts one worker, and grows when it falls back to wasm", async () => {
    const pool = new ComputePool({ threads: 2, backend: 'auto', gpuPackagesInstalled: true });
    try {
      expect(pool.info).toMatchObject({ threads: 1, gpuShared: true, provisional: true });
      // Here no GPU package really loads, so the worker's 'auto' resolves to wasm.
      expect(await pool.warmUp()).toBe('wasm');
      expect(pool.info).toEqual({
        backendPreference: 'auto',
        requestedThreads: 2,
        threads: 2,
        gpuShared: false,
        provisional: false,
        backend: 'wasm',
      });
      const result = await pool.run({ task: 'ping' });
      expect(result.backend).toBe('wasm');
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("'auto' follows the installed packages when not told", async () => {
    const pool = new ComputePool({ threads: 3 });
    try {
      expect(pool.info).toMatchObject(poolThreadsFor('auto', 3, gpuPackagesInstalled()));
    } finally {
      await pool.close();
    }
  });

  it('in-thread: runs tasks one at a time in this thread, the same results as a worker, kept buffers copied, a failure not blocking the next', async () => {
    const inThread = new ComputePool({ inThread: true, backend: 'wasm' });
    const worker = new ComputePool({ threads: 1, backend: 'wasm' });
    try {
      expect(inThread.info).toMatchObject({ threads: 1, inThread: true });
      expect(inThread.computeThreads).toBe(0);
      expect(worker.computeThreads).toBe(1);
      expect(await inThread.warmUp()).toBe('wasm');
      const tensor = (): { data: Float32Array; shape: number[] } => ({ data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), shape: [1, 4, 4, 4] });
      const kept = tensor();
      const pending = inThread.run({ task: 'encode', codec: { name: 'quant', bits: 8 }, tensor: kept }, new Set([kept.data.buffer]));
      kept.data.fill(0); // the sender keeps its buffer and may change it: the task saw a copy
      const a = await pending;
      const b = await worker.run({ task: 'encode', codec: { name: 'quant', bits: 8 }, tensor: tensor() });
      expect(Buffer.from(a.bytes as Uint8Array).equals(Buffer.from(b.bytes as Uint8Array))).toBe(true);
      // Three at once finish in the order given; a failing one rejects alone.
      const order: number[] = [];
      const bad = inThread.run({ task: 'decode', bytes: new Uint8Array([1, 2, 3]) }).then(
        () => order.push(-1),
        () => order.push(0),
      );
      const next = [1, 2].map((i) => inThread.run({ task: 'encode', codec: { name: 'none' }, tensor: tensor() }).then(() => order.push(i)));
      await Promise.all([bad, ...next]);
      expect(order).toEqual([0, 1, 2]);
      // The event loop turns between tasks (a killed parent, signals and progress are heard).
      let heard = false;
      setImmediate(() => {
        heard = true;
      });
      const seen: boolean[] = [];
      await Promise.all([1, 2, 3].map(() => inThread.run({ task: 'encode', codec: { name: 'none' }, tensor: tensor() }).then(() => seen.push(heard))));
      expect(seen).toEqual([true, true, true]);
    } finally {
      await Promise.all([inThread.close(), worker.close()]);
    }
  }, 30_000);
});
