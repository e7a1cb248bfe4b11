/**
 * What a scenario's network section means once its layers are merged, field by field: a field
 * left out of a per-client override inherits from `network.uplink`/`downlink`, then from the
 * profile, then from {@link LINK_DEFAULTS}; the federator's access link inherits from the
 * server's. Everything that builds or reports links goes through here, so the run, `check` and
 * the summary see the same links.
 */
import { LINK_DEFAULTS, NETWORK_PROFILES } from './networkProfiles.js';
import { ACCESS_DEFAULTS, type AccessConfig, type LinkConfig, type LinkOverride, type Scenario } from './schema.js';

/** One client's two link directions, resolved. */
export interface ClientLinks {
  uplink: LinkConfig;
  downlink: LinkConfig;
}

/**
 * Lays `over` on `base`, one field at a time: only the fields `over` states replace. A layer that
 * states a fixed rate (or latency) drops a trace it inherits, since the two are alternatives.
 */
export function mergeLink(base: LinkConfig, over: LinkOverride | undefined): LinkConfig {
  if (over === undefined) return base;
  const out: LinkConfig = { ...base };
  if (over.bandwidthMbps !== undefined && over.bandwidthTrace === undefined) delete out.bandwidthTrace;
  if (over.latencyMs !== undefined && over.latencyTrace === undefined) delete out.latencyTrace;
  for (const [key, value] of Object.entries(over)) {
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * The resolved uplink and downlink of client `k`: defaults, then the profile, then the
 * network-wide overrides, then the client's own.
 * @example clientLinks(validateScenario({ network: { uplink: { bandwidthMbps: 50 } } }), 0).uplink.latencyMs // 5
 */
export function clientLinks(s: Scenario, k: number): ClientLinks {
  const profile = NETWORK_PROFILES[s.network.profile];
  if (profile === undefined) throw new Error(`unknown network profile ${s.network.profile}`);
  const per = s.network.perClient?.[k];
  const layer = (dir: 'uplink' | 'downlink'): LinkConfig =>
    mergeLink(mergeLink({ ...LINK_DEFAULTS, ...profile[dir] }, s.network[dir]), per?.[dir]);
  return { uplink: layer('uplink'), downlink: layer('downlink') };
}

/**
 * The server's and the federator's access links, resolved; the federator's is undefined when it
 * shares the server's. Returns the fields still missing (a federator with its own link but no
 * server to inherit the rates from) as `path: must be …` lines.
 */
export function accessLinks(s: Scenario): { server?: AccessConfig; federator?: AccessConfig; problems: string[] } {
  const server = s.network.server;
  const f = s.network.federator;
  const out: { server?: AccessConfig; federator?: AccessConfig; problems: string[] } = { problems: [] };
  if (server !== undefined) out.server = server;
  if (f === undefined) return out;
  const merged: Partial<AccessConfig> = { ...ACCESS_DEFAULTS, ...server };
  for (const [key, value] of Object.entries(f)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  for (const key of ['uplinkMbps', 'downlinkMbps'] as const) {
    if (merged[key] === undefined) out.problems.push(`network.federator.${key}: must be set when network.server is not (nothing to inherit it from), got nothing`);
  }
  if (out.problems.length === 0) out.federator = merged as AccessConfig;
  return out;
}

/** The network model a run uses: the one named, else flow when a server access link is set. */
export function networkModel(s: Scenario): 'fifo' | 'flow' {
  return s.network.model ?? (s.network.server !== undefined ? 'flow' : 'fifo');
}

/**
 * The network section with its access links resolved: what `networkSpecFromConfig` and
 * `availabilityFromConfig` (src/sim/networkConfig.ts) take.
 */
export function resolvedNetworkConfig(s: Scenario): Omit<Scenario['network'], 'server' | 'federator'> & {
  server?: AccessConfig;
  federator?: AccessConfig;
} {
  const { server, federator, ...rest } = s.network;
  void server;
  void federator;
  const a = accessLinks(s);
  return { ...rest, ...(a.server ? { server: a.server } : {}), ...(a.federator ? { federator: a.federator } : {}) };
}

/** One link direction as `summary.json` `links[k]` reports it. */
export interface LinkReport {
  /** Fixed rate, or null when a bandwidth trace sets the capacity. */
  bandwidthMbps: number | null;
  /** The bandwidth trace file (as the run read it), or null. */
  bandwidthTrace: string | null;
  /** Fixed one-way latency, or null when a latency trace sets it. */
  latencyMs: number | null;
  latencyTrace: string | null;
  jitterMs: number;
  loss: number;
  /** Mean loss burst (Gilbert model), or null for independent losses. */
  burstLength: number | null;
}

/** A resolved link as the summary and the banner report it. */
export function linkReport(l: LinkConfig): LinkReport {
  return {
    bandwidthMbps: l.bandwidthTrace !== undefined ? null : l.bandwidthMbps,
    bandwidthTrace: l.bandwidthTrace?.file ?? null,
    latencyMs: l.latencyTrace !== undefined ? null : l.latencyMs,
    latencyTrace: l.latencyTrace ?? null,
    jitterMs: l.jitterMs,
    loss: l.loss,
    burstLength: l.burstLength ?? null,
  };
}

/** `50 Mbit/s, 5 ms ± 0.5 ms, loss 0.5 %` (or the trace files), for the banner. */
export function describeLink(r: LinkReport): string {
  const rate = r.bandwidthTrace !== null ? `trace ${r.bandwidthTrace}` : `${r.bandwidthMbps} Mbit/s`;
  const latency = r.latencyTrace !== null ? `latency trace ${r.latencyTrace}` : `${r.latencyMs} ms`;
  const jitter = r.jitterMs > 0 ? ` ± ${r.jitterMs} ms` : '';
  const loss = r.loss > 0 ? `, loss ${+(r.loss * 100).toPrecision(3)} %${r.burstLength !== null ? ` (bursts of ${r.burstLength})` : ''}` : '';
  return `${rate}, ${latency}${jitter}${loss}`;
}
