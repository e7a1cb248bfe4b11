/** `splitwire check`: property tests of the SplitFed protocol under faults (issue 5). */
export { runCheckCommand, CHECK_HELP, type CheckIo } from './command.js';
export { checkProtocol, DEFAULT_CHECK_OPTIONS, type CheckOptions, type PropertyResult } from './checker.js';
export { checkRealCompute, DEFAULT_REAL_RUNS } from './realCompute.js';
export { PROPERTIES, type ProtocolProperty } from './properties.js';
export { faultScheduleArb, formatSchedule, noFaults, DEFAULT_BOUNDS, type ScheduleBounds } from './faults.js';
export { checkSettingsFromScenario, STAND_IN } from './settings.js';
export { ProtocolWorld, runSchedule, type WorldOptions } from './world.js';
export { benchCheck, type BenchCheckOptions, type BenchCheckResult } from './bench.js';
export type { CheckSettings, FaultSchedule, MessageFault, CrashFault, StraggleFault, Trace, Verdict } from './types.js';
