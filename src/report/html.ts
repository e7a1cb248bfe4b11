/**
 * The report page: one self-contained HTML file. Vega and Vega-Lite are inlined from
 * node_modules, the specs and their data are embedded as JSON, and a Content-Security-Policy
 * forbids every network fetch, so the page works offline and proves it does.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { roiSections, type RoiReport, type RoiSection } from '../roi/index.js';
import type { ChartSpec } from './specs.js';

export interface ReportPage {
  title: string;
  subtitle: string;
  charts: ChartSpec[];
  roi: { report: RoiReport; source: string } | null;
  notes: string[];
  /** Ready HTML sections shown before the charts (accuracy, predictions). */
  sections?: string[];
  /** A sweep's statistics over seeds (sweep.json `stats`), when it has them. */
  stats?: { caption: string; header: string[]; rows: string[][] } | null;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Makes a script body safe inside <script>: no "</script" can close it early. */
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON that can sit inside <script type="application/json"> (no "<" at all). */
function jsonInScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The minified browser builds of vega and vega-lite from node_modules. */
export async function vegaBundles(): Promise<{ vega: string; vegaLite: string }> {
  const require = createRequire(import.meta.url);
  // Both packages' main entries live in build/, beside the UMD builds meant for pages.
  const vegaDir = dirname(require.resolve('vega'));
  const vegaLiteDir = dirname(require.resolve('vega-lite'));
  const [vega, vegaLite] = await Promise.all([
    readFile(join(vegaDir, 'vega.min.js'), 'utf8'),
    readFile(join(vegaLiteDir, 'vega-lite.min.js'), 'utf8'),
  ]);
  return { vega, vegaLite };
}

function sectionHtml(s: RoiSection): string {
  const parts = [`<h3>${escapeHtml(s.title)}</h3>`];
  if (s.table) {
    const head = s.table.head.some((h) => h.length > 0)
      ? `<thead><tr>${s.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`
      : '';
    const rows = s.table.rows
      .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`)
      .join('\n');
    parts.push(`<table>${head}<tbody>\n${rows}\n</tbody></table>`);
  }
  for (const p of s.paragraphs) parts.push(`<p>${escapeHtml(p)}</p>`);
  if (s.list) parts.push(`<ul>${s.list.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}</ul>`);
  return parts.join('\n');
}

const STYLE = `
body { font: 15px/1.45 Helvetica, Arial, sans-serif; color: #1d2329; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #e3e6ea; }
.subtitle, .caption, .note { color: #5b6670; } .caption { font-size: .9rem; margin-top: -.4rem; }
.chart { margin: .6rem 0 1rem; overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border-bottom: 1px solid #e3e6ea; padding: .25rem .7rem; text-align: left; }
td { font-variant-numeric: tabular-nums; } thead th { background: #f4f6f8; }
.error { color: #b00020; font-weight: bold; }
.pred-row { display: flex; flex-wrap: wrap; gap: .8rem; } .pred-row figure { margin: 0; }
.pred-row img { height: 112px; image-rendering: pixelated; border: 1px solid #e3e6ea; } figcaption { font-size: .8rem; color: #5b6670; }
`;

/** Boots the charts in the page: compile each Vega-Lite spec, render it as SVG. */
const BOOT = `
(function () {
  var specs = JSON.parse(document.getElementById('splitwire-specs').textContent);
  var pending = [];
  specs.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    try {
      var vg = vegaLite.compile(c.spec).spec;
      var view = new vega.View(vega.parse(vg), { renderer: 'svg', container: el, hover: true });
      pending.push(view.runAsync().then(function () { el.setAttribute('data-rendered', 'true'); }));
    } catch (err) {
      el.innerHTML = '<p class="error">chart failed: ' + String(err && err.message || err).replace(/</g, '&lt;') + '</p>';
      console.error('splitwire chart ' + c.id + ':', err);
    }
  });
  Promise.all(pending).then(
    function () { document.body.setAttribute('data-charts', 'ready'); },
    function (err) { document.body.setAttribute('data-charts', 'failed'); console.error(err); }
  );
})();
`;

/** Renders the whole page. */
export async function renderReportHtml(page: ReportPage): Promise<string> {
  const { vega, vegaLite } = await vegaBundles();
  const charts = page.charts
    .map(
      (c) => `<section id="section-${c.id}">
<h2>${escapeHtml(c.title)}</h2>
<p class="caption">${escapeHtml(c.caption)}</p>
<div class="chart" id="chart-${c.id}" data-chart="${c.id}"></div>
</section>`,
    )
    .join('\n');
  let roi = '';
  if (page.roi) {
    const doc = roiSections(page.roi.report);
    roi = `<section id="section-roi">
<h2>Return on investment</h2>
<p class="caption">${escapeHtml(page.roi.source)}</p>
<p>${escapeHtml(doc.intro)}</p>
${doc.sections.map(sectionHtml).join('\n')}
</section>`;
  }
  const stats = page.stats
    ? `<section id="section-stats">
<h2>Statistics over seeds</h2>
<p class="caption">${escapeHtml(page.stats.caption)}</p>
<table><thead><tr>${page.stats.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${page.stats.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>
</section>`
    : '';
  const notes = page.notes.length > 0 ? `<ul class="note">${page.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const specs = page.charts.map((c) => ({ id: c.id, spec: c.spec }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p class="subtitle">${escapeHtml(page.subtitle)}</p>
${notes}
${(page.sections ?? []).join('\n')}
${stats}
${charts}
${roi}
<script>${scriptSafe(vega)}</script>
<script>${scriptSafe(vegaLite)}</script>
<script type="application/json" id="splitwire-specs">${jsonInScript(specs)}</script>
<script>${BOOT}</script>
</body>
</html>
`;
}
