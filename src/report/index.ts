/** The report of a run or sweep folder: `splitwire report`. */
export { runReportCommand } from './command.js';
export { parseReportArgs, REPORT_HELP, type ReportArgs } from './args.js';
export { buildReport, DEFAULT_TARIFF, type ReportOptions, type BuiltReport } from './build.js';
export { renderReportHtml, escapeHtml, type ReportPage } from './html.js';
export { chartSvg, chartPngs } from './figures.js';
export { findChromium, withChromium, CHROMIUM_ARGS } from './chromium.js';
export type { ChartSpec } from './specs.js';
