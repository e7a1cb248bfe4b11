/**
 * A site's end of a pilot connection: WebSocket over TLS with the site's certificate. After
 * connecting it waits for the server's `welcome` (which says the last frame seq the server
 * accepted from this site, so a rejoining process continues after it) before sending.
 */
import WebSocket from 'ws';
import { DEFAULT_LIMITS, FrameReceiver, FrameSender, maxFrameBytes, type ChannelLimits, type Envelope } from './channel.js';

export interface WireClientOptions {
  /** `https://HOST:PORT` or `wss://HOST:PORT`. */
  url: string;
  site: number;
  ca: string;
  cert: string;
  key: string;
  limits?: Partial<ChannelLimits>;
  nowMs: () => number;
}

/** The `welcome` meta: what the server tells a site when it is admitted. */
export interface Welcome {
  /** Last frame seq the server accepted from this site. */
  lastSeq: number;
  /** Server clock (ms since the Unix epoch) when it sent the welcome. */
  serverEpochMs: number;
}

/** `https://h:p` → `wss://h:p/site/K`. */
export function siteUrl(url: string, site: number): string {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'wss:') throw new Error(`--server: must be https://HOST:PORT or wss://HOST:PORT, got ${url}`);
  u.protocol = 'wss:';
  u.pathname = `/site/${site}`;
  return u.toString();
}

export class WireClient {
  private ws: WebSocket | null = null;
  private sender: FrameSender | null = null;
  private readonly limits: ChannelLimits;
  private readonly receiver: FrameReceiver;
  onMessage: (e: Envelope) => void = () => undefined;
  onClose: (code: number) => void = () => undefined;

  constructor(private readonly o: WireClientOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...(o.limits ?? {}) };
    this.receiver = new FrameReceiver({ from: new Set(['server', 'federator']), to: new Set([`client-${o.site}`]) }, this.limits);
  }

  /** Connects and waits for the welcome; rejects if the server refuses or closes first. */
  connect(): Promise<Welcome> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(siteUrl(this.o.url, this.o.site), {
        ca: this.o.ca,
        cert: this.o.cert,
        key: this.o.key,
        minVersion: 'TLSv1.3',
        maxPayload: maxFrameBytes(this.limits),
      });
      this.ws = ws;
      let welcomed = false;
      ws.on('message', (data) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        this.receiver.feed(buf, this.o.nowMs(), (e) => {
          if (!welcomed && e.kind === 'welcome') {
            welcomed = true;
            const w = e.meta as Welcome;
            this.sender = new FrameSender(ws, this.limits, w.lastSeq + 1);
            resolve(w);
            return;
          }
          if (welcomed) this.onMessage(e);
        });
      });
      ws.on('error', (err) => {
        if (!welcomed) reject(err);
      });
      ws.on('close', (code) => {
        this.sender = null;
        if (!welcomed) reject(new Error(`server closed the connection (${code}) before welcoming site ${this.o.site}`));
        else this.onClose(code);
      });
    });
  }

  /** Sends `e`; false if not connected. */
  send(e: Envelope): Promise<boolean> {
    return this.sender === null ? Promise.resolve(false) : this.sender.send(e);
  }

  /** The raw socket (tests send hand-made frames through it). */
  socket(): WebSocket | null {
    return this.ws;
  }

  close(): void {
    this.ws?.close(1000, 'bye');
  }
}
