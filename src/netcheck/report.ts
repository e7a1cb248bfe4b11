/**
 * The check's comparison table, as plain text: one row per compared flow, measured median
 * against the model, the error the verdict uses and the target.
 */
import type { CheckReport, CheckRow } from './runCheck.js';

function ms(seconds: number): string {
  return (seconds * 1000).toFixed(1);
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function cells(r: CheckRow): string[] {
  const spread = r.measured.length > 1 ? `${ms(Math.min(...r.measured))}–${ms(Math.max(...r.measured))}` : '';
  return [
    r.case,
    String(r.bytes),
    String(r.measured.length),
    ms(median(r.measured)),
    spread,
    ms(median(r.model)),
    pct(r.error),
    `${(r.worst * 100).toFixed(1)}%`,
    r.target === null ? '(info)' : `±${(r.target * 100).toFixed(0)}%`,
    r.target === null ? '' : r.pass ? 'ok' : 'MISS',
    r.fifo === null ? '' : pct(r.fifo / median(r.measured) - 1),
  ];
}

/** Renders a report as an aligned text table with a verdict line. */
export function formatReport(report: CheckReport): string {
  if (report.status === 'skipped') return `network check SKIPPED: ${report.reason}\n`;
  const head = ['case', 'bytes', 'runs', 'measured ms', 'range ms', 'model ms', 'error', 'worst run', 'target', '', 'fifo err'];
  const body = report.rows.map(cells);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const missed = report.rows.filter((r) => !r.pass).length;
  return [
    `congestion control: ${report.congestionControl} (pinned by ${report.pinnedBy ?? 'n/a'}); lossy rows: model fed the delay line's exact losses, error = median over runs of model/measured − 1`,
    line(head),
    ...body.map(line),
    `network check ${report.status.toUpperCase()}: ${report.rows.length - missed}/${report.rows.length} rows within target (${report.wallSeconds.toFixed(0)} s)`,
    '',
  ].join('\n');
}
