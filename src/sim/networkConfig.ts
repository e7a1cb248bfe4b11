/**
 * From a scenario's network section (plain data, validated by the scenario schema) to the
 * {@link NetworkSpec} and {@link AvailabilityOptions} the simulation core takes: trace files are
 * read here (once each), bursty loss becomes a Gilbert chain. The types are structural, so this
 * module does not depend on the scenario package.
 */
import type { AvailabilityOptions } from './dropout.js';
import type { LinkSpec } from './link.js';
import { gilbertFromMean } from './lossModel.js';
import type { AccessLinkSpec } from './flowTransport.js';
import type { NetworkSpec } from './network.js';
import { TraceFiles, type TraceRef } from './traceFiles.js';

/** One link direction as a scenario states it. */
export interface LinkConfigInput {
  bandwidthMbps: number;
  latencyMs: number;
  jitterMs: number;
  loss: number;
  burstLength?: number | undefined;
  bandwidthTrace?: TraceRef | undefined;
  latencyTrace?: string | undefined;
}

/** A server-side access link as a scenario states it. */
export interface AccessConfigInput {
  uplinkMbps: number;
  downlinkMbps: number;
  latencyMs: number;
  loss: number;
  uplinkTrace?: TraceRef | undefined;
  downlinkTrace?: TraceRef | undefined;
}

/** The network section's fields this module reads. */
export interface NetworkConfigInput {
  mode: 'reliable' | 'lossy';
  mtuBytes: number;
  rtoMs: number;
  dropoutProb: number;
  server?: AccessConfigInput | undefined;
  federator?: AccessConfigInput | undefined;
  model?: 'fifo' | 'flow' | undefined;
  congestionControl: 'cubic' | 'reno';
  availability?:
    | { schedule?: string | undefined; crashProb: number; stragglerFraction: number; stragglerSlowdown: number }
    | undefined;
}

/**
 * Builds the network spec for `clients` clients whose resolved links `linksOf(k)` returns.
 * @example networkSpecFromConfig(s.network, s.protocol.clients, (k) => clientLinks(s, k))
 */
export function networkSpecFromConfig(
  config: NetworkConfigInput,
  clients: number,
  linksOf: (k: number) => { uplink: LinkConfigInput; downlink: LinkConfigInput },
  files: TraceFiles = new TraceFiles(),
): NetworkSpec {
  const link = (c: LinkConfigInput, field: string): LinkSpec => {
    const out: LinkSpec = {
      bandwidthMbps: c.bandwidthMbps,
      latencyMs: c.latencyMs,
      jitterMs: c.jitterMs,
      loss: c.loss,
      mode: config.mode,
      mtuBytes: config.mtuBytes,
      rtoMs: config.rtoMs,
    };
    if (c.burstLength !== undefined && c.loss > 0) out.burst = gilbertFromMean(c.loss, c.burstLength);
    if (c.bandwidthTrace !== undefined) out.bandwidthTrace = files.capacity(c.bandwidthTrace, `${field}.bandwidthTrace`);
    if (c.latencyTrace !== undefined) out.latencyTrace = files.latency(c.latencyTrace, `${field}.latencyTrace`);
    return out;
  };
  const access = (a: AccessConfigInput, field: string): AccessLinkSpec => {
    const out: AccessLinkSpec = { uplinkMbps: a.uplinkMbps, downlinkMbps: a.downlinkMbps, latencyMs: a.latencyMs, loss: a.loss };
    if (a.uplinkTrace !== undefined) out.uplinkTrace = files.capacity(a.uplinkTrace, `${field}.uplinkTrace`);
    if (a.downlinkTrace !== undefined) out.downlinkTrace = files.capacity(a.downlinkTrace, `${field}.downlinkTrace`);
    return out;
  };
  const spec: NetworkSpec = {
    clients: Array.from({ length: clients }, (_, k) => {
      const { uplink, downlink } = linksOf(k);
      return { uplink: link(uplink, `network.clients[${k}].uplink`), downlink: link(downlink, `network.clients[${k}].downlink`) };
    }),
    tcp: { congestionControl: config.congestionControl, minRtoS: config.rtoMs / 1000 },
  };
  if (config.server !== undefined) spec.server = access(config.server, 'network.server');
  if (config.federator !== undefined) spec.federator = access(config.federator, 'network.federator');
  if (config.model !== undefined) spec.model = config.model;
  return spec;
}

/** The availability options of a scenario's network section. */
export function availabilityFromConfig(config: NetworkConfigInput, files: TraceFiles = new TraceFiles()): AvailabilityOptions {
  const a = config.availability;
  const out: AvailabilityOptions = { dropoutProb: config.dropoutProb };
  if (a === undefined) return out;
  out.crashProb = a.crashProb;
  out.stragglerFraction = a.stragglerFraction;
  out.stragglerSlowdown = a.stragglerSlowdown;
  if (a.schedule !== undefined) out.schedule = files.availability(a.schedule, 'network.availability.schedule');
  return out;
}
