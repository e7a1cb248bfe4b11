/**
 * The share of the check benchmark one thread runs: schedules `index`, `index + stride`, … of
 * the seeded sequence, every property judged (determinism every `determinismEvery`-th schedule).
 */
import fc from 'fast-check';
import { loadScenario } from '../scenario/load.js';
import { faultScheduleArb } from './faults.js';
import { PROPERTIES } from './properties.js';
import { checkSettingsFromScenario } from './settings.js';
import { runSchedule } from './world.js';

/** What one share is asked to do. */
export interface BenchShare {
  /** Scenario file; each thread loads it itself (link specs may hold trace objects). */
  scenario: string;
  seed: number;
  schedules: number;
  index: number;
  stride: number;
  determinismEvery: number;
}

/** What one share found. */
export interface BenchShareResult {
  runs: number;
  events: number;
  /** Schedules with at least one violated property, and the first few verdicts. */
  violations: number;
  examples: string[];
}

/** Runs one share of the benchmark. */
export async function runBenchShare(share: BenchShare): Promise<BenchShareResult> {
  const settings = checkSettingsFromScenario(await loadScenario(share.scenario));
  const all = fc.sample(faultScheduleArb(settings), { seed: share.seed, numRuns: share.schedules });
  const out: BenchShareResult = { runs: 0, events: 0, violations: 0, examples: [] };
  for (let i = share.index; i < all.length; i += share.stride) {
    const schedule = all[i] as (typeof all)[number];
    const trace = runSchedule(settings, schedule);
    out.runs++;
    out.events += trace.events;
    let bad = false;
    for (const p of PROPERTIES) {
      if (p.name === 'deterministic' && i % share.determinismEvery !== 0) continue;
      const verdict = p.check(trace, () => runSchedule(settings, schedule));
      if (verdict !== null) {
        bad = true;
        if (out.examples.length < 5) out.examples.push(`schedule ${i}: ${p.name}: ${verdict}`);
      }
    }
    if (bad) out.violations++;
  }
  return out;
}
