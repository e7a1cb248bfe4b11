/**
 * Shaped links for a pilot on one machine: each site in its own network namespace, its uplink
 * and downlink shaped as the scenario's resolved links say (src/scenario/resolveNetwork.ts).
 *
 * ```
 * site k (ns C_k)          router k (ns R_k)                                   server (ns S)
 * node join ── veth ────── veth ─ tbf uplink ─→ tun ─┐                         10.203.0.1 on lo
 *              ←─ tbf downlink ─ veth                  delay line (user space): ─→ tun_k ── node serve
 *                                                 tun ←┘ one-way latency, jitter,  ←──
 *                                                        loss, each direction
 * ```
 *
 * - **Rate**: `tc tbf` on the router's egress in each direction (a router queue, not the
 *   sender's own qdisc, where TCP Small Queues would pace the sender instead), with a peak
 *   rate 1 % above it so a bucket filled while idle does not send a burst at line rate.
 * - **Latency, jitter, loss**: this kernel has no `netem`, so the user-space delay line of the
 *   network check (src/netcheck/delayLineSource.ts) carries packets between a TUN device in the
 *   router and one in the server's namespace: each packet waits the one-way latency plus
 *   `|N(0, jitter)|` (FIFO kept), and TCP data segments are dropped with the link's loss rate.
 *   TCP itself (its retransmissions, its congestion control) is the kernel's.
 *
 * Names are unique per run (`sw<tag>s`, `sw<tag>c<k>`, `sw<tag>r<k>`); {@link ShapedLinks.close}
 * kills the delay lines and deletes every namespace (safe to call twice, synchronous so it can
 * run in an `exit` handler).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DELAY_LINE_C } from '../netcheck/delayLineSource.js';
import type { ClientLinks } from '../scenario/resolveNetwork.js';
import type { LinkConfig } from '../scenario/schema.js';
import { after } from '../sim/realClock.js';

/** Address of the server inside its namespace, the same for every site. */
export const SHAPED_SERVER_ADDRESS = '10.203.0.1';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function works(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * What this machine lacks for shaped links, or null when it has it all: root (CAP_NET_ADMIN),
 * `ip`, `tc` with `tbf`, `cc` (to build the delay line), `/dev/net/tun`, network namespaces.
 */
export function shapingMissing(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN: network namespaces, tc, TUN devices); run as root or without --shape';
  }
  for (const [cmd, args, pkg] of [
    ['ip', ['-V'], 'iproute2'],
    ['tc', ['-V'], 'iproute2'],
    ['cc', ['--version'], 'gcc'],
  ] as const) {
    if (!works(cmd, [...args])) return `needs \`${cmd}\` on the PATH (Debian package ${pkg})`;
  }
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun (TUN devices)';
  const ns = `swprobe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe', timeout: 5000 });
    execFileSync('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1mbit', 'burst', '4500', 'limit', '30000'], { stdio: 'pipe', timeout: 5000 });
  } catch (err) {
    const first = (err as { stderr?: Buffer }).stderr?.toString().split('\n')[0] ?? (err as Error).message.split('\n')[0];
    return `network namespaces or tc tbf are refused here (ip netns add / tc qdisc add … tbf: ${first})`;
  } finally {
    if (existsSync(`/run/netns/${ns}`)) works('ip', ['netns', 'del', ns]);
  }
  return null;
}

/**
 * Why `links` cannot be shaped, as `path: must be …, got …` lines (empty: they can). Traces
 * and bursty loss are simulator-only; everything else maps onto tbf and the delay line.
 */
export function unshapeableLinks(links: ClientLinks[]): string[] {
  const out: string[] = [];
  links.forEach((l, k) => {
    for (const dir of ['uplink', 'downlink'] as const) {
      const c: LinkConfig = l[dir];
      const at = `network links[${k}].${dir}`;
      if (c.bandwidthTrace !== undefined) out.push(`${at}.bandwidthTrace: must be absent in a shaped pilot (a fixed bandwidthMbps is shaped), got a trace`);
      if (c.latencyTrace !== undefined) out.push(`${at}.latencyTrace: must be absent in a shaped pilot (a fixed latencyMs is shaped), got a trace`);
      if (c.burstLength !== undefined && c.burstLength !== 1) out.push(`${at}.burstLength: must be absent or 1 in a shaped pilot (independent loss only), got ${c.burstLength}`);
    }
  });
  return out;
}

/** One link direction as text, e.g. `5 Mbit/s, 40 ms ± 10 ms, loss 0.5 %`. */
export function describeLink(c: LinkConfig): string {
  return `${c.bandwidthMbps} Mbit/s, ${c.latencyMs} ms${c.jitterMs > 0 ? ` ± ${c.jitterMs} ms` : ''}, loss ${+(c.loss * 100).toFixed(3)} %`;
}

/** Where one site lives. */
export interface ShapedSite {
  /** The site's namespace (run its process with `ip netns exec NS …`). */
  ns: string;
}

/** Options of {@link ShapedLinks.create}. */
export interface ShapedLinksOptions {
  /** Seed of the delay lines' loss and jitter draws. */
  seed: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Per-site namespaces with shaped links to a server namespace. */
export class ShapedLinks {
  /** The server's namespace. */
  readonly serverNs: string;
  readonly sites: ShapedSite[];
  private readonly routers: string[];
  private readonly lines: ChildProcess[] = [];
  private work: string | null = null;
  private closed = false;

  private constructor(readonly links: ClientLinks[]) {
    const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
    this.serverNs = `sw${tag}s`;
    this.sites = links.map((_, k) => ({ ns: `sw${tag}c${k}` }));
    this.routers = links.map((_, k) => `sw${tag}r${k}`);
  }

  /** Builds namespaces, devices, shaping and delay lines; on failure removes what it made and throws. */
  static async create(links: ClientLinks[], o: ShapedLinksOptions): Promise<ShapedLinks> {
    if (links.length > 250) throw new Error(`protocol.clients: must be at most 250 in a shaped pilot, got ${links.length}`);
    const problems = unshapeableLinks(links);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    const net = new ShapedLinks(links);
    try {
      await net.build(o);
      return net;
    } catch (err) {
      net.close();
      throw err;
    }
  }

  /** The links as one line per site, for logs and summary.json. */
  describe(): string {
    const per = this.links.map((l, k) => `site ${k}: up ${describeLink(l.uplink)}; down ${describeLink(l.downlink)}`);
    return `shaped: one network namespace per site, tc tbf rate at a router namespace, latency/jitter/loss by a user-space delay line (TUN), kernel TCP; ${per.join(' | ')}`;
  }

  private async build(o: ShapedLinksOptions): Promise<void> {
    this.work = mkdtempSync(join(tmpdir(), 'splitwire-shape-'));
    const line = join(this.work, 'delayline');
    writeFileSync(`${line}.c`, DELAY_LINE_C);
    execFileSync('cc', ['-O2', '-Wall', '-o', line, `${line}.c`, '-lm'], { stdio: 'pipe', timeout: 60_000 });
    const realtime = works('chrt', ['-f', '10', 'true']) ? ['chrt', '-f', '10'] : [];
    const S = this.serverNs;
    run('ip', ['netns', 'add', S]);
    run('ip', ['-n', S, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', S, 'addr', 'add', `${SHAPED_SERVER_ADDRESS}/32`, 'dev', 'lo']);
    for (let k = 0; k < this.links.length; k++) {
      const C = (this.sites[k] as ShapedSite).ns;
      const R = this.routers[k] as string;
      const l = this.links[k] as ClientLinks;
      for (const ns of [C, R]) {
        run('ip', ['netns', 'add', ns]);
        run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      }
      // Site ↔ router: a veth pair; 10.201.k.1 (site) / 10.201.k.2 (router).
      run('ip', ['-n', C, 'link', 'add', 'swveth', 'type', 'veth', 'peer', 'name', 'swveth', 'netns', R]);
      run('ip', ['-n', C, 'addr', 'add', `10.201.${k}.1/30`, 'dev', 'swveth']);
      run('ip', ['-n', R, 'addr', 'add', `10.201.${k}.2/30`, 'dev', 'swveth']);
      // Router ↔ server: a TUN device on each side, the delay line between them.
      run('ip', ['-n', R, 'tuntap', 'add', 'dev', 'swtun', 'mode', 'tun']);
      run('ip', ['-n', R, 'addr', 'add', `10.202.${k}.1/32`, 'peer', `10.202.${k}.2/32`, 'dev', 'swtun']);
      run('ip', ['-n', S, 'tuntap', 'add', 'dev', `swt${k}`, 'mode', 'tun']);
      run('ip', ['-n', S, 'addr', 'add', `10.202.${k}.2/32`, 'peer', `10.202.${k}.1/32`, 'dev', `swt${k}`]);
      for (const [ns, dev] of [
        [C, 'swveth'],
        [R, 'swveth'],
        [R, 'swtun'],
        [S, `swt${k}`],
      ] as const) {
        run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      }
      run('ip', ['netns', 'exec', R, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      run('ip', ['-n', C, 'route', 'add', 'default', 'via', `10.201.${k}.2`, 'dev', 'swveth']);
      run('ip', ['-n', R, 'route', 'add', `${SHAPED_SERVER_ADDRESS}/32`, 'dev', 'swtun']);
      run('ip', ['-n', S, 'route', 'add', `10.201.${k}.0/30`, 'dev', `swt${k}`]);
      // Rates: the router's queue in each direction.
      for (const [dev, c] of [
        ['swtun', l.uplink],
        ['swveth', l.downlink],
      ] as const) {
        const bits = Math.round(c.bandwidthMbps * 1e6);
        const burst = Math.max(3 * 1514, Math.round((bits / 8) * 0.002));
        const queue = Math.max(300_000, Math.round(4 * (bits / 8) * ((2 * c.latencyMs) / 1000)));
        // peakrate (1 % over the rate, one packet per bucket) keeps the idle bucket from sending a
        // burst at line rate: a link of this bandwidth never carries bytes faster than it.
        const peak = Math.round(bits * 1.01);
        run('tc', ['-n', R, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${bits}bit`, 'burst', String(burst), 'limit', String(queue), 'peakrate', `${peak}bit`, 'mtu', '1514']);
      }
      const us = (ms: number): string => String(Math.round(ms * 1000));
      const child = await spawnReady(realtime.length > 0 ? (realtime[0] as string) : line, [
        ...realtime.slice(1),
        ...(realtime.length > 0 ? [line] : []),
        `/run/netns/${R}`,
        'swtun',
        `/run/netns/${S}`,
        `swt${k}`,
        us(l.uplink.latencyMs),
        us(l.downlink.latencyMs),
        String(l.uplink.loss),
        String(l.downlink.loss),
        String(o.seed * 1000 + k),
        String(7 * 24 * 3600),
        us(l.uplink.jitterMs),
        us(l.downlink.jitterMs),
      ]);
      this.lines.push(child);
      o.log?.(`site ${k}: namespace ${C}, up ${describeLink(l.uplink)}, down ${describeLink(l.downlink)}`);
    }
  }

  /** Kills the delay lines, deletes every namespace and the build folder; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.lines) {
      if (l.exitCode === null) {
        l.stdin?.end();
        l.kill('SIGKILL');
      }
    }
    for (const ns of [...this.sites.map((s) => s.ns), ...this.routers, this.serverNs]) {
      if (existsSync(`/run/netns/${ns}`)) works('ip', ['netns', 'del', ns]);
    }
    if (this.work !== null) rmSync(this.work, { recursive: true, force: true });
  }
}

/** Spawns the delay line and resolves when it prints `ready`. */
function spawnReady(cmd: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const cancel = after(10, () => {
      child.kill('SIGKILL');
      reject(new Error(`delay line: not ready in 10 s: ${err.trim()}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) {
        cancel();
        resolve(child);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      cancel();
      reject(new Error(`delay line exited (${code}) before ready: ${err.trim()}`));
    });
    child.on('error', reject);
  });
}
