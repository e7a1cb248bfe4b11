/**
 * Timings of the wasm conv gradient kernels against the baselines they replace.
 * Wall-clock reads (wallMs, from src/sim/wallClock) are allowed here: this file measures, it does not
 * simulate.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGrad } from './conv2dBackpropFilter.js';
import { builtinWasmInputGradKernel, registerWasmGradKernels } from './register.js';
import { wallMs } from '../../sim/wallClock.js';

export interface BenchOptions {
  /** Timed runs per measurement (median reported). Default 5. */
  runs?: number;
  /** Untimed runs first (operator creation, allocation). Default 2. */
  warmup?: number;
  /** Include the (slow) cpu-backend training step. Default true. */
  cpu?: boolean;
}

interface LayerCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
}

/** U-Net layers (16 base channels, 64x64, batch 8) and a SplitFedZip-style codec layer. */
const LAYERS: LayerCase[] = [
  { name: 'unet16', x: [8, 64, 64, 16], filter: [3, 3, 16, 16], stride: 1 },
  { name: 'unet32', x: [8, 32, 32, 32], filter: [3, 3, 32, 32], stride: 1 },
  { name: 'codec5x5s2', x: [8, 32, 32, 32], filter: [5, 5, 32, 64], stride: 2 },
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Medians (ms) of wall time and of this process's CPU time for `fn`, read back so the work is done. */
interface Timing {
  wall: number;
  cpu: number;
}

function timeMs(fn: () => tf.Tensor | number, runs: number, warmup: number): Timing {
  const once = (): Timing => {
    const cpu0 = process.cpuUsage();
    const t0 = wallMs();
    const out = fn();
    if (typeof out !== 'number') {
      out.dataSync();
      out.dispose();
    }
    const wall = wallMs() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { wall, cpu: (cpu.user + cpu.system) / 1000 };
  };
  for (let i = 0; i < warmup; i++) once();
  const times: Timing[] = [];
  for (let i = 0; i < runs; i++) times.push(once());
  return { wall: median(times.map((t) => t.wall)), cpu: median(times.map((t) => t.cpu)) };
}

/**
 * A naive Conv2DBackpropFilter: wasm's own scalar Conv3DBackpropFilterV2 on a depth-1
 * view. It stands in for the prototype kernels this folder replaces.
 */
const naiveFilterGradConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: (({ inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }) => {
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const [kh, kw, ci, co] = a.filterShape;
    const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
    return tf.tidy(() => {
      const x = inputs['x'] as tf.Tensor4D;
      const dy = inputs['dy'] as tf.Tensor4D;
      const x5 = tf.reshape(x, [x.shape[0], 1, x.shape[1], x.shape[2], x.shape[3]]);
      const dy5 = tf.reshape(dy, [dy.shape[0], 1, dy.shape[1], dy.shape[2], dy.shape[3]]);
      const dw = tf.engine().runKernel(
        tf.Conv3DBackpropFilterV2,
        { x: x5, dy: dy5 },
        { strides: [1, sh, sw], pad: a.pad, filterShape: [1, kh, kw, ci, co] } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor;
      return tf.reshape(dw, [kh, kw, ci, co]);
    });
  }) as unknown as tf.KernelFunc,
};

/** Runs `fn` with `configs` registered in place of the current wasm kernels, then restores them. */
function withKernels<T>(configs: tf.KernelConfig[], fn: () => T): T {
  const saved = configs.map((c) => tf.getKernel(c.kernelName, 'wasm'));
  const swap = (next: (tf.KernelConfig | undefined)[]): void => {
    configs.forEach((c, i) => {
      if (tf.getKernel(c.kernelName, 'wasm') !== undefined) tf.unregisterKernel(c.kernelName, 'wasm');
      const k = next[i];
      if (k !== undefined) {
        // A kernel registered after the backend started needs its setup (wasm export binding) run here.
        k.setupFunc?.(tf.backend());
        tf.registerKernel(k);
      }
    });
  };
  swap(configs);
  try {
    return fn();
  } finally {
    swap(saved);
  }
}

/** A small conv net (3x3 convs + a 5x5 stride-2 codec-like conv) and one Adam step on it. */
function makeTrainStep(): { step: () => number; dispose: () => void } {
  const rand = (shape: number[], seed: number, scale: number): tf.Variable =>
    tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, scale, 'float32', seed)));
  const w1 = rand([3, 3, 3, 16], 1, 0.2) as tf.Variable<tf.Rank.R4>;
  const w2 = rand([3, 3, 16, 16], 2, 0.1) as tf.Variable<tf.Rank.R4>;
  const w3 = rand([5, 5, 16, 32], 3, 0.05) as tf.Variable<tf.Rank.R4>;
  const w4 = rand([3, 3, 32, 8], 4, 0.1) as tf.Variable<tf.Rank.R4>;
  const vars = [w1, w2, w3, w4];
  const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const target = tf.randomNormal([4, 16, 16, 8], 0, 1, 'float32', 6);
  const opt = tf.train.adam(1e-3);
  const loss = (): tf.Scalar => {
    const h1 = tf.relu(tf.conv2d(x, w1, 1, 'same'));
    const h2 = tf.relu(tf.conv2d(h1, w2, 1, 'same'));
    const h3 = tf.relu(tf.conv2d(h2, w3, 2, 'same'));
    return tf.mean(tf.square(tf.sub(tf.conv2d(h3, w4, 1, 'same'), target)));
  };
  return {
    step: () => {
      const l = opt.minimize(loss, true, vars)!;
      const v = l.dataSync()[0]!;
      l.dispose();
      return v;
    },
    dispose: () => {
      opt.dispose();
      tf.dispose([...vars, x, target]);
    },
  };
}

/**
 * Times the filter and input gradients of U-Net-like layers with this folder's kernels
 * and with the baselines (a naive scalar filter gradient; wasm's built-in input
 * gradient; the im2col filter formulation), the forward conv as a yardstick, and a small
 * conv-net Adam step on wasm (both kernel sets) and on cpu. Returns medians in ms by
 * name: `<name>` is wall time, `<name>.cpuTime` this process's CPU time (steadier on a
 * shared machine, as the wasm backend is single-threaded).
 * @example const ms = await benchConvGradKernels(); console.table(ms);
 */
export async function benchConvGradKernels(options: BenchOptions = {}): Promise<Record<string, number>> {
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 2;
  const previous = tf.getBackend();
  registerWasmGradKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error("benchConvGradKernels: backend 'wasm' failed to initialise");
  const builtinInput = builtinWasmInputGradKernel();
  const out: Record<string, number> = {};
  const record = (name: string, t: Timing): void => {
    out[name] = t.wall;
    out[`${name}.cpuTime`] = t.cpu;
  };
  for (const layer of LAYERS) {
    const x = tf.randomNormal(layer.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal(layer.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, layer.stride, 'same');
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
    const filterAttrs = { strides: layer.stride, pad: 'same', dataFormat: 'NHWC', filterShape: layer.filter };
    const inputAttrs = { strides: layer.stride, pad: 'same', dataFormat: 'NHWC', inputShape: layer.x };
    const filterGrad = (): tf.Tensor =>
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, filterAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const inputGrad = (): tf.Tensor =>
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, inputAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    const attrs = { strides: layer.stride, pad: 'same' as const };
    record(`conv2d.${layer.name}`, timeMs(() => tf.conv2d(x, w, layer.stride, 'same'), runs, warmup));
    record(`filterGrad.${layer.name}.ours`, timeMs(filterGrad, runs, warmup));
    record(
      `filterGrad.${layer.name}.im2col`,
      timeMs(() => conv2dFilterGrad(x, dy, layer.filter, attrs, { method: 'im2col' }), runs, warmup),
    );
    record(`filterGrad.${layer.name}.naive`, withKernels([naiveFilterGradConfig], () => timeMs(filterGrad, runs, 1)));
    record(`inputGrad.${layer.name}.ours`, timeMs(inputGrad, runs, warmup));
    if (builtinInput !== undefined) {
      record(`inputGrad.${layer.name}.builtin`, withKernels([builtinInput], () => timeMs(inputGrad, runs, warmup)));
    }
    tf.dispose([x, w, y, dy]);
  }
  const timeStep = (stepRuns: number, stepWarmup: number): Timing => {
    const net = makeTrainStep();
    try {
      return timeMs(net.step, stepRuns, stepWarmup);
    } finally {
      net.dispose();
    }
  };
  record('trainStep.wasm.ours', timeStep(runs, warmup));
  const baseline = builtinInput === undefined ? [naiveFilterGradConfig] : [naiveFilterGradConfig, builtinInput];
  record('trainStep.wasm.baseline', withKernels(baseline, () => timeStep(runs, warmup)));
  if (options.cpu ?? true) {
    await tf.setBackend('cpu');
    // One run: the cpu step takes seconds and has no operator set-up to warm.
    record('trainStep.cpu', timeStep(1, 0));
  }
  if (previous !== undefined) await tf.setBackend(previous);
  return out;
}
