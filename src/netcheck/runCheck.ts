/**
 * Runs the kernel check: probes what this machine allows, compiles the delay line, builds one
 * testbed per path, sends every case's messages over real kernel TCP, and sets the measured
 * times against the model's. The result says per row whether the target was met; a machine
 * that cannot do it gets a `skipped` result with the reason, never a pass.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CongestionControl } from '../sim/tcpModel.js';
import { SINGLE_TARGET_MIN_BYTES, TARGETS, type CheckCase } from './cases.js';
import { DELAY_LINE_C } from './delayLineSource.js';
import { MESSAGE_HEADER_BYTES } from './endpointProtocol.js';
import { predictConcurrent, predictFifo, predictPaired, type PathSetting } from './predict.js';
import { Testbed } from './testbed.js';

/** Options of {@link runNetworkCheck}. */
export interface CheckOptions {
  cases: CheckCase[];
  congestionControl?: CongestionControl;
  /** Seed of the delay line's loss pattern (the model's TCP constants were fitted on seed 1). */
  seed?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** One compared transfer (a flow of a case). */
export interface CheckRow {
  case: string;
  kind: CheckCase['kind'];
  path: PathSetting;
  /** Payload bytes (without the 8-byte header). */
  bytes: number;
  /** Measured seconds per run. */
  measured: number[];
  /** Model seconds per run (identical runs for lossless paths). */
  model: number[];
  /** Relative error the verdict uses (model/measured − 1; median over runs). */
  error: number;
  /** The largest per-run |model/measured − 1| (paired runs; for lossless rows, against each run). */
  worst: number;
  /** Allowed |error|, or null when the row is informational. */
  target: number | null;
  pass: boolean;
  /** The per-link FIFO model's prediction, for comparison (lossless lone flows only). */
  fifo: number | null;
}

/** The whole check. */
export interface CheckReport {
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
  congestionControl: CongestionControl;
  /** How the congestion control was pinned (`sysctl` or per-route `congctl`). */
  pinnedBy?: string;
  rows: CheckRow[];
  wallSeconds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Why this machine cannot run the check, or null when it can. */
export function probeEnvironment(): string | null {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (network namespaces, tc, TUN devices)';
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['tc', ['-V']],
    ['cc', ['--version']],
    ['ss', ['-V']],
  ] as const) {
    if (!has(cmd, [...args])) return `needs \`${cmd}\` on the PATH`;
  }
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  const ns = `swprobe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe', timeout: 5000 });
  } catch (err) {
    return `network namespaces are not permitted here: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    if (existsSync(`/run/netns/${ns}`)) has('ip', ['netns', 'del', ns]);
  }
  return null;
}

/** The compiled endpoint script: next to this module, or under dist/ when running from src/. */
export function endpointScript(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'endpoint.js'), resolve(here, '../../dist/netcheck/endpoint.js')];
  return candidates.find((c) => existsSync(c)) ?? null;
}

function skipped(reason: string, cc: CongestionControl, t0: number): CheckReport {
  return { status: 'skipped', reason, congestionControl: cc, rows: [], wallSeconds: process.uptime() - t0 };
}

/**
 * Runs the check. Every loop is bounded (cases × runs), every process has a timeout, and every
 * namespace is deleted afterwards, also on failure.
 * @example const report = await runNetworkCheck({ cases: quickCases() });
 */
export async function runNetworkCheck(options: CheckOptions): Promise<CheckReport> {
  const t0 = process.uptime();
  const cc = options.congestionControl ?? 'cubic';
  const seed = options.seed ?? 2;
  const log = options.log ?? ((): void => {});
  const why = probeEnvironment();
  if (why !== null) return skipped(why, cc, t0);
  const endpoint = endpointScript();
  if (endpoint === null) return skipped('the endpoint script is not built (run `npm run build`)', cc, t0);

  const work = mkdtempSync(join(tmpdir(), 'splitwire-netcheck-'));
  const beds: Testbed[] = [];
  const closeAll = (): void => beds.forEach((b) => b.close());
  const onSignal = (): void => {
    closeAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows: CheckRow[] = [];
  let pinnedBy: string | undefined;
  try {
    const line = join(work, 'delayline');
    writeFileSync(`${line}.c`, DELAY_LINE_C);
    execFileSync('cc', ['-O2', '-Wall', '-o', line, `${line}.c`, '-lm'], { stdio: 'pipe', timeout: 60_000 });
    const realtime = has('chrt', ['-f', '10', 'true']) ? ['chrt', '-f', '10'] : [];
    const lineCmd = realtime.length > 0 ? join(work, 'delayline-rt') : line;
    if (realtime.length > 0) writeFileSync(lineCmd, `#!/bin/sh\nexec ${realtime.join(' ')} '${line}' "$@"\n`, { mode: 0o755 });

    const byPath = new Map<string, CheckCase[]>();
    for (const c of options.cases) {
      const key = `${c.path.rateMbps}/${c.path.delayMs}/${c.path.loss}`;
      byPath.set(key, [...(byPath.get(key) ?? []), c]);
    }
    let port = 20_000;
    let index = 0;
    for (const group of byPath.values()) {
      const path = (group[0] as CheckCase).path;
      const bdpBytes = (path.rateMbps * 1e6 * 2 * (path.delayMs / 1000)) / 8;
      const bed = await Testbed.create({
        index: index++,
        rateMbps: path.rateMbps,
        delayMs: path.delayMs,
        loss: path.loss,
        congestionControl: cc,
        // A queue of a few bandwidth-delay products: the model assumes a saturated link never idles.
        queueBytes: Math.max(300_000, Math.round(4 * bdpBytes)),
        // Three packets or 2 ms of tokens: tbf keeps its rate exactly (with a one-packet bucket,
        // timer lateness is lost) while the first packets barely get ahead of the rate.
        burstBytes: Math.max(4500, Math.round((path.rateMbps * 1e6 * 0.002) / 8)),
        delayLine: lineCmd,
        seed,
      });
      beds.push(bed);
      bed.priority = realtime;
      pinnedBy = bed.pinnedBy;
      for (const c of group) {
        const stream = c.sizes.map((s) => s + MESSAGE_HEADER_BYTES);
        const measured: number[][] = c.sizes.map(() => []);
        const paired: number[][] = c.sizes.map(() => []);
        for (let r = 0; r < c.runs; r++, port++) {
          const timeoutMs = 30_000 + Math.round(20_000 * Math.max(...predictConcurrent({ ...path, loss: 0 }, stream, cc)));
          const res = await bed.transfer(endpoint, c.sizes, timeoutMs, port);
          if (res.congestionControl !== cc) {
            throw new Error(`the kernel used ${res.congestionControl} on the test connection, the model predicts ${cc}`);
          }
          res.flows.forEach((f, i) => {
            measured[i]!.push(f.seconds);
            if (c.kind === 'lossy') paired[i]!.push(predictPaired(path, f.bytes, seed, port, cc));
          });
          log(`${c.name} run ${r + 1}/${c.runs}: ${res.flows.map((f) => f.seconds.toFixed(4)).join(', ')} s`);
        }
        const lossless = c.kind === 'lossy' ? null : predictConcurrent(path, stream, cc);
        const aggregate = c.kind === 'concurrent' && c.judge === 'aggregate';
        c.sizes.forEach((size, i) => {
          const meas = measured[i] as number[];
          const model = lossless !== null ? meas.map(() => lossless[i] as number) : (paired[i] as number[]);
          const error = c.kind === 'lossy' ? median(meas.map((m, r) => (model[r] as number) / m - 1)) : (model[0] as number) / median(meas) - 1;
          const target = (c.kind === 'single' && size < SINGLE_TARGET_MIN_BYTES) || aggregate ? null : TARGETS[c.kind];
          rows.push({
            case: c.name,
            kind: c.kind,
            path,
            bytes: size,
            measured: meas,
            model,
            error,
            worst: Math.max(...meas.map((m, r) => Math.abs((model[r] as number) / m - 1))),
            target,
            pass: target === null || Math.abs(error) <= target,
            fifo: c.kind === 'single' ? predictFifo(path, stream[i] as number) : null,
          });
        });
        if (aggregate && lossless !== null) {
          // When the bottleneck has moved every flow: the last completion of each run.
          const last = measured[0]!.map((_, r) => Math.max(...measured.map((m) => m[r] as number)));
          const model = Math.max(...lossless);
          const error = model / median(last) - 1;
          rows.push({
            case: `${c.name}, all done`,
            kind: c.kind,
            path,
            bytes: c.sizes.reduce((a, b) => a + b, 0),
            measured: last,
            model: last.map(() => model),
            error,
            worst: Math.max(...last.map((m) => Math.abs(model / m - 1))),
            target: TARGETS.concurrent,
            pass: Math.abs(error) <= TARGETS.concurrent,
            fifo: null,
          });
        }
      }
      bed.close();
    }
  } finally {
    closeAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(work, { recursive: true, force: true });
  }
  const status = rows.every((r) => r.pass) ? 'passed' : 'failed';
  const report: CheckReport = { status, congestionControl: cc, rows, wallSeconds: process.uptime() - t0 };
  if (pinnedBy !== undefined) report.pinnedBy = pinnedBy;
  return report;
}
