/**
 * Runs the named properties against a protocol under generated fault schedules. One pass runs
 * each schedule once and judges every property on its trace; a property that failed is then
 * searched again with the same seed so fast-check shrinks its counterexample to a minimal one,
 * and reports the seed and path that replay it.
 */
import fc from 'fast-check';
import { DEFAULT_BOUNDS, faultScheduleArb, type ScheduleBounds } from './faults.js';
import { PROPERTIES, type ProtocolProperty } from './properties.js';
import type { CheckSettings, FaultSchedule, Trace } from './types.js';
import type { ProtocolVariant, ServerMode } from './variant.js';
import { runSchedule } from './world.js';

/** Options of {@link checkProtocol}; defaults in {@link DEFAULT_CHECK_OPTIONS}. */
export interface CheckOptions {
  /** Schedules to try per property. */
  runs?: number;
  /** fast-check seed: the same seed tries the same schedules. */
  seed?: number;
  /** fast-check replay path of a counterexample (with its seed): runs just that schedule. */
  path?: string;
  /** The protocol to check (planted-bug variants are for tests). */
  variant?: ProtocolVariant;
  properties?: readonly ProtocolProperty[];
  bounds?: ScheduleBounds;
  serverAs?: ServerMode;
  /**
   * false: stop at the first violated property and report that schedule as it is, unshrunk
   * (a yes/no answer as fast as possible: the mutation run's killer uses it). Default true.
   */
  shrink?: boolean;
}

export const DEFAULT_CHECK_OPTIONS = { runs: 100, seed: 42 } as const;

/** One property's outcome. */
export interface PropertyResult {
  name: string;
  description: string;
  passed: boolean;
  /** Schedules tried. */
  runs: number;
  seed: number;
  /** The shrunk schedule that breaks the property, its verdict, and how to replay it. */
  counterexample: FaultSchedule | null;
  violation: string | null;
  path: string | null;
  shrinks: number;
}

/** Judges one trace; a property that throws counts as violated (with the error as its verdict). */
function judge(p: ProtocolProperty, trace: Trace, replay: () => Trace): string | null {
  try {
    return p.check(trace, replay);
  } catch (err) {
    return `checker error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Checks every property of `options.properties` (default: all) on `settings`' protocol.
 * @example const results = checkProtocol(settings, { runs: 50, seed: 7 }); results.every((r) => r.passed)
 */
export function checkProtocol(settings: CheckSettings, options: CheckOptions = {}): PropertyResult[] {
  const runs = options.runs ?? DEFAULT_CHECK_OPTIONS.runs;
  const seed = options.seed ?? DEFAULT_CHECK_OPTIONS.seed;
  const properties = options.properties ?? PROPERTIES;
  const arb = faultScheduleArb(settings, options.bounds ?? DEFAULT_BOUNDS);
  const world = { ...(options.variant ? { variant: options.variant } : {}), ...(options.serverAs ? { serverAs: options.serverAs } : {}) };
  const run = (s: FaultSchedule): Trace => runSchedule(settings, s, world);
  const params = { seed, numRuns: runs, ...(options.path !== undefined ? { path: options.path } : {}) };

  // Pass 1: every schedule once, every property judged on it.
  const failed = new Set<string>();
  const firstFailure = new Map<string, { schedule: FaultSchedule; violation: string }>();
  const quick = options.shrink === false;
  let tried = 0;
  fc.check(
    fc.property(arb, (schedule) => {
      tried++;
      const trace = run(schedule);
      for (const p of properties) {
        if (failed.has(p.name)) continue;
        const verdict = judge(p, trace, () => run(schedule));
        if (verdict === null) continue;
        failed.add(p.name);
        firstFailure.set(p.name, { schedule, violation: verdict });
      }
      return !(quick && failed.size > 0);
    }),
    { ...params, ...(quick ? { endOnFailure: true } : {}) },
  );

  // Pass 2: each failed property alone, so fast-check shrinks towards its own minimal counterexample.
  return properties.map((p) => {
    const base = { name: p.name, description: p.description, seed, runs: tried };
    if (!failed.has(p.name)) return { ...base, passed: true, counterexample: null, violation: null, path: null, shrinks: 0 };
    const first = firstFailure.get(p.name);
    if (quick && first !== undefined) return { ...base, passed: false, counterexample: first.schedule, violation: first.violation, path: null, shrinks: 0 };
    const details = fc.check(
      fc.property(arb, (schedule) => judge(p, run(schedule), () => run(schedule)) === null),
      params,
    );
    const counterexample = details.counterexample?.[0] ?? null;
    const violation = counterexample === null ? 'failed in the first pass, not on its own (flaky?)' : judge(p, run(counterexample), () => run(counterexample));
    return {
      ...base,
      passed: false,
      counterexample,
      violation,
      path: details.counterexamplePath ?? null,
      shrinks: details.numShrinks,
    };
  });
}
