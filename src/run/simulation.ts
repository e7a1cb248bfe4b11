/**
 * One simulated run: the kernel owns virtual time; actors (in host threads) react to one
 * instant's events at a time and ask for effects; messages cross the network model; compute
 * runs for real on the pool while its duration comes from the cost model. Time advances only
 * when every host has answered and every task due at the next instant has really finished
 * (conservative synchronisation).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ActorHost } from '../actors/host.js';
import { RemoteHost } from '../actors/remoteHost.js';
import { ComputePool } from '../compute/pool.js';
import type { Scenario } from '../scenario/schema.js';
import { wallSeconds } from '../sim/index.js';
import { describeData } from './evaluate.js';
import { buildWorld } from './world.js';
import { capacityWarnings, roundFloor } from './warnings.js';
import { loadCheckpoint, saveScenario, truncateLog, type Checkpoint } from './checkpoint.js';
import type { Host } from './actorLives.js';
import { Simulation } from './simulator.js';
import type { RunOptions, RunResult } from './runOptions.js';

export { RunStopped, type Progress, type RunOptions, type RunResult } from './runOptions.js';

/**
 * Runs scenario `s`: builds the world, places the actors on hosts, and drives the simulation
 * to its end (or resumes it from its last checkpoint with `options.resume`).
 */
export async function runScenario(s: Scenario, options: RunOptions): Promise<RunResult> {
  const wall0 = wallSeconds();
  let checkpoint: Checkpoint | null = null;
  if (options.resume === true) {
    if (options.outDir === null) throw new Error('resume: needs the run folder (outDir), got null');
    checkpoint = loadCheckpoint(options.outDir);
    if (checkpoint === null) throw new Error(`--resume ${options.outDir}: must be a run folder with a checkpoint, got none`);
    truncateLog(join(options.outDir, 'traffic.ndjson'), checkpoint.trafficBytes);
    truncateLog(join(options.outDir, 'timeline.ndjson'), checkpoint.timelineBytes);
  } else if (options.outDir !== null) {
    mkdirSync(options.outDir, { recursive: true });
    saveScenario(options.outDir, s);
  }
  const world = await buildWorld(s);
  const before = capacityWarnings(s, roundFloor(world));
  for (const w of before) options.onWarning?.(w);
  const dataInfo = describeData(s, world.data);
  options.onData?.(dataInfo);
  const pool = options.pool ?? new ComputePool({ threads: s.compute.workers, backend: s.compute.backend });
  const hosts: Host[] = [];
  try {
    const backend = await pool.warmUp();
    // Actors spread over hosts; federator and server live on host 0.
    const hostCount = options.inProcessActors ? 1 : Math.min(s.compute.actorHosts, world.actors.length);
    const placement = new Map<string, number>();
    const specsPerHost: (typeof world.actors)[] = Array.from({ length: hostCount }, () => []);
    world.actors.forEach((a, i) => {
      const h = i < 2 ? 0 : i % hostCount;
      placement.set(a.id, h);
      specsPerHost[h]?.push(a);
    });
    for (let h = 0; h < hostCount; h++) {
      if (options.inProcessActors) {
        const local = new ActorHost();
        local.init(specsPerHost[h] ?? [], checkpoint?.actors);
        hosts.push(local);
      } else {
        const remote = new RemoteHost();
        await remote.init(specsPerHost[h] ?? [], checkpoint?.actors);
        hosts.push(remote);
      }
    }
    const sim = new Simulation(world, pool, hosts, placement, options, backend, wall0, before, dataInfo, checkpoint);
    return await sim.run();
  } finally {
    await Promise.all(hosts.map((h) => h.close?.()));
    if (options.pool === undefined) await pool.close();
  }
}
