/**
 * What the kernel check measures: paths (rate, one-way delay, loss) and the messages sent over
 * them. Sizes are payloads; each message carries the endpoint's 8-byte header too.
 */
import type { PathSetting } from './predict.js';

/** How a case is judged. */
export type CaseKind = 'single' | 'concurrent' | 'lossy';

/** One measured case: `sizes.length` messages sent together over one path, `runs` times. */
export interface CheckCase {
  name: string;
  kind: CaseKind;
  path: PathSetting;
  sizes: number[];
  runs: number;
  /**
   * Concurrent cases: judge each flow (`per-flow`) or only the time the bottleneck finishes
   * them all (`aggregate`, per-flow rows then informational). On paths whose bandwidth-delay
   * product is large, CUBIC flows that start together leave slow start (HyStart) at windows
   * set by their order in the bottleneck queue and share unequally for seconds: max-min
   * fairness, the model's rule, is only their long-run share there.
   */
  judge?: 'per-flow' | 'aggregate';
}

/** Allowed relative error per kind (single flows are judged from 100 kB up). */
export const TARGETS: Readonly<Record<CaseKind, number>> = Object.freeze({ single: 0.1, concurrent: 0.15, lossy: 0.25 });

/** Single flows below this payload are reported without a target. */
export const SINGLE_TARGET_MIN_BYTES = 100_000;

const L1: PathSetting = { rateMbps: 10, delayMs: 10, loss: 0 };
const L2: PathSetting = { rateMbps: 50, delayMs: 25, loss: 0 };
const L3: PathSetting = { rateMbps: 20, delayMs: 5, loss: 0 };

function singles(prefix: string, path: PathSetting, sizes: number[], runs: number): CheckCase[] {
  return sizes.map((s) => ({ name: `${prefix} ${s / 1000} kB`, kind: 'single' as const, path, sizes: [s], runs }));
}

function lossy(prefix: string, path: PathSetting, sizes: number[], runs: number): CheckCase[] {
  return sizes.map((s) => ({ name: `${prefix} ${s / 1000} kB, 1% loss`, kind: 'lossy' as const, path: { ...path, loss: 0.01 }, sizes: [s], runs }));
}

/** The full check (`npm run validate:network`): about three minutes. Lossy cases run five times (one loss pattern each). */
export function fullCases(): CheckCase[] {
  return [
    ...singles('10M/20ms', L1, [10_000, 100_000, 1_000_000, 5_000_000], 3),
    ...singles('50M/50ms', L2, [10_000, 100_000, 1_000_000, 5_000_000, 20_000_000], 3),
    { name: '10M/20ms 4 flows', kind: 'concurrent', path: L1, sizes: [250_000, 500_000, 1_000_000, 2_000_000], runs: 3 },
    { name: '50M/50ms 4 flows', kind: 'concurrent', path: L2, sizes: [1_000_000, 2_000_000, 4_000_000, 8_000_000], runs: 3, judge: 'aggregate' },
    { name: '20M/20ms 4 flows', kind: 'concurrent', path: { rateMbps: 20, delayMs: 10, loss: 0 }, sizes: [1_000_000, 2_000_000, 4_000_000, 8_000_000], runs: 3, judge: 'aggregate' },
    ...lossy('10M/20ms', L1, [100_000, 1_000_000, 3_000_000], 5),
    ...lossy('20M/10ms', L3, [1_000_000, 3_000_000], 5),
    ...lossy('50M/50ms', L2, [1_000_000, 2_000_000], 5),
  ];
}

/** A short check for the unit-test run (about ten seconds of transfers). */
export function quickCases(): CheckCase[] {
  return [
    ...singles('10M/20ms', L1, [1_000_000], 1),
    { name: '10M/20ms 4 flows', kind: 'concurrent', path: L1, sizes: [250_000, 500_000, 1_000_000, 2_000_000], runs: 1 },
    ...lossy('10M/20ms', L1, [1_000_000], 2),
  ];
}
