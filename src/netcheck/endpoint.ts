/**
 * The two ends of a kernel check, run as separate Node processes inside the namespaces:
 *
 *   node endpoint.js recv HOST PORT FLOWS       listens, receives FLOWS messages, one per connection
 *   node endpoint.js send HOST PORT SIZE[,SIZE…] opens one connection per size, then writes every
 *                                                message at once
 *
 * A message is an 8-byte header (flow id, payload size; big-endian uint32) then the payload
 * (see endpointProtocol.ts).
 * The sender stamps each message just before its write, the receiver when its last byte has
 * been read; both on CLOCK_MONOTONIC ({@link monotonicNs}), which is shared by every process
 * on the machine. Each prints one JSON line per flow (`start` or `end`, in ns) on stdout.
 * The receiver answers one byte per message so that the sender closes only after delivery.
 * Connections are set up before the clock starts: the check times transfers, not handshakes.
 * The parent bounds each process's life with a spawn timeout.
 */
import { execFileSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { monotonicNs } from '../sim/wallClock.js';
import { MESSAGE_HEADER_BYTES } from './endpointProtocol.js';

function fail(message: string): never {
  process.stderr.write(`endpoint: ${message}\n`);
  process.exit(2);
}

function receive(host: string, port: number, flows: number): void {
  let done = 0;
  const server = createServer({ noDelay: true }, (socket: Socket) => {
    let header: Buffer | null = null;
    let pending: Buffer[] = [];
    let got = 0;
    let expected = -1;
    let flow = -1;
    let first = 0n;
    socket.on('data', (chunk: Buffer) => {
      if (got === 0) first = monotonicNs();
      got += chunk.length;
      if (header === null) {
        pending.push(chunk);
        const all = Buffer.concat(pending);
        if (all.length < MESSAGE_HEADER_BYTES) return;
        header = all.subarray(0, MESSAGE_HEADER_BYTES);
        flow = header.readUInt32BE(0);
        expected = MESSAGE_HEADER_BYTES + header.readUInt32BE(4);
        pending = [];
      }
      if (got === expected) {
        const end = monotonicNs();
        process.stdout.write(`${JSON.stringify({ flow, bytes: expected, first: first.toString(), end: end.toString() })}\n`);
        socket.end(Buffer.from([1]));
        done++;
        if (done === flows) server.close();
      } else if (got > expected) {
        fail(`flow ${flow}: received ${got} bytes, expected ${expected}`);
      }
    });
    socket.on('error', (err) => fail(`receive: ${err.message}`));
  });
  server.on('error', (err) => fail(`listen: ${err.message}`));
  server.listen(port, host, () => process.stdout.write('ready\n'));
}

/** The congestion control the kernel gave this connection, as `ss -ti` reports it. */
function congestionControlOf(local: string): string {
  try {
    const out = execFileSync('ss', ['-tin', 'src', local], { encoding: 'utf8', timeout: 5000 });
    const m = /\b(cubic|reno|bbr|bbr2|dctcp|htcp|vegas|westwood)\b/.exec(out);
    return m ? (m[1] as string) : 'unknown';
  } catch {
    return 'unknown';
  }
}

function sendAll(host: string, port: number, sizes: number[]): void {
  const sockets: Socket[] = [];
  let connected = 0;
  let acked = 0;
  const start = (): void => {
    const s0 = sockets[0] as Socket;
    const cc = congestionControlOf(`${s0.localAddress}:${s0.localPort}`);
    process.stdout.write(`${JSON.stringify({ congestionControl: cc })}\n`);
    const buffers = sizes.map((size, flow) => {
      const b = Buffer.alloc(MESSAGE_HEADER_BYTES + size, flow & 0xff);
      b.writeUInt32BE(flow, 0);
      b.writeUInt32BE(size, 4);
      return b;
    });
    const stamps: bigint[] = [];
    sockets.forEach((s, flow) => {
      stamps[flow] = monotonicNs();
      s.write(buffers[flow] as Buffer);
    });
    stamps.forEach((t, flow) =>
      process.stdout.write(`${JSON.stringify({ flow, bytes: (buffers[flow] as Buffer).length, start: t.toString() })}\n`),
    );
  };
  sizes.forEach(() => {
    const s = connect({ host, port, noDelay: true }, () => {
      connected++;
      if (connected === sizes.length) start();
    });
    s.on('data', () => {
      acked++;
      s.destroy();
      if (acked === sizes.length) process.exit(0);
    });
    s.on('error', (err) => fail(`send: ${err.message}`));
    sockets.push(s);
  });
}

function main(argv: string[]): void {
  const [mode, host, portText, arg] = argv;
  const port = Number(portText);
  if (host === undefined || !Number.isInteger(port) || port <= 0 || arg === undefined) {
    fail('usage: endpoint.js recv HOST PORT FLOWS | send HOST PORT SIZE[,SIZE...]');
  }
  if (mode === 'recv') {
    const flows = Number(arg);
    if (!Number.isInteger(flows) || flows < 1) fail(`FLOWS must be an integer >= 1, got ${arg}`);
    receive(host, port, flows);
  } else if (mode === 'send') {
    const sizes = arg.split(',').map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffffffff)) fail(`bad SIZE list ${arg}`);
    sendAll(host, port, sizes);
  } else {
    fail(`unknown mode ${JSON.stringify(mode)}`);
  }
}

main(process.argv.slice(2));
