/**
 * Simulation against reality: two run folders' traffic logs (and summaries) side by side,
 * per message kind and per round — bytes, which must be equal for deterministic codecs, and
 * times (simulated against measured).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Totals of one group of log lines. */
export interface Tally {
  messages: number;
  rawBytes: number;
  wireBytes: number;
  /** Sum of recvTime − sendTime over delivered messages, and their count. */
  transitSeconds: number;
  delivered: number;
}

/** One folder's traffic, grouped. */
export interface RunTraffic {
  byKind: Map<string, Tally>;
  byRoundKind: Map<string, Tally>;
  /** Round → end time (summary.json's simulatedSeconds of that round). */
  roundEnds: Map<number, number>;
  /** summary.json's `pilot` section, if any. */
  pilot: { links?: string } | null;
}

const empty = (): Tally => ({ messages: 0, rawBytes: 0, wireBytes: 0, transitSeconds: 0, delivered: 0 });

function add(t: Tally, r: { rawBytes: number; wireBytes: number; sendTime: number; recvTime: number | null }): void {
  t.messages += 1;
  t.rawBytes += r.rawBytes;
  t.wireBytes += r.wireBytes;
  if (r.recvTime !== null) {
    t.transitSeconds += r.recvTime - r.sendTime;
    t.delivered += 1;
  }
}

/** Reads `dir/traffic.ndjson` (required) and `dir/summary.json` (optional). */
export function readRunTraffic(dir: string): RunTraffic {
  const file = join(dir, 'traffic.ndjson');
  if (!existsSync(file)) throw new Error(`${dir}: must be a run or pilot folder with traffic.ndjson, got none`);
  const byKind = new Map<string, Tally>();
  const byRoundKind = new Map<string, Tally>();
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let r: { round: number; kind: string; rawBytes: number; wireBytes: number; sendTime: number; recvTime: number | null };
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      throw new Error(`${file}:${i + 1}: must be a JSON object, got ${line.slice(0, 40)}`);
    }
    const k = byKind.get(r.kind) ?? empty();
    byKind.set(r.kind, k);
    add(k, r);
    const key = `${r.round}\t${r.kind}`;
    const rk = byRoundKind.get(key) ?? empty();
    byRoundKind.set(key, rk);
    add(rk, r);
  });
  const roundEnds = new Map<number, number>();
  let pilot: RunTraffic['pilot'] = null;
  const summaryFile = join(dir, 'summary.json');
  if (existsSync(summaryFile)) {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as { rounds?: { round: number; simulatedSeconds: number }[]; pilot?: { links?: string } };
    for (const r of s.rounds ?? []) roundEnds.set(r.round, r.simulatedSeconds);
    pilot = s.pilot ?? null;
  }
  return { byKind, byRoundKind, roundEnds, pilot };
}

/** One row of the comparison. */
export interface CompareRow {
  group: string;
  sim: Tally;
  real: Tally;
  bytesEqual: boolean;
}

/** Per-kind and per-round rows; `equal` when every group's messages, raw and wire bytes agree. */
export function compareRuns(sim: RunTraffic, real: RunTraffic): { byKind: CompareRow[]; byRound: CompareRow[]; equal: boolean } {
  const rows = (a: Map<string, Tally>, b: Map<string, Tally>): CompareRow[] =>
    [...new Set([...a.keys(), ...b.keys()])].sort().map((group) => {
      const s = a.get(group) ?? empty();
      const r = b.get(group) ?? empty();
      return { group, sim: s, real: r, bytesEqual: s.messages === r.messages && s.rawBytes === r.rawBytes && s.wireBytes === r.wireBytes };
    });
  const byKind = rows(sim.byKind, real.byKind);
  const byRound = rows(sim.byRoundKind, real.byRoundKind);
  return { byKind, byRound, equal: byKind.every((r) => r.bytesEqual) && byRound.every((r) => r.bytesEqual) };
}

const ms = (t: Tally): string => (t.delivered === 0 ? '–' : `${((t.transitSeconds / t.delivered) * 1000).toFixed(2)} ms`);

/** The comparison as text. */
export function formatComparison(sim: RunTraffic, real: RunTraffic): { text: string; equal: boolean } {
  const c = compareRuns(sim, real);
  const head = ['group', 'msgs sim/real', 'rawBytes sim', 'rawBytes real', 'wireBytes sim', 'wireBytes real', 'bytes', 'mean transit sim', 'mean transit real'];
  const line = (r: CompareRow): string[] => [
    r.group.replace('\t', ' '),
    `${r.sim.messages}/${r.real.messages}`,
    String(r.sim.rawBytes),
    String(r.real.rawBytes),
    String(r.sim.wireBytes),
    String(r.real.wireBytes),
    r.bytesEqual ? 'equal' : 'DIFFER',
    ms(r.sim),
    ms(r.real),
  ];
  const grid = (rows: string[][]): string => {
    const w = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    return rows.map((r) => `  ${r.map((x, i) => (i === 0 ? x.padEnd(w[i] ?? 0) : x.padStart(w[i] ?? 0))).join('  ')}`).join('\n');
  };
  const rounds = [...new Set([...sim.roundEnds.keys(), ...real.roundEnds.keys()])].sort((a, b) => a - b);
  const roundRows = rounds.map((r) => {
    const s = sim.roundEnds.get(r);
    const m = real.roundEnds.get(r);
    const ds = s === undefined ? undefined : s - (sim.roundEnds.get(r - 1) ?? 0);
    const dm = m === undefined ? undefined : m - (real.roundEnds.get(r - 1) ?? 0);
    const f = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(3)} s`);
    const ratio = ds !== undefined && dm !== undefined && ds > 0 ? `${(dm / ds).toFixed(2)}×` : '–';
    return [`round ${r}`, f(ds), f(dm), ratio];
  });
  const rw = [0, 1, 2, 3].map((i) => Math.max(...[['round', 'simulated', 'measured', 'measured/sim'], ...roundRows].map((x) => (x[i] ?? '').length)));
  const roundText = [['round', 'simulated', 'measured', 'measured/sim'], ...roundRows].map((x) => `  ${x.map((v, i) => (i === 0 ? v.padEnd(rw[i] ?? 0) : v.padStart(rw[i] ?? 0))).join('  ')}`).join('\n');
  const note = real.pilot?.links ? `\nlinks of the measured run: ${real.pilot.links}\n` : '';
  const text = `per message kind\n${grid([head, ...c.byKind.map(line)])}\n\nper round and kind\n${grid([head, ...c.byRound.map(line)])}\n\nround durations\n${roundText}\n${note}\nbytes: ${c.equal ? 'equal for every kind and round' : 'DIFFER (see rows marked DIFFER)'}\n`;
  return { text, equal: c.equal };
}
