/**
 * The `codecWall` benchmark: wall time of the quickstart with a learned codec (factorized) over
 * the same run without one (none), 2 rounds each, in the same process and bench run. Runs go
 * none, factorized, factorized, none (ABBA), so a drift in machine load hits both alike.
 */
import { loadScenario, parseOverride } from '../scenario/load.js';
import { runScenario } from '../run/simulation.js';
import { wallSeconds } from '../sim/wallClock.js';

export interface CodecWallOptions {
  /** One none/factorized pair instead of two (ABBA). */
  quick?: boolean;
  /** Extra scenario overrides (e.g. compute.backend). */
  overrides?: ReturnType<typeof parseOverride>[];
  /** Scenario file; default the quickstart. */
  scenario?: string;
  /** Rounds per run; default 2. */
  rounds?: number;
  /** The learned codec under test; default factorized. */
  codec?: string;
}

export interface CodecWallResult {
  backend: string;
  codec: string;
  rounds: number;
  /** Mean wall seconds of runScenario (pool start to summary) per codec. */
  noneWallSeconds: number;
  codecWallSeconds: number;
  /** codecWallSeconds / noneWallSeconds. */
  codecVsNoneWall: number;
  /** Every run in order, with its final mean IoU (a check that the runs did what they should). */
  runs: { codec: string; wallSeconds: number; finalMeanIoU: number | null }[];
}

/**
 * Times the none and the codec run side by side; `codecVsNoneWall` = mean codec wall ÷ mean
 * none wall.
 * @example (await benchCodecWall({ quick: true })).codecVsNoneWall // e.g. 1.3
 */
export async function benchCodecWall(o: CodecWallOptions = {}): Promise<CodecWallResult> {
  const rounds = o.rounds ?? 2;
  const codec = o.codec ?? 'factorized';
  const order = o.quick ? ['none', codec] : ['none', codec, codec, 'none'];
  const runs: CodecWallResult['runs'] = [];
  let backend = 'unknown';
  for (const name of order) {
    const s = await loadScenario(o.scenario ?? 'scenarios/quickstart.yaml', [
      parseOverride(`protocol.rounds=${rounds}`),
      parseOverride(`codec.name=${name}`),
      ...(o.overrides ?? []),
    ]);
    const t0 = wallSeconds();
    const r = await runScenario(s, { outDir: null });
    runs.push({ codec: name, wallSeconds: wallSeconds() - t0, finalMeanIoU: r.summary.final.meanIoU });
    backend = r.summary.backend;
  }
  const wall = (c: string): number => {
    const w = runs.filter((r) => r.codec === c).map((r) => r.wallSeconds);
    return w.reduce((a, b) => a + b, 0) / w.length;
  };
  const noneWallSeconds = wall('none');
  const codecWallSeconds = wall(codec);
  return { backend, codec, rounds, noneWallSeconds, codecWallSeconds, codecVsNoneWall: codecWallSeconds / noneWallSeconds, runs };
}
