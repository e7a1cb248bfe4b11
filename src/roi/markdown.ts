/**
 * The ROI as Markdown: what `splitwire roi` prints, and the `.md` twin of `--out FILE.json`.
 */
import { roiSections, type RoiTable } from './roi-doc.js';
import type { RoiReport } from './report-types.js';

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(t: RoiTable): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(t.head), line(t.head.map(() => '---')), ...t.rows.map(line)].join('\n');
}

/** Renders an ROI report as Markdown. */
export function renderRoiMarkdown(r: RoiReport): string {
  const doc = roiSections(r);
  const out: string[] = [`# ${doc.title}`, '', doc.intro, ''];
  for (const s of doc.sections) {
    out.push(`## ${s.title}`, '');
    if (s.table) out.push(table(s.table), '');
    for (const p of s.paragraphs) out.push(p, '');
    if (s.list) out.push(...s.list.map((item) => `- ${item}`), '');
  }
  return out.join('\n');
}
