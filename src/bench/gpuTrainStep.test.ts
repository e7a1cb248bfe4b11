/**
 * gpuTrainStep without a GPU: it says why it skipped (never fails), and with a stand-in "GPU"
 * (the cpu backend reported as webgpu) its rows, ratios and backend bookkeeping are right.
 * timeTrainStep's sync and async readback train identically.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledPath } from '../compute/pool.js';
import { selectBackend, type BackendPreference, type BackendReport } from '../compute/backend.js';
import { importWithoutOptionalPackages } from '../compute/withoutOptionalPackages.js';
import { benchGpuTrainStep } from './gpuTrainStep.js';
import { median, timeTrainStep } from './trainStep.js';

afterAll(async () => {
  await selectBackend('wasm');
});

describe('benchGpuTrainStep', () => {
  it('skips, saying why, where no GPU backend can be used', async () => {
    expect(await benchGpuTrainStep({ backend: 'wasm' })).toEqual({
      skipped: 'no GPU backend: --backend wasm is not a GPU backend (webgpu, tfjs-node-gpu)',
    });
    // As on a machine without the WebGPU peers (a developer may have installed them to pack).
    const select = (p: BackendPreference): Promise<BackendReport> => selectBackend(p, { importModule: importWithoutOptionalPackages });
    const auto = await benchGpuTrainStep({ backend: 'auto', select });
    expect(auto).toHaveProperty('skipped');
    expect((auto as { skipped: string }).skipped).toMatch(/^no GPU backend: 'auto' selected wasm \(tfjs-node-gpu: not installed/);
    const webgpu = await benchGpuTrainStep({ backend: 'webgpu', select });
    expect((webgpu as { skipped: string }).skipped).toMatch(/^no GPU backend: backend 'webgpu' cannot be used: not installed \(webgpu: /);
  });

  it('times the stand-in GPU and wasm at each size, with the ratios, and returns to the GPU backend', { timeout: 60_000 }, async () => {
    await tf.setBackend('cpu');
    const select = async (): Promise<BackendReport> => ({ name: 'webgpu', preference: 'webgpu', reasons: [] });
    const before = tf.memory().numTensors;
    const r = (await benchGpuTrainStep({
      backend: 'webgpu',
      quick: true,
      select,
      sizes: [{ name: 'tiny', baseChannels: 2, size: 16, batch: 2 }],
      torch: [{ baseChannels: 2, size: 16, batch: 2, ms: 5, device: 'cuda' }],
    })) as Record<string, unknown>;
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
    expect(r).toMatchObject({ backend: 'webgpu', tfBackend: 'cpu', readback: 'sync' });
    const tiny = r['tiny'] as { gpu: { ms: number; steps: number; batch: number }; wasm: { ms: number; steps: number }; gpuVsWasmTrainStep: number; gpuVsTorchCudaTrainStep: number };
    expect(tiny.gpu).toMatchObject({ steps: 3, batch: 2 });
    expect(tiny.wasm).toMatchObject({ steps: 3, batch: 2 });
    expect(tiny.gpuVsWasmTrainStep).toBeCloseTo(tiny.wasm.ms / tiny.gpu.ms, 1);
    expect(tiny.gpuVsTorchCudaTrainStep).toBeCloseTo(5 / tiny.gpu.ms, 1);
  });
});

describe('timeTrainStep', () => {
  it('trains identically with sync and async readback (wasm), and the median is the middle step', { timeout: 60_000 }, async () => {
    await selectBackend('wasm');
    const o = { baseChannels: 2, size: 16, batch: 2, steps: 3, warmup: 1 };
    const sync = await timeTrainStep({ ...o, readback: 'sync' });
    const async_ = await timeTrainStep({ ...o, readback: 'async' });
    expect(sync.readback).toBe('sync');
    expect(async_.readback).toBe('async');
    expect(async_.losses).toEqual(sync.losses);
    expect(sync.losses).toHaveLength(4);
    expect(sync.losses[3]).toBeLessThan(sync.losses[0] as number);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });
});

describe('npm run bench flags', () => {
  const main = (): string => compiledPath('bench/main.js');
  it('documents --backend and rejects an unknown one', { timeout: 60_000 }, () => {
    expect(execFileSync(process.execPath, [main(), '--help'], { encoding: 'utf8' })).toContain('--backend auto|wasm|webgpu|tfjs-node-gpu|tfjs-node|cpu');
    const bad = spawnSync(process.execPath, [main(), '--backend', 'metal', '--only', 'kernel'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("bench: --backend: must be one of auto, wasm, webgpu, tfjs-node-gpu, tfjs-node, cpu, got 'metal'");
  });

  it('checks the --torch file before running anything', { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-bench-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ device: 'cuda: X', rows: [{ baseChannels: 'x', size: 64, batch: 8, ms: 3 }] }));
    const r = spawnSync(process.execPath, [main(), '--only', 'kernel', '--torch', bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bench: --torch: rows[0].baseChannels must be a number, got "x"');
    const notRows = join(dir, 'not-rows.json');
    writeFileSync(notRows, '{}');
    const r2 = spawnSync(process.execPath, [main(), '--only', 'kernel', '--torch', notRows], { encoding: 'utf8' });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('must hold { "rows": [...] } (scripts/torch_unet_step.py output)');
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the backend of each entry, and gpuTrainStep skips here', { timeout: 60_000 }, () => {
    const r = spawnSync(process.execPath, [main(), '--only', 'gpuTrainStep,kernel', '--quick', '--backend', 'wasm'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json['backendFlag']).toBe('wasm');
    expect(json['backends']).toEqual({ gpuTrainStep: null, kernel: null });
    expect(json['gpuTrainStep']).toEqual({ skipped: 'no GPU backend: --backend wasm is not a GPU backend (webgpu, tfjs-node-gpu)' });
  });
});
