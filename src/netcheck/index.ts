/** The network model's check against the Linux kernel (network namespaces, tc, TUN). */
export { runNetworkCheck, probeEnvironment, endpointScript, type CheckOptions, type CheckReport, type CheckRow } from './runCheck.js';
export { fullCases, quickCases, TARGETS, SINGLE_TARGET_MIN_BYTES, type CheckCase, type CaseKind } from './cases.js';
export { formatReport } from './report.js';
export { predictConcurrent, predictPaired, predictFifo, testbedNetwork, type PathSetting } from './predict.js';
export { segmentDraw, pairedLosses } from './pairedLoss.js';
export { Testbed, type TestbedOptions, type TransferResult, type FlowMeasurement } from './testbed.js';
