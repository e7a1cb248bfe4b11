/**
 * Benchmark: `splitwire roi` end to end (tariff, DuckDB load of the log, SQL, pricing, Markdown,
 * atomic --out write) on a generated 1,000,000-line traffic log with a timeline beside it.
 * Target: ≤ 10 s on 2 cores. Wall-clock timing is this file's whole point (allowed in benches).
 */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRoiCommand } from './command.js';
import { wallMs } from '../sim/wallClock.js';

const KINDS = [
  ['features.s1', 'up'],
  ['features.s2', 'down'],
  ['gradients.s2', 'up'],
  ['gradients.s1', 'down'],
] as const;

/**
 * Writes a synthetic simulator log of `lines` messages (40 clients, 4 split tensors per step,
 * weights down and up per client and round) and a timeline with one encode and one decode per
 * split tensor for the first client of each round.
 */
export async function writeSyntheticLog(dir: string, lines: number): Promise<{ traffic: string; timeline: string }> {
  const traffic = join(dir, 'traffic.ndjson');
  const timeline = join(dir, 'timeline.ndjson');
  const out = await open(traffic, 'w');
  const tl: string[] = [];
  const clients = 40;
  const stepsPerRound = 100;
  let seq = 0;
  let chunk: string[] = [];
  const flush = async (): Promise<void> => {
    await out.write(chunk.join(''));
    chunk = [];
  };
  const line = (round: number, step: number, src: string, dst: string, kind: string, codec: string, raw: number, wire: number, t: number): void => {
    chunk.push(
      `{"seq":${seq++},"round":${round},"step":${step},"src":"${src}","dst":"${dst}","kind":"${kind}","codec":"${codec}",` +
        `"rawBytes":${raw},"wireBytes":${wire},"sendTime":${t.toFixed(4)},"recvTime":${(t + 0.05).toFixed(4)},` +
        `"retransmissions":${seq % 97 === 0 ? 1 : 0},"dropped":false}\n`,
    );
  };
  try {
    for (let round = 0; seq < lines; round++) {
      for (let c = 0; c < clients && seq < lines; c++) {
        const client = `client-${c}`;
        let t = round * 1000 + c * 0.001;
        line(round, -1, 'federator', client, 'weights.down', 'none', 93312, 93348, t);
        for (let step = 0; step < stepsPerRound && seq < lines; step++) {
          for (const [kind, dir] of KINDS) {
            if (seq >= lines) break;
            t += 0.1;
            const [src, dst] = dir === 'up' ? [client, 'server'] : ['server', client];
            line(round, step, src, dst, kind, 'quant8', 4194304, 1048620 + (seq % 13), t);
            if (c === 0) {
              tl.push(`{"round":${round},"step":${step},"actor":"${src}","task":"encode","device":"edge-cpu","start":${t - 0.02},"end":${t},"flops":1}\n`);
              tl.push(`{"round":${round},"step":${step},"actor":"${dst}","task":"decode","device":"server-gpu","start":${t + 0.05},"end":${t + 0.06},"flops":1}\n`);
            }
          }
        }
        if (seq < lines) line(round, -1, client, 'federator', 'weights.up', 'none', 93312, 93348, t + 0.2);
        if (chunk.length > 50000) await flush();
      }
    }
    await flush();
  } finally {
    await out.close();
  }
  await writeFile(timeline, tl.join(''));
  return { traffic, timeline };
}

const TARIFF = `name: bench
perGB: 0.09
billed: [down]
compression: { oneOff: 10000, monthly: 100, computePerHour: 1.5 }
deployment: { runsPerMonth: 4, clients: 200, rounds: 50 }
`;

/** Times `splitwire roi` on a generated 1M-line log (generation not timed). */
export async function benchRoiMillionLines(): Promise<{ roiMillionLinesSeconds: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'splitwire-roi-bench-'));
  try {
    const { traffic } = await writeSyntheticLog(dir, 1_000_000);
    const tariff = join(dir, 'tariff.yaml');
    await writeFile(tariff, TARIFF);
    const sink = { stdout: (): void => {}, stderr: (): void => {} };
    const t0 = wallMs();
    const code = await runRoiCommand([traffic, '--tariff', tariff, '--out', join(dir, 'roi.json')], sink);
    const seconds = (wallMs() - t0) / 1000;
    if (code !== 0) throw new Error(`roi benchmark: splitwire roi exited ${code}`);
    return { roiMillionLinesSeconds: Math.round(seconds * 1000) / 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
