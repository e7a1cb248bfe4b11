/**
 * Where a training step's time goes, per tfjs kernel: every kernel registered for the active
 * backend is wrapped with a timer for the duration of one call, nested kernels included
 * (splitwire's conv gradients are composed of other kernels), so each kernel's own ("self")
 * time excludes the kernels it ran. What no kernel accounts for (JavaScript between kernels,
 * Adam, copies out of the backend) is reported as `outsideKernelsMs`. Synchronous backends only
 * (wasm, cpu): a GPU kernel returns before its work is done.
 */
import * as tf from '@tensorflow/tfjs';
import { wallMs } from '../sim/wallClock.js';

/** One kernel's totals over the profiled call. */
export interface KernelTime {
  kernel: string;
  calls: number;
  /** Time inside the kernel, less the time of kernels it called. */
  selfMs: number;
}

export interface KernelProfile {
  totalMs: number;
  /** Sorted by self time, largest first. */
  kernels: KernelTime[];
  outsideKernelsMs: number;
}

/**
 * Runs `fn` once with every kernel of the active backend timed, then restores the kernels.
 * @example const p = await profileKernels(() => prepared.step()); // p.kernels[0]: { kernel: 'Conv2DBackpropFilter', … }
 */
export async function profileKernels(fn: () => Promise<unknown>): Promise<KernelProfile> {
  const backend = tf.getBackend();
  const originals = tf.getKernelsForBackend(backend);
  const totals = new Map<string, KernelTime>();
  // Time of nested kernels, per open frame: subtracted from the frame's own time.
  const childMs: number[] = [];
  const wrap = (config: tf.KernelConfig): tf.KernelConfig => ({
    ...config,
    kernelFunc: (args) => {
      childMs.push(0);
      const t0 = wallMs();
      try {
        return config.kernelFunc(args);
      } finally {
        const ms = wallMs() - t0;
        const nested = childMs.pop() as number;
        if (childMs.length > 0) childMs[childMs.length - 1] = (childMs[childMs.length - 1] as number) + ms;
        const row = totals.get(config.kernelName) ?? { kernel: config.kernelName, calls: 0, selfMs: 0 };
        row.calls += 1;
        row.selfMs += ms - nested;
        totals.set(config.kernelName, row);
      }
    },
  });
  const swap = (configs: readonly tf.KernelConfig[]): void => {
    for (const c of configs) {
      tf.unregisterKernel(c.kernelName, backend);
      tf.registerKernel(c);
    }
  };
  swap(originals.map(wrap));
  const t0 = wallMs();
  try {
    await fn();
  } finally {
    swap(originals);
  }
  const totalMs = wallMs() - t0;
  const kernels = [...totals.values()].sort((a, b) => b.selfMs - a.selfMs);
  const inKernels = kernels.reduce((a, k) => a + k.selfMs, 0);
  return { totalMs, kernels, outsideKernelsMs: totalMs - inKernels };
}
