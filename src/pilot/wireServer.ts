/**
 * The pilot server's transport: HTTPS + WebSocket (`ws`) with mutual TLS. A site is admitted
 * only with a certificate from the pilot CA whose CN is `site-K` (K < sites); its frames must
 * say they come from `client-K` and go to the server or federator; it receives only frames
 * addressed to `client-K`. Bad frames are counted and ignored, replays ignored, oversize
 * WebSocket messages and silent or half-sent connections closed, all without touching the
 * other sites' connections. Log lines name sites and reasons only, never key material.
 */
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_LIMITS, FrameReceiver, FrameSender, maxFrameBytes, type ChannelLimits, type Envelope, type Verdict } from './channel.js';
import { siteCommonName } from './certs.js';
import { after, every } from '../sim/realClock.js';

export interface WireServerOptions {
  /** PEM text of the CA, the server certificate and its key. */
  ca: string;
  cert: string;
  key: string;
  /** Sites 0..sites-1 may join. */
  sites: number;
  host: string;
  port: number;
  limits?: Partial<ChannelLimits>;
  /** A site that answers no ping within this many ms is closed (slow or dead peer). */
  pingMs?: number;
  /** A message half received for longer than this is dropped with its connection (slow loris). */
  messageTimeoutMs?: number;
  /** TLS handshake and HTTP upgrade must finish within this many ms. */
  handshakeMs?: number;
  /** Bad frames tolerated per connection before it is closed. */
  maxBadFrames?: number;
  /** Where log lines go. */
  log?: (line: string) => void;
  /** Milliseconds on the caller's clock (for timeouts). */
  nowMs: () => number;
  /** Now, in ms since the Unix epoch (sent in each welcome, for the site's clock offset). */
  epochMs?: () => number;
}

interface Site {
  k: number;
  ws: WebSocket | null;
  receiver: FrameReceiver;
  /** Next seq of frames the server sends this site (continues across reconnections). */
  outSeq: number;
  sender: FrameSender | null;
  bad: number;
  alive: boolean;
}

/** Counts of what the server did with incoming frames, by verdict. */
export type WireStats = Record<string, number>;

export class WireServer {
  private readonly https: Server;
  private readonly wss: WebSocketServer;
  private readonly sites = new Map<number, Site>();
  private readonly limits: ChannelLimits;
  private readonly stopSweep: () => void;
  readonly stats: WireStats = {};
  /** Called with each whole message from a site (already checked for identity and routing). */
  onMessage: (k: number, e: Envelope) => void = () => undefined;
  /** Called when site k connects (true) or its connection ends (false). */
  onPresence: (k: number, connected: boolean) => void = () => undefined;

  constructor(private readonly o: WireServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...(o.limits ?? {}) };
    const handshakeMs = o.handshakeMs ?? 10_000;
    this.https = createServer({
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      handshakeTimeout: handshakeMs,
      headersTimeout: handshakeMs,
      requestTimeout: handshakeMs,
      connectionsCheckingInterval: Math.min(1000, handshakeMs),
    });
    this.https.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('splitwire pilot: WebSocket only\n');
    });
    this.https.on('tlsClientError', (err) => this.log(`refused a TLS connection: ${err.message.split('\n')[0] ?? ''}`));
    // Slow loris: a connection that has not finished its upgrade request in time is cut.
    const upgraded = new WeakSet<object>();
    this.https.on('secureConnection', (sock: TLSSocket) => {
      const cancel = after(handshakeMs / 1000, () => {
        if (upgraded.has(sock)) return;
        this.count('timeout');
        this.log('cut a connection that did not finish its upgrade in time');
        sock.destroy();
      }, { unref: true });
      sock.once('close', cancel);
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes(this.limits) });
    this.https.on('upgrade', (req, socket, head) => {
      const tls = socket as TLSSocket;
      upgraded.add(tls);
      const cn = tls.authorized ? tls.getPeerCertificate().subject?.CN : undefined;
      const m = typeof cn === 'string' ? /^site-(\d+)$/.exec(cn) : null;
      const k = m ? Number(m[1]) : -1;
      const pathSite = /^\/site\/(\d+)$/.exec(req.url ?? '');
      if (k < 0 || k >= o.sites || cn !== siteCommonName(k) || (pathSite !== null && Number(pathSite[1]) !== k)) {
        this.count('refused');
        this.log(`refused an upgrade: certificate ${k < 0 ? 'names no site' : `of site ${k} does not match`}`);
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.admit(k, ws));
    });
    const pingMs = o.pingMs ?? 10_000;
    const messageTimeoutMs = o.messageTimeoutMs ?? 60_000;
    this.stopSweep = every(pingMs, () => this.sweep(messageTimeoutMs));
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.https.once('error', reject);
      this.https.listen(this.o.port, this.o.host, () => resolve((this.https.address() as AddressInfo).port));
    });
  }

  private log(line: string): void {
    this.o.log?.(`wire: ${line}`);
  }

  private count(v: string): void {
    this.stats[v] = (this.stats[v] ?? 0) + 1;
  }

  private site(k: number): Site {
    let s = this.sites.get(k);
    if (s === undefined) {
      const peers = { from: new Set([`client-${k}`]), to: new Set(['server', 'federator']) };
      s = { k, ws: null, receiver: new FrameReceiver(peers, this.limits), outSeq: 1, sender: null, bad: 0, alive: true };
      this.sites.set(k, s);
    }
    return s;
  }

  private admit(k: number, ws: WebSocket): void {
    const s = this.site(k);
    if (s.ws !== null) {
      this.log(`site ${k} connected again: closing its previous connection`);
      s.ws.close(4000, 'replaced');
      this.detach(s);
    }
    s.ws = ws;
    s.bad = 0;
    s.alive = true;
    s.sender = new FrameSender(ws, this.limits, s.outSeq);
    this.count('admitted');
    this.log(`site ${k} joined`);
    const welcome = { lastSeq: s.receiver.lastSeq, serverEpochMs: this.o.epochMs?.() ?? 0 };
    void s.sender.send({ from: 'server', to: `client-${k}`, kind: 'welcome', round: -1, step: -1, t: 0, meta: welcome, payload: new Uint8Array(0) });
    ws.on('pong', () => {
      s.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      if (s.ws !== ws) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const v: Verdict = isBinary ? s.receiver.feed(buf, this.o.nowMs(), (e) => this.onMessage(k, e)) : 'magic';
      this.count(v);
      if (v === 'ok' || v === 'partial') return;
      if (v === 'impostor' || v === 'misrouted') {
        this.log(`site ${k} sent a frame as ${v === 'impostor' ? 'another sender' : 'to another receiver'}: closing it`);
        ws.close(1008, v);
        return;
      }
      if (v !== 'replay') s.bad += 1;
      if (s.bad > (this.o.maxBadFrames ?? 1000)) {
        this.log(`site ${k} sent more than ${this.o.maxBadFrames ?? 1000} bad frames: closing it`);
        ws.close(1008, 'bad frames');
      }
    });
    ws.on('error', (err) => this.log(`site ${k}: ${err.message}`));
    ws.on('close', () => {
      if (s.ws === ws) {
        this.detach(s);
        this.log(`site ${k} left`);
        this.onPresence(k, false);
      }
    });
    this.onPresence(k, true);
  }

  private detach(s: Site): void {
    if (s.sender !== null) s.outSeq = s.sender.nextSeq;
    s.sender = null;
    s.ws = null;
  }

  /** Heartbeat and half-message deadline: closes dead peers and slow senders. */
  private sweep(messageTimeoutMs: number): void {
    const now = this.o.nowMs();
    for (const s of this.sites.values()) {
      const ws = s.ws;
      if (ws === null) continue;
      const since = s.receiver.partialSince();
      if (!s.alive || (since !== null && now - since > messageTimeoutMs)) {
        this.count('timeout');
        this.log(`site ${s.k} ${s.alive ? 'left a message half sent' : 'answered no ping'}: closing it`);
        ws.terminate();
        continue;
      }
      s.alive = false;
      ws.ping();
    }
  }

  /** Whether site k is connected now. */
  connected(k: number): boolean {
    return this.sites.get(k)?.ws != null;
  }

  /** The seq of the last frame accepted from site k (0 if none). */
  lastSeqFrom(k: number): number {
    return this.sites.get(k)?.receiver.lastSeq ?? 0;
  }

  /** Sends `e` to site k; false if k is not connected or its connection closed meanwhile. */
  send(k: number, e: Envelope): Promise<boolean> {
    const s = this.sites.get(k);
    if (s?.sender == null) return Promise.resolve(false);
    return s.sender.send(e);
  }

  async close(): Promise<void> {
    this.stopSweep();
    for (const s of this.sites.values()) s.ws?.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.https.close(() => resolve()));
    this.https.closeAllConnections?.();
  }
}
