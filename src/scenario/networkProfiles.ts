/**
 * Named network profiles. Figures are typical published values, rounded; they are starting
 * points to edit, not measurements of any particular site.
 * - hospital-fiber: business fibre, symmetric 100 Mbit/s, 5 ms one way (regional data centre).
 * - campus-lan: 1 Gbit/s LAN to an on-premises server, 0.5 ms.
 * - rural-4g: LTE at the cell edge, 5 Mbit/s up / 20 Mbit/s down, 40 ms one way, 10 ms jitter,
 *   0.5% packet loss (typical of drive-test reports for rural LTE).
 * - satellite: geostationary broadband, 3 Mbit/s up / 25 Mbit/s down, 300 ms one way
 *   (≈600 ms RTT), 20 ms jitter, 1% loss.
 */
import type { LinkConfig } from './schema.js';

/**
 * What a link field is when neither the profile nor an override states it: the `custom`
 * profile. One place, so the profiles, the merge and the schema's descriptions agree.
 */
export const LINK_DEFAULTS = { bandwidthMbps: 100, latencyMs: 10, jitterMs: 0, loss: 0 } as const;

export interface NetworkProfile {
  readonly description: string;
  readonly uplink: LinkConfig;
  readonly downlink: LinkConfig;
}

export const NETWORK_PROFILES: Readonly<Record<string, NetworkProfile>> = {
  'hospital-fiber': {
    description: 'business fibre, symmetric 100 Mbit/s, 5 ms one way',
    uplink: { bandwidthMbps: 100, latencyMs: 5, jitterMs: 0.5, loss: 0 },
    downlink: { bandwidthMbps: 100, latencyMs: 5, jitterMs: 0.5, loss: 0 },
  },
  'campus-lan': {
    description: '1 Gbit/s LAN to an on-premises server, 0.5 ms one way',
    uplink: { bandwidthMbps: 1000, latencyMs: 0.5, jitterMs: 0.05, loss: 0 },
    downlink: { bandwidthMbps: 1000, latencyMs: 0.5, jitterMs: 0.05, loss: 0 },
  },
  'rural-4g': {
    description: 'LTE at the cell edge: 5 Mbit/s up, 20 Mbit/s down, 40 ms, 0.5% loss',
    uplink: { bandwidthMbps: 5, latencyMs: 40, jitterMs: 10, loss: 0.005 },
    downlink: { bandwidthMbps: 20, latencyMs: 40, jitterMs: 10, loss: 0.005 },
  },
  satellite: {
    description: 'geostationary broadband: 3 Mbit/s up, 25 Mbit/s down, 300 ms, 1% loss',
    uplink: { bandwidthMbps: 3, latencyMs: 300, jitterMs: 20, loss: 0.01 },
    downlink: { bandwidthMbps: 25, latencyMs: 300, jitterMs: 20, loss: 0.01 },
  },
  custom: {
    description: 'no preset: set network.uplink and network.downlink yourself',
    uplink: { ...LINK_DEFAULTS },
    downlink: { ...LINK_DEFAULTS },
  },
};
