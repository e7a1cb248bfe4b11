/**
 * Runs the named properties against a protocol under generated fault schedules. One pass runs
 * each schedule once and judges every property on its trace; a property that failed is then
 * searched again with the same seed so fast-check shrinks its counterexample to a minimal one,
 * and reports the seed and path that replay it.
 */
import fc from 'fast-check';
import { coverageOf } from './coverage.js';
import { DEFAULT_BOUNDS, faultScheduleArb, type Generator, type ScheduleBounds } from './faults.js';
import { applyVariation, variationArb } from './neighbourhood.js';
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
  /** true: the scenario exactly as given (`--pin`); false (default): also its neighbourhood (neighbourhood.ts). */
  pinned?: boolean;
  /** How schedules are drawn (faults.ts); default `swarm`. */
  generator?: Generator;
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
  /** 1-based index of the first schedule that broke the property in the first pass, null if none did. */
  foundAfter?: number | null;
  /** Schedules the property had something to judge on, and how many of them showed each fault kind and protocol path. */
  coverage?: { judged: number; saw: Record<string, number> };
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
  const bounds = options.bounds ?? DEFAULT_BOUNDS;
  const generator = options.generator ?? 'swarm';
  const arb = options.pinned
    ? faultScheduleArb(settings, bounds, generator)
    : variationArb(settings).chain((v) => faultScheduleArb(applyVariation(settings, v), bounds, generator).map((s): FaultSchedule => ({ ...s, variation: v })));
  const world = { ...(options.variant ? { variant: options.variant } : {}), ...(options.serverAs ? { serverAs: options.serverAs } : {}) };
  const run = (s: FaultSchedule): Trace => runSchedule(settings, s, world);
  const params = { seed, numRuns: runs, ...(options.path !== undefined ? { path: options.path } : {}) };

  // Pass 1: every schedule once, every property judged on it.
  const failed = new Set<string>();
  const firstFailure = new Map<string, { schedule: FaultSchedule; violation: string; at: number }>();
  const coverage = new Map(properties.map((p) => [p.name, { judged: 0, saw: {} as Record<string, number> }]));
  const quick = options.shrink === false;
  let tried = 0;
  fc.check(
    fc.property(arb, (schedule) => {
      tried++;
      const trace = run(schedule);
      const saw = coverageOf(trace);
      for (const p of properties) {
        if (p.judges === undefined || p.judges(trace)) {
          const c = coverage.get(p.name) as { judged: number; saw: Record<string, number> };
          c.judged++;
          for (const f of saw) c.saw[f] = (c.saw[f] ?? 0) + 1;
        }
        if (failed.has(p.name)) continue;
        const verdict = judge(p, trace, () => run(schedule));
        if (verdict === null) continue;
        failed.add(p.name);
        firstFailure.set(p.name, { schedule, violation: verdict, at: tried });
      }
      return !(quick && failed.size > 0);
    }),
    { ...params, ...(quick ? { endOnFailure: true } : {}) },
  );

  // Pass 2: each failed property alone, so fast-check shrinks towards its own minimal counterexample.
  return properties.map((p) => {
    const first = firstFailure.get(p.name);
    const base = { name: p.name, description: p.description, seed, runs: tried, foundAfter: first?.at ?? null, coverage: coverage.get(p.name) as PropertyResult['coverage'] };
    if (!failed.has(p.name)) return { ...base, passed: true, counterexample: null, violation: null, path: null, shrinks: 0 };
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
