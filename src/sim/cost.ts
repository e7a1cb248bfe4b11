/**
 * The compute cost model: a task's virtual duration is its FLOPs divided by the device's
 * effective throughput (DESIGN §2). A device is a shared resource like a link: tasks queue FIFO
 * for its lanes, so the split server's work for many clients shares its throughput.
 */

/** A device's effective speed. */
export interface DeviceProfile {
  name: string;
  /** Effective FP32 throughput in GFLOP/s on the workloads simulated (not peak). */
  gflops: number;
  /** Tasks it runs in parallel, each at full `gflops` (default 1). */
  lanes?: number;
}

/** One reservation on a device. */
export interface Reservation {
  start: number;
  end: number;
  /** The lane (0..lanes-1) that runs it. */
  lane: number;
}

/**
 * Built-in profiles. These are *effective* rates for the small conv nets splitwire trains
 * (U-Net parts, codec transforms: small batches, memory-bound layers, framework overhead),
 * well below peak datasheet FLOP/s; rough orders of magnitude meant to be calibrated from
 * measured runs:
 * - `edge-cpu`: a few ARM cores (Raspberry-Pi-class), ~20 GFLOP/s.
 * - `laptop-cpu`: a laptop's cores through WASM SIMD, ~100 GFLOP/s.
 * - `workstation-gpu`: a consumer GPU, ~10 TFLOP/s.
 * - `datacenter-gpu`: an A100/H100-class GPU, ~50 TFLOP/s.
 */
export const DEVICE_PROFILES: Readonly<Record<string, Readonly<DeviceProfile>>> = Object.freeze({
  'edge-cpu': Object.freeze({ name: 'edge-cpu', gflops: 20, lanes: 1 }),
  'laptop-cpu': Object.freeze({ name: 'laptop-cpu', gflops: 100, lanes: 1 }),
  'workstation-gpu': Object.freeze({ name: 'workstation-gpu', gflops: 10_000, lanes: 1 }),
  'datacenter-gpu': Object.freeze({ name: 'datacenter-gpu', gflops: 50_000, lanes: 1 }),
});

/**
 * Checks a profile and fills in defaults; errors name `${field}.<key>` and the bad value.
 * @example validateDeviceProfile(p, 'devices.server');
 */
export function validateDeviceProfile(profile: DeviceProfile, field = 'device'): Required<DeviceProfile> {
  if (typeof profile !== 'object' || profile === null) {
    throw new Error(`${field}: must be an object, got ${String(profile)}`);
  }
  const { name, gflops } = profile;
  const lanes = profile.lanes ?? 1;
  if (typeof name !== 'string' || name === '') {
    throw new Error(`${field}.name: must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (typeof gflops !== 'number' || !(gflops > 0) || gflops === Infinity) {
    throw new Error(`${field}.gflops: must be a finite number > 0, got ${String(gflops)}`);
  }
  if (!Number.isInteger(lanes) || lanes < 1) {
    throw new Error(`${field}.lanes: must be an integer >= 1, got ${String(lanes)}`);
  }
  return { name, gflops, lanes };
}

/** A device whose lanes are reserved FIFO, each task on the lane that frees up first. */
export class Device {
  readonly profile: Readonly<Required<DeviceProfile>>;
  private readonly flopsPerSecond: number;
  private readonly laneFree: Float64Array;
  private busy = 0;

  /** @param field prefix of validation messages (default `device`) */
  constructor(profile: DeviceProfile, field = 'device') {
    this.profile = Object.freeze(validateDeviceProfile(profile, field));
    this.flopsPerSecond = this.profile.gflops * 1e9;
    this.laneFree = new Float64Array(this.profile.lanes).fill(-Infinity);
  }

  /** Total seconds of lane time reserved so far (summed over lanes). */
  get busySeconds(): number {
    return this.busy;
  }

  /** Seconds `flops` takes on one lane. */
  duration(flops: number): number {
    return flops / this.flopsPerSecond;
  }

  /**
   * Reserves a task of `flops` FLOPs that can start at `readyTime` (seconds). It runs on the
   * lane that frees up first (lowest index on ties), starting when both it and the lane are ready.
   * @example const { end } = server.reserve(kernel.now, 2.4e9); kernel.schedule(end, done);
   */
  reserve(readyTime: number, flops: number): Reservation {
    if (!Number.isFinite(readyTime)) {
      throw new Error(`Device(${this.profile.name}).reserve: readyTime must be finite, got ${readyTime}`);
    }
    if (!(flops >= 0) || flops === Infinity) {
      throw new Error(`Device(${this.profile.name}).reserve: flops must be a finite number >= 0, got ${flops}`);
    }
    const free = this.laneFree;
    let lane = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[lane]!) lane = i;
    const start = readyTime > free[lane]! ? readyTime : free[lane]!;
    const seconds = flops / this.flopsPerSecond;
    const end = start + seconds;
    free[lane] = end;
    this.busy += seconds;
    return { start, end, lane };
  }
}
