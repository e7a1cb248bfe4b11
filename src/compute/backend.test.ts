import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendPreference } from './backend.js';
import { importWithoutOptionalPackages } from './withoutOptionalPackages.js';

describe('selectBackend', () => {
  it("'auto' falls back to wasm without the optional packages and says why the native backends were not used", async () => {
    const report = await selectBackend('auto', { importModule: importWithoutOptionalPackages });
    expect(report.name).toBe('wasm');
    expect(report.preference).toBe('auto');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.reasons).toHaveLength(3);
    expect(report.reasons[0]).toMatch(/^tfjs-node-gpu: not installed \(@tensorflow\/tfjs-node-gpu: an optional dependency/);
    expect(report.reasons[1]).toMatch(/^webgpu: not installed \(webgpu: an optional peer/);
    expect(report.reasons[2]).toMatch(/^tfjs-node: not installed \(@tensorflow\/tfjs-node: /);
    // The wasm backend can train convs: the filter gradient kernel is registered.
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
  });

  it('runs wasm single-threaded in Node without any wasm path set-up', async () => {
    await selectBackend('wasm');
    expect(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
    const y = tf.tidy(() => tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same'));
    expect(Array.from(y.dataSync())).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    y.dispose();
  });

  it('is idempotent: the same preference returns the same report and re-activates its backend', async () => {
    const first = await selectBackend('auto');
    await tf.setBackend('cpu');
    const second = await selectBackend('auto');
    expect(second).toBe(first);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('concurrent calls for one preference share one selection', async () => {
    await selectBackend('cpu');
    const [a, b] = await Promise.all([selectBackend('wasm'), selectBackend('wasm')]);
    expect(a).toBe(b);
    expect(tf.getBackend()).toBe('wasm');
  });

  it("rejects an explicit 'tfjs-node-gpu' that is not installed, naming it and why", async () => {
    await expect(selectBackend('tfjs-node-gpu')).rejects.toThrow(
      "backend 'tfjs-node-gpu' cannot be used: not installed (@tensorflow/tfjs-node-gpu: an optional dependency",
    );
  });

  it("rejects an explicit 'webgpu' without Dawn's bindings, saying what to install", async () => {
    await expect(selectBackend('webgpu', { importModule: importWithoutOptionalPackages })).rejects.toThrow(/backend 'webgpu' cannot be used: not installed \(webgpu: an optional peer: `npm install @tensorflow\/tfjs-backend-webgpu@4.22 webgpu`/);
  });

  it('reports a package that is present but fails to load, with its error', async () => {
    const importModule = async (name: string): Promise<unknown> => {
      throw new Error(`libcudart.so.11.0: cannot open shared object file (loading ${name})`);
    };
    await expect(selectBackend('tfjs-node', { importModule })).rejects.toThrow(
      "backend 'tfjs-node' cannot be used: @tensorflow/tfjs-node failed to load: libcudart.so.11.0",
    );
  });

  it("uses 'cpu' only when asked, and switches back to wasm on request", async () => {
    const cpu = await selectBackend('cpu');
    expect(cpu).toEqual({ name: 'cpu', preference: 'cpu', reasons: [] });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectBackend('wasm');
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown preference with the allowed values', async () => {
    await expect(selectBackend('webgl' as BackendPreference)).rejects.toThrow(
      "backend: must be one of auto, wasm, webgpu, tfjs-node-gpu, tfjs-node, cpu, got 'webgl'",
    );
  });
});
