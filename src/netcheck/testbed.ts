/**
 * A two-namespace testbed on this machine, built from the kernel's own parts:
 *
 *   namespace A (sender)                          namespace B (receiver)
 *   TCP → tun A ── tc tbf (rate, queue) ──┐      ┌──→ tun B → TCP
 *                                         delay line (user space: one-way delay, loss A→B)
 *   TCP ← tun A ←─────────────────────────┘      └─── tun B ← TCP (ACKs, unshaped)
 *
 * Traffic stays between the namespaces created here. The congestion control is pinned in both
 * namespaces: first with the namespace's `net.ipv4.tcp_congestion_control` sysctl; a non-initial
 * namespace may only pick algorithms listed in the host's `tcp_allowed_congestion_control`, so
 * when that is refused the testbed pins it per route instead (`ip route … congctl <cc>`, which the
 * kernel applies to every connection on the route) and never touches the host's settings.
 * `close()` deletes the namespaces (and with them the TUN devices and qdiscs).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The link a testbed emulates, from A to B. */
export interface TestbedOptions {
  /** Distinguishes concurrent testbeds' names (namespaces, devices, addresses). */
  index: number;
  /** Bottleneck rate of the A→B direction, Mbit/s (10⁶ bit/s, as tc's `mbit`). */
  rateMbps: number;
  /** One-way delay added in each direction, ms. */
  delayMs: number;
  /** Packet loss probability A→B (data direction; ACKs are not dropped). */
  loss: number;
  /** Pinned congestion control. */
  congestionControl: 'cubic' | 'reno';
  /** tbf queue limit in bytes. */
  queueBytes: number;
  /** tbf bucket in bytes (kept near one MTU so the first packets are not sent at line rate). */
  burstBytes: number;
  /** Compiled delay line. */
  delayLine: string;
  /** Seed of the delay line's loss draws. */
  seed: number;
}

/** One message's measured transfer. */
export interface FlowMeasurement {
  flow: number;
  /** Message bytes on the TCP stream (payload + 8-byte header). */
  bytes: number;
  /** Last byte received − first byte written, seconds. */
  seconds: number;
  /** Last byte received − first byte received, seconds (a diagnostic: the receiver's view). */
  receiveSeconds: number;
}

/** Result of {@link Testbed.transfer}. */
export interface TransferResult {
  flows: FlowMeasurement[];
  /** The congestion control `ss` reported on the sender's connection. */
  congestionControl: string;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Spawns `cmd` and resolves when it prints `ready` (bounded by the spawn timeout). */
function spawnReady(cmd: string, args: string[], timeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('ready\n')) {
        child.stdout?.off('data', onData);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited (${code}) before ready: ${err.trim()}`)));
    child.on('error', reject);
  });
}

/** Collects a child's stdout until it exits; rejects on a non-zero exit. */
function collect(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${what} failed (${signal ?? code}): ${err.trim() || out.trim()}`));
    });
  });
}

/** Two namespaces joined by a shaped TUN pair and a user-space delay line. */
export class Testbed {
  readonly nsA: string;
  readonly nsR: string;
  readonly nsB: string;
  readonly addrA: string;
  readonly addrB: string;
  private line: ChildProcess | null = null;
  private closed = false;
  /** Prefix that runs the endpoints at real-time priority (empty where `chrt` is missing). */
  priority: string[] = [];
  /** How the congestion control was pinned: `sysctl` or `route`. */
  pinnedBy: 'sysctl' | 'route' = 'sysctl';

  private constructor(readonly options: TestbedOptions) {
    const tag = `${process.pid % 100000}x${options.index}`;
    this.nsA = `swA${tag}`;
    this.nsR = `swR${tag}`;
    this.nsB = `swB${tag}`;
    this.addrA = `10.253.${options.index % 250}.1`;
    this.addrB = `10.254.${options.index % 250}.2`;
  }

  /** Builds the namespaces, devices, shaping and delay line. Cleans up on failure. */
  static async create(options: TestbedOptions): Promise<Testbed> {
    const bed = new Testbed(options);
    try {
      await bed.build();
      return bed;
    } catch (err) {
      bed.close();
      throw err;
    }
  }

  private async build(): Promise<void> {
    const o = this.options;
    const { nsA, nsR, nsB } = this;
    const net = `10.253.${o.index % 250}`;
    const p2p = `10.254.${o.index % 250}`;
    for (const ns of [nsA, nsR, nsB]) {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // A ↔ R: a veth pair, unshaped.
    run('ip', ['-n', nsA, 'link', 'add', 'swveth', 'type', 'veth', 'peer', 'name', 'swveth', 'netns', nsR]);
    run('ip', ['-n', nsA, 'addr', 'add', `${net}.1/30`, 'dev', 'swveth']);
    run('ip', ['-n', nsR, 'addr', 'add', `${net}.2/30`, 'dev', 'swveth']);
    // R ↔ B: a TUN device on each side; the delay line carries packets between them.
    for (const [ns, local, peer] of [
      [nsR, `${p2p}.1`, `${p2p}.2`],
      [nsB, `${p2p}.2`, `${p2p}.1`],
    ] as const) {
      run('ip', ['-n', ns, 'tuntap', 'add', 'dev', 'swtun', 'mode', 'tun']);
      run('ip', ['-n', ns, 'addr', 'add', `${local}/32`, 'peer', `${peer}/32`, 'dev', 'swtun']);
    }
    for (const [ns, dev] of [
      [nsA, 'swveth'],
      [nsR, 'swveth'],
      [nsR, 'swtun'],
      [nsB, 'swtun'],
    ] as const) {
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    run('ip', ['netns', 'exec', nsR, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    // The end hosts' routes to each other; `congctl` pins the congestion control if sysctl cannot.
    const routes: [string, string[]][] = [
      [nsA, [`${p2p}.0/24`, 'via', `${net}.2`, 'dev', 'swveth']],
      [nsB, [`${net}.0/30`, 'dev', 'swtun']],
    ];
    for (const [ns, route] of routes) {
      try {
        run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv4.tcp_congestion_control=${o.congestionControl}`]);
        run('ip', ['-n', ns, 'route', 'replace', ...route]);
      } catch {
        this.pinnedBy = 'route';
        run('ip', ['-n', ns, 'route', 'replace', ...route, 'congctl', o.congestionControl]);
      }
    }
    // The bottleneck: R's egress towards B (a router's queue, not the sender's own qdisc, so the
    // sender's TCP Small Queues limit does not interfere).
    const bits = Math.round(o.rateMbps * 1e6);
    run('tc', ['-n', nsR, 'qdisc', 'replace', 'dev', 'swtun', 'root', 'tbf', 'rate', `${bits}bit`, 'burst', `${o.burstBytes}`, 'limit', `${o.queueBytes}`]);
    const delayUs = String(Math.round(o.delayMs * 1000));
    this.line = await spawnReady(
      o.delayLine,
      [`/run/netns/${nsR}`, 'swtun', `/run/netns/${nsB}`, 'swtun', delayUs, delayUs, String(o.loss), '0', String(o.seed), '3600'],
      3_600_000,
    );
  }

  /**
   * Sends one message per size from A to B at the same instant, each on its own fresh
   * connection, and measures each transfer. `endpoint` is the compiled endpoint script.
   */
  async transfer(endpoint: string, sizes: number[], timeoutMs: number, port: number): Promise<TransferResult> {
    const recv = await spawnReady('ip', ['netns', 'exec', this.nsB, ...this.priority, process.execPath, endpoint, 'recv', this.addrB, String(port), String(sizes.length)], timeoutMs);
    const recvOut = collect(recv, 'receiver');
    const send = spawn('ip', ['netns', 'exec', this.nsA, ...this.priority, process.execPath, endpoint, 'send', this.addrB, String(port), sizes.join(',')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const [sendText, recvText] = await Promise.all([collect(send, 'sender'), recvOut]);
    const starts = new Map<number, bigint>();
    let congestionControl = 'unknown';
    for (const l of sendText.split('\n').filter((x) => x.trim() !== '')) {
      const j = JSON.parse(l) as { flow?: number; start?: string; congestionControl?: string };
      if (j.congestionControl !== undefined) congestionControl = j.congestionControl;
      if (j.flow !== undefined && j.start !== undefined) starts.set(j.flow, BigInt(j.start));
    }
    const flows: FlowMeasurement[] = [];
    for (const l of recvText.split('\n').filter((x) => x.trim() !== '' && x.trim() !== 'ready')) {
      const j = JSON.parse(l) as { flow: number; bytes: number; first: string; end: string };
      const s = starts.get(j.flow);
      if (s === undefined) throw new Error(`flow ${j.flow}: the sender reported no start`);
      flows.push({
        flow: j.flow,
        bytes: j.bytes,
        seconds: Number(BigInt(j.end) - s) / 1e9,
        receiveSeconds: Number(BigInt(j.end) - BigInt(j.first)) / 1e9,
      });
    }
    flows.sort((a, b) => a.flow - b.flow);
    if (flows.length !== sizes.length) throw new Error(`expected ${sizes.length} flows, measured ${flows.length}`);
    return { flows, congestionControl };
  }

  /** Stops the delay line and deletes both namespaces; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.line !== null && this.line.exitCode === null) {
      this.line.stdin?.end();
      this.line.kill('SIGKILL');
    }
    for (const ns of [this.nsA, this.nsR, this.nsB]) {
      if (existsSync(`/run/netns/${ns}`)) {
        try {
          run('ip', ['netns', 'del', ns]);
        } catch {
          // best effort: a namespace that is already gone is what we want
        }
      }
    }
  }
}
