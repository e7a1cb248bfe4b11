/**
 * The model's predictions for a testbed setting, computed with the simulator's own network
 * code: a {@link Network} in flow mode (the path the simulation takes) for lossless transfers,
 * and the same TCP model ({@link tcpTransfer}) fed the delay line's exact losses
 * ({@link pairedLosses}) for lossy ones.
 *
 * The testbed maps onto the model as: sender = the split server, whose access uplink is the
 * shaped bottleneck (rate R); receivers = clients whose links are fast (10 Gbit/s, the veth and
 * TUN devices) and carry the one-way delay d in each direction, so the round trip is 2d.
 */
import { Network, type NetworkSpec } from '../sim/network.js';
import { Rng } from '../sim/rng.js';
import { DEFAULT_TCP, tcpTransfer, type CongestionControl } from '../sim/tcpModel.js';
import { pairedLosses } from './pairedLoss.js';

/** One emulated path. */
export interface PathSetting {
  rateMbps: number;
  delayMs: number;
  loss: number;
}

/** Rate of the testbed's unshaped devices, as the model sees them. */
const FAST_MBPS = 10_000;
const MTU = 1500;

/** The network the model builds for a setting with `flows` receivers. */
export function testbedNetwork(setting: PathSetting, flows: number, cc: CongestionControl): Network {
  const link = { bandwidthMbps: FAST_MBPS, latencyMs: setting.delayMs, jitterMs: 0, loss: 0, mode: 'reliable' as const, mtuBytes: MTU };
  const spec: NetworkSpec = {
    clients: Array.from({ length: flows }, () => ({ uplink: link, downlink: link })),
    server: { uplinkMbps: setting.rateMbps, downlinkMbps: FAST_MBPS, latencyMs: 0 },
    tcp: { congestionControl: cc },
  };
  return new Network(spec, new Rng(0, 'netcheck'), { field: 'netcheck' });
}

/**
 * Predicted transfer times (seconds) of messages of `bytes[i]` bytes sent at the same instant
 * from the server to client i, through the flow model with max-min sharing.
 */
export function predictConcurrent(setting: PathSetting, bytes: readonly number[], cc: CongestionControl): number[] {
  if (setting.loss > 0) throw new Error('predictConcurrent: lossless settings only (lossy ones are paired, see predictPaired)');
  const net = testbedNetwork(setting, bytes.length, cc);
  bytes.forEach((b, i) => net.startTransfer('server', `client-${i}`, b, 0, undefined, i));
  const out = new Array<number>(bytes.length).fill(NaN);
  // Bounded: each flow completes once; the loop stops when nothing is in flight.
  for (let guard = 0; guard < 10 * bytes.length + 10; guard++) {
    const t = net.nextEventTime();
    if (t === undefined) break;
    for (const c of net.advanceTo(t)) out[c.tag] = c.delivery.arrivalTime as number;
  }
  return out;
}

/**
 * Predicted transfer time of one `bytes`-byte message on a lossy path, given the segments the
 * delay line drops for this `seed` and destination `port`.
 */
export function predictPaired(setting: PathSetting, bytes: number, seed: number, port: number, cc: CongestionControl): number {
  const mss = MTU - DEFAULT_TCP.headerBytes;
  const { lost, lostAgain } = pairedLosses(seed, port, Math.ceil(bytes / mss), setting.loss);
  const d = setting.delayMs / 1000;
  return tcpTransfer(bytes, { rateBps: setting.rateMbps * 1e6, rttS: 2 * d, oneWayS: d, mtuBytes: MTU }, lost, { congestionControl: cc }, lostAgain).seconds;
}

/** What the old per-link FIFO model (no slow start, no sharing) would say for a lone message. */
export function predictFifo(setting: PathSetting, bytes: number): number {
  const packets = Math.ceil(bytes / (MTU - 40));
  return ((bytes + 40 * packets) * 8) / (setting.rateMbps * 1e6) + setting.delayMs / 1000;
}
