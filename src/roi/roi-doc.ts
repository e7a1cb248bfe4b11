/**
 * The ROI as a document of sections (paragraphs, tables, lists), rendered to Markdown by
 * markdown.ts and to HTML by the report, so both say the same thing.
 */
import { bytes, money, months, num } from './format.js';
import type { RoiReport } from './report-types.js';

export interface RoiTable {
  head: string[];
  rows: string[][];
}

export interface RoiSection {
  title: string;
  paragraphs: string[];
  table?: RoiTable;
  list?: string[];
}

/** A sweep setting as `k=v, k=v`, or its folder name when it has none. */
export function settingLabel(setting: Record<string, unknown>, dir: string): string {
  const parts = Object.entries(setting).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length > 0 ? parts.join(', ') : dir;
}

const orDash = (x: number | null): string => (x === null ? '–' : num(x));

/** The ROI report's sections, in reading order. */
export function roiSections(r: RoiReport): { title: string; intro: string; sections: RoiSection[] } {
  const $ = (x: number): string => money(x, r.currency);
  const up = r.upgrade;
  const sections: RoiSection[] = [];
  const upgradeText =
    r.upgradeBandwidthMbps === null
      ? 'not derivable (no arrival times in the log)'
      : `${num(r.upgradeBandwidthMbps)} Mbps per client link (up ${orDash(up.neededMbps.up)}, down ${orDash(up.neededMbps.down)}; ` +
        `the pilot's links gave ${orDash(up.pilotMbps.up)} / ${orDash(up.pilotMbps.down)})`;
  sections.push({
    title: 'Summary',
    paragraphs: [],
    table: {
      head: ['', ''],
      rows: [
        ['Savings per month', $(r.savingsPerMonth)],
        ['Payback', months(r.paybackMonths)],
        ['Traffic per month', `${bytes(r.baseline.bytesPerMonth)} → ${bytes(r.compressed.bytesPerMonth)}`],
        ['Bandwidth an upgrade would need instead', upgradeText],
        [
          'Deployment',
          `${num(r.deployment.clients, 0)} clients × ${num(r.deployment.rounds, 0)} rounds` +
            `${r.deployment.samples === null ? '' : ` × ${num(r.deployment.samples)} samples/client`}, ` +
            `${num(r.deployment.runsPerMonth)} runs/month`,
        ],
      ],
    },
  });
  sections.push({
    title: 'Traffic per month',
    paragraphs: [],
    table: {
      head: ['direction', 'kind', 'baseline', 'compressed', 'saved'],
      rows: r.traffic.map((t) => [
        t.direction,
        t.kind,
        bytes(t.baselineBytesPerMonth),
        bytes(t.compressedBytesPerMonth),
        bytes(t.savedBytesPerMonth),
      ]),
    },
  });
  const c = r.compression;
  const rows: string[][] = [
    ['billed traffic', `${num(r.baseline.billedPerMonth, 3)} ${r.tariff.unit}`, `${num(r.compressed.billedPerMonth, 3)} ${r.tariff.unit}`],
    ['metered transfer', $(r.baseline.meteredCostPerMonth), $(r.compressed.meteredCostPerMonth)],
    ['plan fees and overage', $(r.baseline.planCostPerMonth), $(r.compressed.planCostPerMonth)],
    [`codec compute (${num(c.computeHoursPerMonth, 3)} device-hours)`, $(0), $(c.computeCostPerMonth)],
    ['compression running costs', $(0), $(c.monthly)],
  ];
  if (r.upgradeAvoidedPerMonth > 0) rows.push(['link upgrade avoided', $(0), `−${$(r.upgradeAvoidedPerMonth)}`]);
  const compTotal = r.compressed.transferCostPerMonth + c.runningCostPerMonth - r.upgradeAvoidedPerMonth;
  rows.push(['total', $(r.baseline.transferCostPerMonth), $(compTotal)]);
  sections.push({
    title: 'Costs per month',
    paragraphs: [`One-off cost of compression: ${$(c.oneOff)}.`],
    table: { head: ['', 'baseline', 'compressed'], rows },
  });
  if (up.priced) {
    const p = up.priced;
    sections.push({
      title: 'Upgrade instead of compression',
      paragraphs: [
        `Upgrading every client link${p.mbps === null ? '' : ` to ${num(p.mbps)} Mbps`} costs ${$(p.oneOff)} once and ` +
          `${$(p.perMonth)} per month.` +
          (p.needed === false ? ` The links' ${num(p.currentMbps ?? 0)} Mbps already suffice, so no upgrade is needed.` : '') +
          (p.enough === null ? '' : p.enough ? ' That is enough for the bandwidth needed.' : ' That is not enough for the bandwidth needed.') +
          (p.countAsSaving ? ' It is counted as avoided by compression.' : ''),
      ],
    });
  }
  if (r.sensitivity) {
    sections.push({
      title: 'Sensitivity to the rate–accuracy choice',
      paragraphs: [],
      table: {
        head: ['setting', 'ratio', 'IoU', 'tail IoU', 'traffic/month', 'savings/month', 'payback'],
        rows: r.sensitivity.map((s) => [
          settingLabel(s.setting, s.dir),
          s.compressionRatio === null ? '–' : `${num(s.compressionRatio, 1)}×`,
          s.meanIoU === null ? '–' : num(s.meanIoU, 3),
          s.tailMeanIoU === null || s.tailMeanIoU === undefined ? '–' : num(s.tailMeanIoU, 3),
          bytes(s.compressedBytesPerMonth),
          $(s.savingsPerMonth),
          months(s.paybackMonths),
        ]),
      },
    });
  }
  sections.push({ title: 'Assumptions', paragraphs: [], list: r.assumptions });
  return {
    title: `ROI of compression — ${r.tariff.name}`,
    intro:
      `Log: ${r.inputs.log} (${r.inputs.format}, ${num(r.pilot.messages, 0)} messages). ` +
      `Baseline: ${r.baseline.source}. Tariff: ${r.tariff.path ?? r.tariff.name}.`,
    sections,
  };
}
