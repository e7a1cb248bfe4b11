/**
 * The network: every client's access links, and routing of messages onto them.
 *
 * Each client k has ONE uplink (`client-k/uplink`) and ONE downlink (`client-k/downlink`),
 * its access links, used for all its traffic: messages to the split server and to the
 * federator share them, queueing FIFO behind each other (a client has one last-mile line,
 * whoever is at the other end). Routes:
 *
 *   client-k → server | federator   on client-k/uplink
 *   server | federator → client-k   on client-k/downlink
 *
 * The server side (split server and federator) has infinite capacity in this version. The
 * {@link ServerAccessModel} hook is the seam where its shared access link plugs in: a later
 * model adds flow-level max-min sharing across concurrent transfers (SimGrid LV08, DESIGN §5).
 */
import { Link, type Delivery, type LinkSpec, type LinkStats, type TransmitOptions } from './link.js';
import type { Rng } from './rng.js';

/** One client's access links. */
export interface ClientLinksSpec {
  uplink: LinkSpec;
  downlink: LinkSpec;
}

/** The network section of a scenario. */
export interface NetworkSpec {
  clients: ClientLinksSpec[];
}

/** A message endpoint: the split server, the federator, or client k (`client-0`, `client-1`, …). */
export type Endpoint = 'server' | 'federator' | `client-${number}`;

/**
 * The server side of every transfer. `pass` sees a delivery after it crossed the client's
 * access link (`up`: client → server side, `down`: server side → client) and returns it, possibly
 * delayed. A shared bottleneck implements it; the default is a no-op (infinite capacity).
 */
export interface ServerAccessModel {
  pass(direction: 'up' | 'down', client: number, delivery: Delivery): Delivery;
}

/** Infinite server-side capacity: deliveries pass unchanged. */
export const UNLIMITED_SERVER_ACCESS: ServerAccessModel = Object.freeze({
  pass: (_direction: 'up' | 'down', _client: number, delivery: Delivery): Delivery => delivery,
});

/** Options for {@link Network}. */
export interface NetworkOptions {
  /** Prefix of validation messages (default `network`). */
  field?: string;
  /** Server-side model (default {@link UNLIMITED_SERVER_ACCESS}). */
  serverAccess?: ServerAccessModel;
}

const CLIENT_ENDPOINT = /^client-(0|[1-9]\d*)$/;

/** Per-client access links plus routing. */
export class Network {
  private readonly uplinks: Link[];
  private readonly downlinks: Link[];
  private readonly serverAccess: ServerAccessModel;

  /**
   * @param rng the network's stream; each link draws from child `link/<link name>`
   * @example new Network({ clients: [{ uplink, downlink }] }, new Rng(seed), { field: 'scenario.network' });
   */
  constructor(spec: NetworkSpec, rng: Rng, options: NetworkOptions = {}) {
    const field = options.field ?? 'network';
    if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.clients) || spec.clients.length === 0) {
      const got = typeof spec === 'object' && spec !== null ? JSON.stringify(spec.clients) : String(spec);
      throw new Error(`${field}.clients: must be a non-empty array, got ${got}`);
    }
    this.uplinks = [];
    this.downlinks = [];
    spec.clients.forEach((c, k) => {
      const at = `${field}.clients[${k}]`;
      if (typeof c !== 'object' || c === null) throw new Error(`${at}: must be an object, got ${String(c)}`);
      const up = `client-${k}/uplink`;
      const down = `client-${k}/downlink`;
      this.uplinks.push(new Link(up, c.uplink, rng.child(`link/${up}`), `${at}.uplink`));
      this.downlinks.push(new Link(down, c.downlink, rng.child(`link/${down}`), `${at}.downlink`));
    });
    this.serverAccess = options.serverAccess ?? UNLIMITED_SERVER_ACCESS;
  }

  /** Number of clients. */
  get clientCount(): number {
    return this.uplinks.length;
  }

  /** Client k's uplink (client → server side). */
  uplink(client: number): Link {
    return this.uplinks[this.checkClient(client)]!;
  }

  /** Client k's downlink (server side → client). */
  downlink(client: number): Link {
    return this.downlinks[this.checkClient(client)]!;
  }

  /** Every link, uplinks then downlinks, in client order. */
  links(): Link[] {
    return [...this.uplinks, ...this.downlinks];
  }

  /** The link a message from `src` to `dst` travels on. */
  route(src: string, dst: string): Link {
    const { direction, client } = this.resolve(src, dst);
    return direction === 'up' ? this.uplinks[client]! : this.downlinks[client]!;
  }

  /**
   * Sends `bytes` from `src` to `dst` at `sendTime` (seconds) and returns the delivery;
   * `options.reliable` overrides the link's mode for this message.
   * @example network.send('client-2', 'server', buffer.byteLength, kernel.now);
   */
  send(src: string, dst: string, bytes: number, sendTime: number, options?: TransmitOptions): Delivery {
    const { direction, client } = this.resolve(src, dst);
    const link = direction === 'up' ? this.uplinks[client]! : this.downlinks[client]!;
    return this.serverAccess.pass(direction, client, link.transmit(bytes, sendTime, options));
  }

  /** Counters summed over every link. */
  totals(): LinkStats {
    const sum: LinkStats = {
      sent: 0,
      delivered: 0,
      dropped: 0,
      bytesSent: 0,
      bytesDelivered: 0,
      bytesDropped: 0,
      wireBytes: 0,
      retransmissions: 0,
    };
    for (const link of this.links()) {
      const s = link.stats;
      for (const key of Object.keys(sum) as (keyof LinkStats)[]) sum[key] += s[key];
    }
    return sum;
  }

  private resolve(src: string, dst: string): { direction: 'up' | 'down'; client: number } {
    const srcClient = this.clientIndex(src);
    const dstClient = this.clientIndex(dst);
    if (srcClient >= 0 && dstClient < 0 && isServerSide(dst)) return { direction: 'up', client: srcClient };
    if (dstClient >= 0 && srcClient < 0 && isServerSide(src)) return { direction: 'down', client: dstClient };
    for (const e of [src, dst]) {
      if (!isServerSide(e) && this.clientIndex(e) < 0) {
        throw new Error(`Network.send: unknown endpoint ${JSON.stringify(e)} (expected 'server', 'federator' or 'client-<k>')`);
      }
    }
    throw new Error(`Network.send: no route from ${src} to ${dst} (links join a client to the server side)`);
  }

  /** Index k of `client-k`, -1 if `name` is not a client endpoint; throws if k is out of range. */
  private clientIndex(name: string): number {
    const m = CLIENT_ENDPOINT.exec(name);
    if (m === null) return -1;
    return this.checkClient(Number(m[1]));
  }

  private checkClient(client: number): number {
    if (!Number.isInteger(client) || client < 0 || client >= this.uplinks.length) {
      throw new Error(`Network: client index must be an integer in [0, ${this.uplinks.length - 1}], got ${client}`);
    }
    return client;
  }
}

function isServerSide(name: string): boolean {
  return name === 'server' || name === 'federator';
}
