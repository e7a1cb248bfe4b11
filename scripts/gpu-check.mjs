#!/usr/bin/env node
/**
 * Checks and times splitwire on WebGPU on a GPU machine (run by run-on-gpu.sh from the folder
 * scripts/pack-gpu.sh writes; also runs in a checkout after `npm run build`):
 *   backend    select WebGPU as splitwire does; adapter info
 *   agreement  every model and codec op on WebGPU vs the cpu backend (kernelAgreement.ts)
 *   convgrads  conv gradient kernels, tfjs-webgpu's own vs splitwire's composed ones, on U-Net
 *              and codec layer shapes (median ms, each call synchronised)
 *   train      U-Net training steps (forward, backward, Adam) with either kernel set; the
 *              shapes of docs/gpu.md's table
 *   pool       the compute pool on WebGPU: one worker owning the device
 * Prints one JSON object on stdout (and to --out FILE); progress on stderr. Exit 1 if a step
 * failed or an op disagreed. Values are read with `await data()`: tfjs-webgpu's dataSync needs
 * an OffscreenCanvas, which Node lacks.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const STEPS = ['backend', 'agreement', 'convgrads', 'train', 'pool'];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    out: { type: 'string' },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(
    `Usage: node scripts/gpu-check.mjs [--only ${STEPS.join(',')}] [--quick] [--out FILE] [--backend webgpu]\n` +
      '--quick: small shapes and few repeats; --backend: another tfjs backend (a smoke test without a GPU)\n',
  );
  process.exit(0);
}
const only = values.only ? values.only.split(',') : STEPS;
for (const s of only) if (!STEPS.includes(s)) throw new Error(`--only: unknown step '${s}' (known: ${STEPS.join(', ')})`);
const quick = values.quick ?? false;
const backendPref = values.backend ?? 'webgpu';
const log = (msg) => process.stderr.write(`gpu-check: ${msg}\n`);
const result = { backendPreference: backendPref, quick, errors: {} };

const { selectBackend } = await import(dist('compute/backend.js'));
const gpu = await import(dist('compute/kernels/gpu/index.js'));

/** Median ms of `fn` (returns a tensor), each call waited for by reading one element back. */
async function timeMs(fn, reps, warmup = 2) {
  const once = async () => {
    const t0 = performance.now();
    const out = fn();
    const probe = tf.tidy(() => tf.slice(tf.reshape(out, [-1]), 0, 1));
    await probe.data();
    const ms = performance.now() - t0;
    tf.dispose([out, probe]);
    return ms;
  };
  for (let i = 0; i < warmup; i++) await once(); // the first call of a shape compiles shaders
  const times = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return +times[Math.floor(times.length / 2)].toFixed(2);
}

/** Runs `fn` with tfjs-webgpu's own conv gradient kernels, then restores the configured ones. */
async function withStockKernels(name, fn) {
  const active = gpu.gpuConvGradKernelsActive(name);
  gpu.unregisterGpuConvGradKernels(name);
  try {
    return await fn();
  } finally {
    gpu.registerGpuConvGradKernels(name, active);
  }
}

/** Same, with both composed kernels registered. */
async function withComposedKernels(name, fn) {
  const active = gpu.gpuConvGradKernelsActive(name);
  gpu.registerGpuConvGradKernels(name, { filter: true, input: true });
  try {
    return await fn();
  } finally {
    gpu.unregisterGpuConvGradKernels(name);
    gpu.registerGpuConvGradKernels(name, active);
  }
}

const steps = {
  async backend() {
    const report = await selectBackend(backendPref);
    const info = tf.backend().adapterInfo;
    return {
      backend: report,
      tfBackend: tf.getBackend(),
      adapter: info ? { vendor: info.vendor, architecture: info.architecture } : undefined,
      composedConvGrads: gpu.gpuConvGradKernelsActive(tf.getBackend()),
    };
  },

  async agreement() {
    const name = tf.getBackend();
    const results = await gpu.checkAgreement(name, 'cpu');
    await tf.setBackend(name);
    for (const r of results) log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.error.toExponential(2)} <= ${r.tol}  ${r.name}${r.failure ? `: ${r.failure}` : ''}`);
    const stock = await withStockKernels(name, async () => {
      const convs = gpu.AGREEMENT_CASES.filter((c) => c.name.startsWith('conv2d'));
      const out = await gpu.checkAgreement(name, 'cpu', convs);
      await tf.setBackend(name);
      return out;
    });
    const failed = [...results, ...stock].filter((r) => !r.ok).length;
    if (failed > 0) result.errors.agreement = `${failed} case(s) outside their bounds`;
    return {
      maxError: Math.max(...results.map((r) => r.error)),
      results,
      stockConvKernels: stock.map(({ name: n, error, ok }) => ({ name: n, error, ok })),
    };
  },

  async convgrads() {
    const name = tf.getBackend();
    // [label, x shape, filter shape, stride]: U-Net (base 32, 128x128, batch 8) levels and a
    // codec layer (5x5 stride 2 on the 64-channel split tensor).
    const shapes = quick
      ? [['3x3 16ch 32x32 b2', [2, 32, 32, 16], [3, 3, 16, 16], 1], ['5x5/2 codec 16ch', [2, 32, 32, 16], [5, 5, 16, 16], 2]]
      : [
          ['3x3 32ch 128x128 b8', [8, 128, 128, 32], [3, 3, 32, 32], 1],
          ['3x3 64ch 64x64 b8', [8, 64, 64, 64], [3, 3, 64, 64], 1],
          ['3x3 128ch 32x32 b8', [8, 32, 32, 128], [3, 3, 128, 128], 1],
          ['3x3 3->32 128x128 b8 (input)', [8, 128, 128, 3], [3, 3, 3, 32], 1],
          ['5x5/2 codec 64ch 128x128 b1', [1, 128, 128, 64], [5, 5, 64, 64], 2],
          ['5x5/2 codec 64ch 128x128 b8', [8, 128, 128, 64], [5, 5, 64, 64], 2],
        ];
    const reps = quick ? 3 : 7;
    const rows = [];
    for (const [label, xs, ws, s] of shapes) {
      const x = tf.randomNormal(xs);
      const w = tf.mul(tf.randomNormal(ws), 0.1);
      const y = tf.conv2d(x, w, s, 'same');
      const dy = tf.randomNormal(y.shape);
      const attrs = { strides: s, pad: 'same', dataFormat: 'NHWC' };
      const dW = () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: ws });
      const dX = () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: xs });
      const row = { shape: label, forwardMs: await timeMs(() => tf.conv2d(x, w, s, 'same'), reps) };
      await withStockKernels(name, async () => {
        row.stockFilterMs = await timeMs(dW, reps);
        row.stockInputMs = await timeMs(dX, reps);
      });
      await withComposedKernels(name, async () => {
        row.composedFilterMs = await timeMs(dW, reps);
        row.composedInputMs = await timeMs(dX, reps);
      });
      row.composedFilterNoSplitMs = await timeMs(() => gpu.conv2dBackpropFilterIm2col(x, dy, ws, s, 'same', 1, { splitK: 1 }), reps);
      row.filterSpeedup = +(row.stockFilterMs / row.composedFilterMs).toFixed(2);
      row.inputSpeedup = +(row.stockInputMs / row.composedInputMs).toFixed(2);
      log(`  ${label}: fwd ${row.forwardMs} | dW ${row.stockFilterMs} -> ${row.composedFilterMs} ms (no split-K ${row.composedFilterNoSplitMs}) | dx ${row.stockInputMs} -> ${row.composedInputMs} ms`);
      rows.push(row);
      tf.dispose([x, w, y, dy]);
    }
    return rows;
  },

  async train() {
    const name = tf.getBackend();
    const { buildSplitUNet, getPart, initModelParams, toTensors, diceCrossEntropy } = await import(dist('model/index.js'));
    const { Rng } = await import(dist('sim/rng.js'));
    const configs = quick ? [[8, 32, 2]] : [[16, 64, 8], [32, 128, 8], [32, 256, 1]];
    const steps = quick ? 2 : 10;
    const rows = [];
    for (const [base, size, batch] of configs) {
      const classes = 3;
      const model = buildSplitUNet({ inChannels: 3, classes, baseChannels: base, depth: 3, size }, 'u-shaped');
      const flat = initModelParams(model, new Rng(7, 'gpu-check'));
      const parts = ['FE', 'M', 'BE'].map((p) => getPart(model, p));
      const vars = parts.map((part) => toTensors(part, flat[part.name]).map((t) => tf.variable(t)));
      const x = tf.randomUniform([batch, size, size, 3]);
      const labels = tf.cast(tf.floor(tf.mul(tf.randomUniform([batch, size, size]), classes - 0.001)), 'int32');
      const run = async (label) => {
        const opt = tf.train.adam(1e-3);
        const lossOf = () => {
          const [f1, skip] = parts[0].forward(vars[0], [x]);
          const [f2] = parts[1].forward(vars[1], [f1]);
          const [logits] = parts[2].forward(vars[2], [f2, skip]);
          return diceCrossEntropy(logits, labels, classes);
        };
        const losses = [];
        const times = [];
        for (let i = 0; i < steps + 2; i++) {
          const t0 = performance.now();
          const loss = opt.minimize(lossOf, true, vars.flat());
          losses.push((await loss.data())[0]);
          loss.dispose();
          if (i >= 2) times.push(performance.now() - t0); // two warm-up steps compile the shaders
        }
        opt.dispose();
        times.sort((a, b) => a - b);
        const ms = +times[Math.floor(times.length / 2)].toFixed(1);
        log(`  U-Net base ${base}, ${size}x${size}, batch ${batch}, ${label}: ${ms} ms/step, loss ${losses[0].toFixed(3)} -> ${losses.at(-1).toFixed(3)}`);
        return { ms, firstLoss: losses[0], lastLoss: losses.at(-1) };
      };
      const composed = await withComposedKernels(name, () => run('composed conv grads'));
      const stock = await withStockKernels(name, () => run("the backend's own conv grads"));
      rows.push({ baseChannels: base, size, batch, composedMsPerStep: composed.ms, stockMsPerStep: stock.ms, speedup: +(stock.ms / composed.ms).toFixed(2), composed, stock });
      tf.dispose([x, labels, ...vars.flat()]);
    }
    return rows;
  },

  async pool() {
    const { ComputePool } = await import(dist('compute/pool.js'));
    const pool = new ComputePool({ threads: 4, backend: backendPref });
    try {
      const backend = await pool.warmUp();
      const reply = await pool.run({ task: 'ping' });
      return { info: pool.info, pingBackend: reply.backend, warmUpBackend: backend };
    } finally {
      await pool.close();
    }
  },
};

let failed = false;
for (const name of STEPS.filter((s) => only.includes(s))) {
  log(`${name} ...`);
  const t0 = performance.now();
  try {
    result[name] = await steps[name]();
  } catch (err) {
    result.errors[name] = err instanceof Error ? err.message : String(err);
    log(`  FAILED: ${result.errors[name]}`);
    if (name === 'backend') {
      failed = true;
      break; // nothing else can run without the backend
    }
  }
  log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
failed ||= Object.keys(result.errors).length > 0;
const json = `${JSON.stringify(result, null, 2)}\n`;
if (values.out) writeFileSync(values.out, json);
process.stdout.write(json);
process.exitCode = failed ? 1 : 0;
