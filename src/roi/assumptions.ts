/**
 * The assumptions behind an ROI, in words, listed in its JSON and Markdown: a projection is only
 * as good as these, and a reader should be able to argue with each one.
 */
import type { Analysis, BaselineSource, RoiOptions } from './analyse.js';

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(4).replace(/\.?0+$/, ''));

const plural = (n: number, noun: string): string => `${fmt(n)} ${noun}${n === 1 ? '' : 's'}`;

/** Lists the assumptions of one analysis. */
export function assumptionsFor(options: RoiOptions, a: Analysis, base: BaselineSource): string[] {
  const { pilot, deployment, sources, perRun } = a.scaling;
  const t = options.tariff;
  const unit = t.unit === 'GiB' ? '1 GiB = 2^30 bytes' : '1 GB = 10^9 bytes';
  const out: string[] = [];
  out.push(
    'Traffic grows linearly with the deployment: features.* and gradients.* (sent per batch) in ' +
      'clients × rounds × samples per client; weights and control (sent per client and round) in clients × rounds.',
  );
  out.push(
    `Pilot: ${plural(pilot.clients, 'client')} (${sources.pilot.clients}), ${plural(pilot.rounds, 'round')} (${sources.pilot.rounds}), ` +
      `samples per client ${pilot.samples === null ? 'not given (dataset size as in the pilot)' : `${fmt(pilot.samples)} (--pilot)`}.`,
  );
  out.push(
    `Deployment: ${plural(deployment.clients, 'client')} (${sources.deployment.clients}), ${plural(deployment.rounds, 'round')} ` +
      `(${sources.deployment.rounds}), samples per client ${deployment.samples === null ? 'as in the pilot' : `${fmt(deployment.samples)} (${sources.deployment.samples})`}, ` +
      `${fmt(deployment.runsPerMonth)} training runs per month (${sources.deployment.runsPerMonth}): ` +
      `one pilot run × ${fmt(perRun.splitTensors)} for split tensors, × ${fmt(perRun.other)} for the rest.`,
  );
  out.push(
    base.log
      ? `Baseline: the uncompressed run in ${base.log.path} (${plural(base.log.clients, 'client')}, ${base.log.rounds === null ? 'rounds unknown' : plural(base.log.rounds, 'round')}), scaled the same way.`
      : `Baseline: the same messages sent uncompressed, i.e. the log's raw (fp32) sizes.`,
  );
  out.push(
    `Prices: tariff "${t.name}" (${t.currency}, ${unit}); billed directions: ${t.billed.join(', ')} ` +
      `(up = from clients, down = to clients)${t.plan ? `; plan per ${t.plan.per}, caps applied to the mean ${t.plan.per === 'client' ? 'client (all clients assumed alike)' : 'deployment total'}` : ''}.`,
  );
  out.push(
    'Dropped messages are billed (they left the sender); retransmitted packets are not (the log counts packets, not bytes).',
  );
  out.push(
    a.timeline
      ? `Codec compute: the encode and decode task durations in ${a.timeline} (modelled device time), scaled like split tensors, priced per device-hour.`
      : 'Codec compute: no timeline with encode/decode tasks was found, so compute is not priced.',
  );
  out.push(
    a.log.hasTiming
      ? 'Upgrade bandwidth: per client link and direction, baseline bytes × 8 / the time the compressed run had a message in flight on that link; the largest over clients. Latency counts as transmit time, so this is a lower bound; a shared server link is not modelled.'
      : 'Upgrade bandwidth: not derived, the log has no arrival times (a pilot CSV can add a duration column).',
  );
  if (a.log.ignoredColumns.length > 0) out.push(`Columns ignored in ${a.log.path}: ${a.log.ignoredColumns.join(', ')}.`);
  return out;
}
