/**
 * The ROI as Markdown: what `splitwire roi` prints, and the `.md` twin of `--out FILE.json`.
 */
import { bytes, money, months, num } from './format.js';
import type { RoiReport } from './report-types.js';

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function settingLabel(setting: Record<string, unknown>, dir: string): string {
  const parts = Object.entries(setting).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length > 0 ? parts.join(', ') : dir;
}

/** Renders an ROI report as Markdown. */
export function renderRoiMarkdown(r: RoiReport): string {
  const $ = (x: number): string => money(x, r.currency);
  const unit = r.tariff.unit;
  const out: string[] = [];
  out.push(`# ROI of compression — ${r.tariff.name}`, '');
  out.push(
    `Log: \`${r.inputs.log}\` (${r.inputs.format}, ${num(r.pilot.messages, 0)} messages). ` +
      `Baseline: ${r.baseline.source}. Tariff: ${r.tariff.path ? `\`${r.tariff.path}\`` : r.tariff.name}.`,
    '',
  );
  out.push('## Summary', '');
  const up = r.upgrade;
  const upgradeText =
    r.upgradeBandwidthMbps === null
      ? 'not derivable (no arrival times in the log)'
      : `${num(r.upgradeBandwidthMbps)} Mbps per client link (up ${up.neededMbps.up === null ? '–' : num(up.neededMbps.up)}, ` +
        `down ${up.neededMbps.down === null ? '–' : num(up.neededMbps.down)}; the pilot's links gave ` +
        `${up.pilotMbps.up === null ? '–' : num(up.pilotMbps.up)} / ${up.pilotMbps.down === null ? '–' : num(up.pilotMbps.down)})`;
  out.push(
    table(
      ['', ''],
      [
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
    ),
    '',
  );
  out.push('## Traffic per month', '');
  out.push(
    table(
      ['direction', 'kind', 'baseline', 'compressed', 'saved'],
      r.traffic.map((t) => [
        t.direction,
        t.kind,
        bytes(t.baselineBytesPerMonth),
        bytes(t.compressedBytesPerMonth),
        bytes(t.savedBytesPerMonth),
      ]),
    ),
    '',
  );
  out.push('## Costs per month', '');
  const c = r.compression;
  const baseTotal = r.baseline.transferCostPerMonth;
  const compTotal = r.compressed.transferCostPerMonth + c.runningCostPerMonth - r.upgradeAvoidedPerMonth;
  const rows: string[][] = [
    ['billed traffic', `${num(r.baseline.billedPerMonth, 3)} ${unit}`, `${num(r.compressed.billedPerMonth, 3)} ${unit}`],
    ['metered transfer', $(r.baseline.meteredCostPerMonth), $(r.compressed.meteredCostPerMonth)],
    ['plan fees and overage', $(r.baseline.planCostPerMonth), $(r.compressed.planCostPerMonth)],
    [
      `codec compute (${num(c.computeHoursPerMonth, 3)} device-hours)`,
      $(0),
      $(c.computeCostPerMonth),
    ],
    ['compression running costs', $(0), $(c.monthly)],
  ];
  if (r.upgradeAvoidedPerMonth > 0) rows.push(['link upgrade avoided', $(0), `−${$(r.upgradeAvoidedPerMonth)}`]);
  rows.push(['total', $(baseTotal), $(compTotal)]);
  out.push(table(['', 'baseline', 'compressed'], rows), '');
  out.push(`One-off cost of compression: ${$(c.oneOff)}.`, '');
  if (up.priced) {
    const p = up.priced;
    out.push('## Upgrade instead of compression', '');
    out.push(
      `Upgrading every client link${p.mbps === null ? '' : ` to ${num(p.mbps)} Mbps`} costs ${$(p.oneOff)} once and ` +
        `${$(p.perMonth)} per month.` +
        (p.enough === null ? '' : p.enough ? ' That is enough for the bandwidth needed.' : ' That is not enough for the bandwidth needed.') +
        (p.countAsSaving ? ' The tariff counts it as avoided by compression.' : ''),
      '',
    );
  }
  if (r.sensitivity) {
    out.push('## Sensitivity to the rate–accuracy choice', '');
    out.push(
      table(
        ['setting', 'ratio', 'IoU', 'traffic/month', 'savings/month', 'payback'],
        r.sensitivity.map((s) => [
          settingLabel(s.setting, s.dir),
          s.compressionRatio === null ? '–' : `${num(s.compressionRatio, 1)}×`,
          s.meanIoU === null ? '–' : num(s.meanIoU, 3),
          bytes(s.compressedBytesPerMonth),
          $(s.savingsPerMonth),
          months(s.paybackMonths),
        ]),
      ),
      '',
    );
  }
  out.push('## Assumptions', '');
  for (const a of r.assumptions) out.push(`- ${a}`);
  out.push('');
  return out.join('\n');
}
