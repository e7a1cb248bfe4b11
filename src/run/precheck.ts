/**
 * Checks every file a scenario names before anything runs — bandwidth, latency and availability
 * traces, the data folder and its image/mask pairs — and lists every bad one (up to a limit)
 * in one failure, so a run never starts only to stop with a stack trace at its first bad file.
 */
import { checkFolder } from '../data/folder.js';
import type { Scenario } from '../scenario/schema.js';
import { TraceFiles, type TraceRef } from '../sim/index.js';
import { capProblems, Failure } from './failure.js';

/** What precheckScenario found that is not an error. */
export interface Precheck {
  /** Lines to show the user (e.g. fewer images than asked for). */
  notices: string[];
}

/** Every trace a scenario's network names, as `[field, check]` pairs. */
function traceChecks(s: Scenario, files: TraceFiles): Array<[string, () => unknown]> {
  const out: Array<[string, () => unknown]> = [];
  const n = s.network;
  const link = (l: { bandwidthTrace?: TraceRef | undefined; latencyTrace?: string | undefined } | undefined, field: string): void => {
    if (l?.bandwidthTrace !== undefined) out.push([`${field}.bandwidthTrace`, () => files.capacity(l.bandwidthTrace as TraceRef, `${field}.bandwidthTrace`)]);
    if (l?.latencyTrace !== undefined) out.push([`${field}.latencyTrace`, () => files.latency(l.latencyTrace as string, `${field}.latencyTrace`)]);
  };
  link(n.uplink, 'network.uplink');
  link(n.downlink, 'network.downlink');
  n.perClient?.forEach((c, k) => {
    link(c.uplink, `network.perClient[${k}].uplink`);
    link(c.downlink, `network.perClient[${k}].downlink`);
  });
  for (const host of ['server', 'federator'] as const) {
    const a = n[host];
    if (a?.uplinkTrace !== undefined) out.push([`network.${host}.uplinkTrace`, () => files.capacity(a.uplinkTrace as TraceRef, `network.${host}.uplinkTrace`)]);
    if (a?.downlinkTrace !== undefined) out.push([`network.${host}.downlinkTrace`, () => files.capacity(a.downlinkTrace as TraceRef, `network.${host}.downlinkTrace`)]);
  }
  const schedule = n.availability?.schedule;
  if (schedule !== undefined) out.push(['network.availability.schedule', () => files.availability(schedule, 'network.availability.schedule')]);
  return out;
}

/**
 * Reads and parses every referenced file; throws one Failure (exit 2) listing every problem.
 * @example const { notices } = await precheckScenario(scenario);
 */
export async function precheckScenario(s: Scenario, source: string): Promise<Precheck> {
  const problems: string[] = [];
  const notices: string[] = [];
  const files = new TraceFiles();
  for (const [field, check] of traceChecks(s, files)) {
    try {
      check();
    } catch (err) {
      const m = err instanceof Error ? err.message : String(err);
      problems.push(m.startsWith(field) ? m : `${field}: ${m}`);
    }
  }
  const d = s.data;
  if (d.kind === 'folder' && d.path !== undefined) {
    const { pairs, problems: bad } = await checkFolder(d.path);
    problems.push(...bad.map((p) => `data.path: ${p}`));
    if (bad.length === 0) {
      const clients = s.protocol.clients;
      const train = pairs - d.testSamples;
      if (train < clients) {
        problems.push(`data.testSamples: must leave at least one training image per client (${pairs} images, ${clients} clients), got ${d.testSamples}`);
      } else if (train < clients * d.samplesPerClient) {
        notices.push(
          `data: ${d.path} has ${pairs} images: ${d.testSamples} held out, ${train} to train on — about ${Math.floor(train / clients)} per client where data.samplesPerClient asks ${d.samplesPerClient}; clients train on what there is`,
        );
      }
    }
  }
  if (problems.length === 1) throw new Failure(source, problems[0] as string);
  if (problems.length > 1) throw new Failure(source, `${problems.length} problems in the files it names`, 2, capProblems(problems));
  return { notices };
}
