/** ROI of compression from traffic logs: `splitwire roi` and the pieces the report reuses. */
export { runRoiCommand, markdownTwin, type CommandIo } from './command.js';
export { parseRoiArgs, parseSizes, ROI_HELP, type RoiArgs } from './args.js';
export { computeRoi } from './roi.js';
export type { RoiOptions } from './analyse.js';
export { loadTariff, parseTariff, unitBytes, type Tariff } from './tariff.js';
export { renderRoiMarkdown } from './markdown.js';
export { roiSections, settingLabel, type RoiSection, type RoiTable } from './roi-doc.js';
export { writeFilesAtomic, type FileToWrite } from './atomic.js';
export { InputError, UsageError } from './errors.js';
export { bytes as formatBytes, money as formatMoney, months as formatMonths, num as formatNumber } from './format.js';
export { withDuck, openDuck, sqlString, type Duck } from './duck.js';
export { loadTrafficLog, formatOf, DEFAULT_SERVER_NODES } from './traffic.js';
export { runIdOfJson, runIdOfLog, sameRun } from './runIds.js';
export { readSweep, type Sweep, type SweepRow } from './sweep.js';
export { benchRoiMillionLines } from './bench.js';
export type { RoiReport, SensitivityRow, ScenarioCost, TrafficRow, UpgradeEstimate } from './report-types.js';
export type { LoadedLog, LogFormat, Direction } from './types.js';
