/**
 * What one schedule exercised (issue 18): the fault kinds it injected and the protocol paths
 * its trace shows, so `check` can report what each property actually saw.
 */
import type { Trace } from './types.js';

/** Names of the fault kinds and protocol paths, in the order the report prints them. */
export const COVERAGE_ITEMS = [
  'fault:delay',
  'fault:drop-datagram',
  'fault:drop-reliable',
  'fault:duplicate',
  'fault:crash',
  'fault:straggle',
  'fault:restart',
  'net:retransmission',
  'net:datagram-lost',
  'path:sflv2',
  'path:label-sharing',
  'path:lossy',
  'path:over-selection',
  'path:batch-skipped',
  'path:batch-abandoned',
  'path:late-delivery',
  'path:update-left-out',
  'path:turn-timeout',
  'path:codec-sync',
  'path:codec-delta',
  'path:weights-delta',
] as const;

/** The coverage items one trace shows. */
export function coverageOf(t: Trace): string[] {
  const s = t.settings;
  const out: string[] = [];
  const m = t.schedule.messages;
  if (m.some((f) => f.fault === 'delay')) out.push('fault:delay');
  if (t.traffic.some((e) => e.dropReason === 'fault')) out.push('fault:drop-datagram');
  if (m.some((f) => f.fault === 'drop') && s.networkMode === 'reliable') out.push('fault:drop-reliable');
  if (t.traffic.some((e) => e.copy > 0)) out.push('fault:duplicate');
  if (t.schedule.crashes.length > 0) out.push('fault:crash');
  if (t.schedule.stragglers.length > 0) out.push('fault:straggle');
  if (t.schedule.serverRestarts.length > 0) out.push('fault:restart');
  if (t.traffic.some((e) => e.retransmissions > 0)) out.push('net:retransmission');
  if (t.traffic.some((e) => e.dropReason === 'loss')) out.push('net:datagram-lost');
  if (s.variant === 'sflv2') out.push('path:sflv2');
  if (s.topology === 'label-sharing') out.push('path:label-sharing');
  if (s.networkMode === 'lossy') out.push('path:lossy');
  if (s.aggregateFirst !== undefined && s.aggregateFirst < s.clientsPerRound) out.push('path:over-selection');
  if (t.batches.some((b) => b.end === 'skipped')) out.push('path:batch-skipped');
  if (t.batches.some((b) => b.end === 'abandoned')) out.push('path:batch-abandoned');
  if (t.deliveries.some((d) => d.late)) out.push('path:late-delivery');
  if (t.updateArrivals.some((u) => !u.beforeDeadline || !u.first)) out.push('path:update-left-out');
  if (t.turns.some((x) => x.cause.type === 'timer')) out.push('path:turn-timeout');
  if (t.traffic.some((e) => e.kind === 'codec.up' || e.kind === 'codec.down')) out.push('path:codec-sync');
  // Delta forms are the smaller blobs of a round's pack (standInTasks.ts): codec.down, weights.down.
  if (t.traffic.some((e) => e.kind === 'codec.down' && e.bytes < s.tensorBytes)) out.push('path:codec-delta');
  if (t.traffic.some((e) => e.kind === 'weights.down' && e.bytes < s.weightsBytes)) out.push('path:weights-delta');
  return out;
}
