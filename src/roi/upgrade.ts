/**
 * The bandwidth a network upgrade would need to give the same training time without
 * compression: per client link and direction, baseline bytes × 8 / the time the compressed
 * run's link had a message in flight. Latency and queueing count as transmit time here, so
 * the figure is a lower bound on what an upgrade must deliver.
 */
import type { Tariff, Upgrade } from './tariff.js';
import type { LinkBusy } from './types.js';
import type { UpgradeEstimate } from './report-types.js';

/** Baseline bytes per client link and direction, scaled to the compressed log's size. */
export type BaselineLinkBytes = (client: string, direction: 'up' | 'down', link: LinkBusy) => number | null;

const round2 = (x: number): number => Math.round(x * 100) / 100;

function priceUpgrade(u: Upgrade, most: number | null, clients: number): NonNullable<UpgradeEstimate['priced']> {
  const needed = most === null || u.currentMbps === null ? null : most > u.currentMbps;
  return {
    mbps: u.mbps,
    enough: u.mbps === null || most === null ? null : u.mbps >= most,
    currentMbps: u.currentMbps,
    needed,
    oneOff: u.oneOffPerClient * clients,
    perMonth: u.monthlyPerClient * clients,
    countAsSaving: u.countAsSaving && needed !== false,
  };
}

/** Estimates the upgrade from the compressed log's busy links; `clients` prices the tariff's upgrade. */
export function estimateUpgrade(
  links: LinkBusy[],
  baselineBytes: BaselineLinkBytes,
  tariff: Tariff,
  clients: number,
): UpgradeEstimate {
  const needed: UpgradeEstimate['neededMbps'] = { up: null, down: null };
  const pilot: UpgradeEstimate['pilotMbps'] = { up: null, down: null };
  const limiting: UpgradeEstimate['limitingClient'] = { up: null, down: null };
  for (const link of links) {
    if (link.busySeconds <= 0) continue;
    const base = baselineBytes(link.client, link.direction, link);
    if (base === null) continue;
    const mbps = (base * 8) / link.busySeconds / 1e6;
    const current = needed[link.direction];
    if (current === null || mbps > current) {
      needed[link.direction] = mbps;
      pilot[link.direction] = (link.wireBytes * 8) / link.busySeconds / 1e6;
      limiting[link.direction] = link.client;
    }
  }
  const u = tariff.upgrade;
  const most = Math.max(needed.up ?? -1, needed.down ?? -1);
  return {
    neededMbps: { up: needed.up === null ? null : round2(needed.up), down: needed.down === null ? null : round2(needed.down) },
    pilotMbps: { up: pilot.up === null ? null : round2(pilot.up), down: pilot.down === null ? null : round2(pilot.down) },
    limitingClient: limiting,
    priced: u ? priceUpgrade(u, most < 0 ? null : most, clients) : null,
  };
}
