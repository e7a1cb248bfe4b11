/**
 * `splitwire serve`, `splitwire join` and `splitwire pilot`: the simulator's actors run for
 * real, over mutual-TLS WebSockets between separate processes (docs/pilot.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadScenario, parseOverride } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { makeCerts } from '../pilot/certs.js';
import { runServe } from '../pilot/serveNode.js';
import { runJoin } from '../pilot/joinNode.js';
import { SHAPED_SERVER_ADDRESS, ShapedLinks, shapingMissing } from '../pilot/shapedLinks.js';
import { clientLinks } from '../scenario/resolveNetwork.js';
import { formatBytes } from './format.js';
import type { Io } from './io.js';

const COMMON = `  --set a.b=value   override any scenario field (repeatable); give every process the same ones
  --seed N          override the scenario seed
  --backend NAME    compute backend of this process
  -h, --help        this text
`;

export const SERVE_HELP = `Usage: splitwire serve <scenario.yaml> --listen HOST:PORT --certs DIR [options]

Runs the split server and the federator of a pilot; sites join with 'splitwire join'.
Round 1 starts when every site has joined. Writes DIR/traffic.ndjson and DIR/summary.json
with measured times (seconds since round 1 started).

Options:
  --listen HOST:PORT  address to listen on (port 0: any free port, printed)
  --certs DIR         folder with ca.pem, server.pem, server.key ('splitwire certs')
  --out DIR           output folder (default: runs/<scenario name>-pilot)
  --wait-s N          seconds to wait for every site (default 600)
${COMMON}`;

export const JOIN_HELP = `Usage: splitwire join <scenario.yaml> --server https://HOST:PORT --site K --cert F --key F --ca F [options]

Runs client K of a pilot (the same scenario file and --set options as the server).

Options:
  --server URL      https://HOST:PORT or wss://HOST:PORT
  --site K          this site's index (its certificate must be site-K's)
  --cert F --key F  this site's certificate and key; --ca F the pilot CA
${COMMON}`;

export const PILOT_HELP = `Usage: splitwire pilot <scenario.yaml> [--out DIR] [options]

Runs a whole pilot on this machine: a private CA in DIR/certs, the server and every client
as separate processes over mutual-TLS WebSockets, traffic.ndjson and summary.json with
measured times in DIR. Without --shape the links are plain loopback (127.0.0.1), so compare
bytes with 'splitwire compare', not times. With --shape (root: network namespaces, tc, TUN)
each site runs in its own network namespace, its uplink and downlink shaped as the
scenario's network section says (rate by tc tbf; latency, jitter and loss by a user-space
delay line), so round times compare too; every namespace is removed on exit or Ctrl-C.

Options:
  --out DIR         output folder (default: runs/<scenario name>-pilot)
  --shape           shape each site's links from the scenario (needs root)
${COMMON}`;

function overridesOf(values: { set?: string[] | undefined; seed?: string | undefined; backend?: string | undefined }): string[] {
  const sets = [...(values.set ?? [])];
  if (values.seed !== undefined) sets.push(`seed=${values.seed}`);
  if (values.backend !== undefined) sets.push(`compute.backend=${values.backend}`);
  return sets;
}

async function scenarioOf(file: string | undefined, sets: string[]): Promise<Scenario> {
  if (file === undefined) throw new Error('expected one scenario file');
  const s = await loadScenario(file, sets.map(parseOverride));
  // A client process mirrors the global from full weights.down buffers (pilotNode).
  if (s.protocol.weightBits !== 32) throw new Error(`protocol.weightBits: must be 32 in a pilot (weight deltas run in simulation only), got ${s.protocol.weightBits}`);
  return s;
}

const COMMON_OPTS = {
  set: { type: 'string', multiple: true },
  seed: { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `splitwire serve`. */
export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON_OPTS, listen: { type: 'string' }, certs: { type: 'string' }, out: { type: 'string' }, 'wait-s': { type: 'string' }, links: { type: 'string' } },
  });
  if (values.help) return io.stdout(SERVE_HELP), 0;
  const m = /^(.+):(\d+)$/.exec(values.listen ?? '');
  if (m === null || values.certs === undefined || positionals.length !== 1) {
    io.stderr(`splitwire serve: one scenario, --listen HOST:PORT and --certs DIR are required\n\n${SERVE_HELP}`);
    return 2;
  }
  const s = await scenarioOf(positionals[0], overridesOf(values));
  const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  const outDir = values.out ?? join('runs', `${s.name}-pilot`);
  const summary = await runServe(s, {
    host,
    port: Number(m[2]),
    certs: values.certs,
    outDir,
    ...(values['wait-s'] !== undefined ? { waitS: Number(values['wait-s']) } : {}),
    ...(values.links !== undefined ? { links: values.links } : {}),
    onListening: (port) => io.stdout(`listening ${host}:${port}\n`),
    log: (l) => io.stderr(`serve: ${l}\n`),
  });
  const t = summary.totals;
  io.stdout(`pilot finished: ${summary.rounds.length} rounds, measured ${summary.simulatedSeconds.toFixed(2)} s, all traffic ${formatBytes(t.allWireBytes)}; files ${outDir}/{summary.json,traffic.ndjson}\n`);
  return 0;
}

/** `splitwire join`. */
export async function joinCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON_OPTS, server: { type: 'string' }, site: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' } },
  });
  if (values.help) return io.stdout(JOIN_HELP), 0;
  if (values.server === undefined || values.site === undefined || values.cert === undefined || values.key === undefined || values.ca === undefined || positionals.length !== 1) {
    io.stderr(`splitwire join: one scenario and --server, --site, --cert, --key, --ca are required\n\n${JOIN_HELP}`);
    return 2;
  }
  const s = await scenarioOf(positionals[0], overridesOf(values));
  const n = await runJoin(s, {
    server: values.server,
    site: Number(values.site),
    ca: readFileSync(values.ca, 'utf8'),
    cert: readFileSync(values.cert, 'utf8'),
    key: readFileSync(values.key, 'utf8'),
    log: (l) => io.stderr(`join: ${l}\n`),
  });
  io.stderr(`join: site ${values.site} done, ${n} messages received\n`);
  return 0;
}

function pipeLines(child: ChildProcess, prefix: string, io: Io, onLine?: (l: string) => void): void {
  for (const [stream, out] of [
    [child.stdout, (t: string) => io.stderr(t)],
    [child.stderr, (t: string) => io.stderr(t)],
  ] as const) {
    let rest = '';
    stream?.on('data', (d: Buffer) => {
      const lines = (rest + d.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        onLine?.(l);
        out(`[${prefix}] ${l}\n`);
      }
    });
  }
}

const exited = (c: ChildProcess): Promise<number> => new Promise((resolve) => c.on('exit', (code) => resolve(code ?? 1)));

/** `splitwire pilot`: certificates, one server and every client as processes on this machine. */
export async function pilotCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON_OPTS, out: { type: 'string' }, shape: { type: 'boolean' } } });
  if (values.help) return io.stdout(PILOT_HELP), 0;
  if (positionals.length !== 1) {
    io.stderr(`splitwire pilot: expected one scenario file, got ${positionals.length}\n\n${PILOT_HELP}`);
    return 2;
  }
  const file = positionals[0] as string;
  const sets = overridesOf(values);
  const s = await scenarioOf(file, sets);
  const outDir = values.out ?? join('runs', `${s.name}-pilot`);
  let net: ShapedLinks | null = null;
  if (values.shape === true) {
    const why = shapingMissing();
    if (why !== null) {
      io.stderr(`splitwire pilot --shape: cannot shape links on this machine: ${why}\n`);
      return 2;
    }
    const links = Array.from({ length: s.protocol.clients }, (_, k) => clientLinks(s, k));
    try {
      net = await ShapedLinks.create(links, { seed: s.seed, log: (l) => io.stderr(`  shape: ${l}\n`) });
    } catch (err) {
      io.stderr(`splitwire pilot --shape: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
  }
  const children: ChildProcess[] = [];
  const cleanup = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    net?.close();
  };
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', cleanup);
  try {
    return await runPilot(file, sets, s, outDir, net, children, io);
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanup);
  }
}

async function runPilot(file: string, sets: string[], s: Scenario, outDir: string, net: ShapedLinks | null, children: ChildProcess[], io: Io): Promise<number> {
  const certs = join(outDir, 'certs');
  makeCerts(certs, s.protocol.clients, net === null ? {} : { serverNames: [SHAPED_SERVER_ADDRESS] });
  let links = 'plain loopback (127.0.0.1), not shaped: network namespaces and tc are not used (--shape uses them), so only bytes compare with a simulation';
  if (net !== null) {
    links = net.describe();
    if (s.network.server !== undefined || s.network.federator !== undefined) links += '; the server and federator access links (network.server, network.federator) are not shaped';
  }
  io.stderr(`splitwire pilot: ${s.name} — ${s.protocol.clients} sites, ${s.protocol.rounds} rounds, codec ${s.codec.name}, seed ${s.seed}\n  links: ${links}\n`);
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const setArgs = sets.flatMap((x) => ['--set', x]);
  // In a shaped pilot every process runs inside its namespace (`ip netns exec` execs node itself).
  const launch = (ns: string | null, args: string[]): ChildProcess =>
    ns === null
      ? spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('ip', ['netns', 'exec', ns, process.execPath, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = net === null ? '127.0.0.1' : SHAPED_SERVER_ADDRESS;
  const server = launch(net?.serverNs ?? null, ['serve', file, '--listen', `${host}:0`, '--certs', certs, '--out', outDir, '--links', links, ...setArgs]);
  children.push(server);
  const serverExit = exited(server);
  const port = await new Promise<number | null>((resolve) => {
    pipeLines(server, 'server', io, (l) => {
      const m = /^listening .*:(\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    void serverExit.then(() => resolve(null));
  });
  if (port === null) {
    io.stderr('splitwire pilot: the server exited before listening\n');
    return 1;
  }
  const clients: ChildProcess[] = [];
  for (let k = 0; k < s.protocol.clients; k++) {
    const c = launch(net?.sites[k]?.ns ?? null, [
      'join',
      file,
      '--server',
      `https://${host}:${port}`,
      '--site',
      String(k),
      '--cert',
      join(certs, `site-${k}.pem`),
      '--key',
      join(certs, `site-${k}.key`),
      '--ca',
      join(certs, 'ca.pem'),
      ...setArgs,
    ]);
    pipeLines(c, `site-${k}`, io);
    clients.push(c);
    children.push(c);
  }
  const clientExits = clients.map(exited);
  const code = await serverExit;
  if (code !== 0) for (const c of clients) c.kill();
  const codes = await Promise.all(clientExits);
  io.stdout(`pilot ${code === 0 && codes.every((c) => c === 0) ? 'finished' : 'FAILED'}: server exit ${code}, sites ${codes.join(' ')}; files ${outDir}/{summary.json,traffic.ndjson}\n  links: ${links}\n  compare with a simulation: splitwire compare SIM_DIR ${outDir}\n`);
  return code === 0 && codes.every((c) => c === 0) ? 0 : 1;
}
