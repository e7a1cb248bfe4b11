/**
 * What a run will cost before it starts: host memory, wall time and simulated time, from the
 * model's FLOPs and sizes, the cost model's device profiles (src/sim/cost.ts) and the network
 * profile. Orders of magnitude, meant to catch a run that would not fit, not to budget one.
 */
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { syntheticInfo } from '../data/synthetic.js';
import { buildSplitUNet } from '../model/index.js';
import { NETWORK_PROFILES } from '../scenario/networkProfiles.js';
import type { Scenario } from '../scenario/schema.js';
import { DEVICE_PROFILES } from '../sim/index.js';

/** A run's estimated cost. */
export interface RunEstimate {
  memoryBytes: number;
  wallSeconds: number;
  simulatedSeconds: number;
  /** FLOPs the host really computes (training and evaluation). */
  flops: number;
}

/**
 * Effective host throughput of each compute backend on splitwire's small conv nets, GFLOP/s
 * (calibrated on the quickstart with wasm: ~1.5 GFLOP/s incl. orchestration; the others scaled).
 */
const BACKEND_GFLOPS: Record<string, number> = { 'tfjs-node-gpu': 200, webgpu: 100, 'tfjs-node': 10, wasm: 1.5, cpu: 0.1, auto: 1.5 };
/** Memory of a Node.js process with tfjs loaded, and of each pool or actor thread. */
const BASE_BYTES = 300 * 2 ** 20;
const THREAD_BYTES = 120 * 2 ** 20;

/**
 * Estimates a run of `s` (see RunEstimate).
 * @example const e = estimateRun(scenario); if (e.memoryBytes > availableMemory()) …
 */
export function estimateRun(s: Scenario): RunEstimate {
  const d = s.data;
  const p = s.protocol;
  const info = d.kind === 'folder' ? { channels: 3, classes: 2 } : syntheticInfo(d.kind);
  const model = buildSplitUNet({ inChannels: info.channels, classes: info.classes, baseChannels: s.model.baseChannels, depth: s.model.depth, size: d.size }, p.topology);
  const parts = Object.values(model.parts);
  const params = parts.reduce((a, part) => a + part.paramCount, 0);
  const stepFlops = parts.reduce((a, part) => a + 3 * part.forwardFlops(p.batchSize), 0);
  const evalFlops = parts.reduce((a, part) => a + part.forwardFlops(1), 0) * d.testSamples;
  const perRound = p.clientsPerRound ?? p.clients;
  const steps = p.localEpochs * Math.ceil(d.samplesPerClient / p.batchSize);
  const evaluations = Math.ceil(p.rounds / s.evaluation.every);
  const flops = stepFlops * steps * perRound * p.rounds + evalFlops * evaluations;

  // Memory: images (float32, kept styled and plain) and masks; every client's copy of the
  // parameters it trains with two Adam moments; a tape of activations per client in flight.
  const pixels = d.size * d.size;
  const samples = p.clients * d.samplesPerClient + d.testSamples;
  const dataBytes = samples * pixels * (info.channels * 4 * 2 + 1);
  const paramBytes = params * 4 * 3 * (p.clients + 2);
  const activationBytes = perRound * p.batchSize * pixels * s.model.baseChannels * 4 * 6 * s.model.depth;
  const memoryBytes = BASE_BYTES + THREAD_BYTES * (s.compute.workers + s.compute.actorHosts) + dataBytes + paramBytes + activationBytes;

  // Simulated time: clients compute in parallel, the server serves them one after another,
  // split tensors cross the link at the profile's rate each step.
  const client = DEVICE_PROFILES[s.devices.client]?.gflops ?? 20;
  const server = DEVICE_PROFILES[s.devices.server]?.gflops ?? 50_000;
  const net = NETWORK_PROFILES[s.network.profile] ?? NETWORK_PROFILES['hospital-fiber'];
  const mbps = Math.min(net?.uplink.bandwidthMbps ?? 100, net?.downlink.bandwidthMbps ?? 100);
  const latency = ((net?.uplink.latencyMs ?? 5) + (net?.downlink.latencyMs ?? 5)) / 1000;
  const splitBytes = p.batchSize * pixels * s.model.baseChannels * 4 * 2;
  const clientStep = (stepFlops * 0.5) / (client * 1e9);
  const serverStep = (stepFlops * 0.5) / (server * 1e9);
  const netStep = (2 * splitBytes * 8) / (mbps * 1e6) + latency;
  const weights = (2 * params * 4 * 8) / (mbps * 1e6) + latency;
  const round = Math.max(steps * (clientStep + netStep + serverStep), perRound * steps * serverStep) + weights;
  const simulatedSeconds = round * p.rounds;
  const gflops = BACKEND_GFLOPS[s.compute.backend] ?? 1.5;
  return { memoryBytes, wallSeconds: flops / (gflops * 1e9) + 2, simulatedSeconds, flops };
}

/** Memory the OS can give a new allocation now: MemAvailable on Linux, else free memory. */
export function availableMemory(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return freemem();
}
