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
 * Two models, chosen by {@link NetworkSpec.model}:
 *
 * - **`fifo`** (the default when no server access link is given): each client link is a FIFO
 *   {@link Link}; the server side has infinite capacity (or whatever a {@link ServerAccessModel}
 *   does). A message's delivery is known when it is sent: {@link Network.send}.
 * - **`flow`** (the default when `server` is given): messages are TCP flows over the client link
 *   and the server's (or federator's) shared access link, with max-min sharing re-planned as
 *   flows come and go ({@link FlowTransport}). Deliveries are decided later:
 *   {@link Network.startTransfer}, then {@link Network.nextEventTime} / {@link Network.advanceTo}.
 *   For one message alone on an idle path the two agree on serialisation (see FlowNetwork); the
 *   flow model adds TCP's slow start, loss response and sharing.
 */
import { FlowTransport, type AccessLinkSpec, type CompletedTransfer } from './flowTransport.js';
export type { AccessLinkSpec, CompletedTransfer } from './flowTransport.js';
import { Link, emptyLinkStats, validateLinkSpec, type Delivery, type LinkSpec, type LinkStats, type TransmitOptions } from './link.js';
import type { Rng } from './rng.js';
import type { TcpOptions } from './tcpModel.js';

/** One client's access links. */
export interface ClientLinksSpec {
  uplink: LinkSpec;
  downlink: LinkSpec;
}

/** The network section of a scenario. */
export interface NetworkSpec {
  clients: ClientLinksSpec[];
  /** The split server's access link, shared by all its transfers (flow model). */
  server?: AccessLinkSpec;
  /** The federator's own access link; without it the federator shares the server's. */
  federator?: AccessLinkSpec;
  /** `fifo` or `flow`; default `flow` when `server` is set, else `fifo`. */
  model?: 'fifo' | 'flow';
  /** TCP parameters of the flow model (default: Linux with CUBIC). */
  tcp?: Partial<TcpOptions>;
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
  /** The federator ↔ split server link (FIFO, in either model); without it they have no route. */
  backbone?: Link;
  /** The FIFO model of the client access links (default {@link Link}); the checker swaps in a planted bug's. */
  linkModel?: LinkModel;
}

/** A FIFO link class: {@link Link} or a subclass. */
export type LinkModel = new (name: string, spec: LinkSpec, rng: Rng, field?: string) => Link;

const CLIENT_ENDPOINT = /^client-(0|[1-9]\d*)$/;

/** Per-client access links plus routing. */
export class Network {
  private readonly uplinks: Link[];
  private readonly downlinks: Link[];
  private readonly serverAccess: ServerAccessModel;
  private readonly flow: FlowTransport | null;
  /** The federator ↔ split server link, if any. */
  readonly backbone: Link | null;

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
      const model = options.linkModel ?? Link;
      this.uplinks.push(new model(up, c.uplink, rng.child(`link/${up}`), `${at}.uplink`));
      this.downlinks.push(new model(down, c.downlink, rng.child(`link/${down}`), `${at}.downlink`));
    });
    this.serverAccess = options.serverAccess ?? UNLIMITED_SERVER_ACCESS;
    this.backbone = options.backbone ?? null;
    const model = spec.model ?? (spec.server !== undefined ? 'flow' : 'fifo');
    if (model !== 'fifo' && model !== 'flow') throw new Error(`${field}.model: must be 'fifo' or 'flow', got ${JSON.stringify(model)}`);
    if (model === 'fifo' && (spec.server !== undefined || spec.federator !== undefined)) {
      throw new Error(`${field}.model: a server or federator access link needs the 'flow' model, got 'fifo'`);
    }
    if (spec.server !== undefined) validateAccess(spec.server, `${field}.server`);
    if (spec.federator !== undefined) validateAccess(spec.federator, `${field}.federator`);
    this.flow =
      model === 'flow'
        ? new FlowTransport(
            spec.clients.map((c, k) => ({
              uplink: validateLinkSpec(c.uplink, `${field}.clients[${k}].uplink`),
              downlink: validateLinkSpec(c.downlink, `${field}.clients[${k}].downlink`),
            })),
            spec.server ?? null,
            spec.federator ?? (spec.server !== undefined ? 'shared' : null),
            rng,
            spec.tcp,
          )
        : null;
  }

  /** Whether deliveries are decided later (flow model) rather than at send time. */
  get isFlowModel(): boolean {
    return this.flow !== null;
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
   * Offers a message of `bytes` from `src` to `dst` at `now`, the one call for both models.
   * Returns the deliveries this call decides: the message itself on a FIFO link or the backbone,
   * nothing in the flow model (its delivery comes out of {@link Network.advanceTo} later). Either
   * way a delivery carries `tag`. `options.reliable` overrides a client link's mode.
   * @example for (const c of net.offer('client-2', 'server', buf.byteLength, kernel.now, undefined, seq)) settle(c);
   */
  offer(src: string, dst: string, bytes: number, now: number, options: TransmitOptions | undefined, tag: number): CompletedTransfer[] {
    if (this.backbone !== null && isServerSide(src) && isServerSide(dst)) return [{ tag, delivery: this.backbone.transmit(bytes, now) }];
    if (this.flow === null) return [{ tag, delivery: this.send(src, dst, bytes, now, options) }];
    this.startTransfer(src, dst, bytes, now, options, tag);
    return [];
  }

  /**
   * FIFO model: sends `bytes` from `src` to `dst` at `sendTime` (seconds) and returns the delivery;
   * `options.reliable` overrides the link's mode for this message.
   * @example network.send('client-2', 'server', buffer.byteLength, kernel.now);
   */
  send(src: string, dst: string, bytes: number, sendTime: number, options?: TransmitOptions): Delivery {
    if (this.flow !== null) {
      throw new Error('Network.send: this network uses the flow model; use startTransfer, nextEventTime and advanceTo');
    }
    const { direction, client } = this.resolve(src, dst);
    const link = direction === 'up' ? this.uplinks[client]! : this.downlinks[client]!;
    return this.serverAccess.pass(direction, client, link.transmit(bytes, sendTime, options));
  }

  /**
   * Flow model: starts sending `bytes` from `src` to `dst` at `now` (not before the last time
   * advanced to). Its {@link Delivery} comes out of {@link Network.advanceTo} with `tag`.
   * @example net.startTransfer('client-0', 'server', 65_536, kernel.now, undefined, 17);
   */
  startTransfer(src: string, dst: string, bytes: number, now: number, options: TransmitOptions | undefined, tag: number): void {
    if (this.flow === null) throw new Error('Network.startTransfer: this network uses the fifo model; use send');
    if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`Network.startTransfer: bytes must be an integer >= 0, got ${bytes}`);
    const { direction, client } = this.resolve(src, dst);
    const link = direction === 'up' ? this.uplinks[client]! : this.downlinks[client]!;
    const lossy = options?.reliable === undefined ? link.spec.mode === 'lossy' : !options.reliable;
    const side = direction === 'up' ? dst : src;
    this.flow.start(client, direction === 'up', side as 'server' | 'federator', bytes, now, lossy, tag);
  }

  /** When {@link Network.advanceTo} next has something to do (undefined: nothing in flight; always so for FIFO). */
  nextEventTime(): number | undefined {
    if (this.flow === null) return undefined;
    const t = this.flow.nextEventTime();
    return t === Infinity ? undefined : t;
  }

  /** Decides the messages whose last byte leaves the network by `t` (flow model; FIFO decides at offer). */
  advanceTo(t: number): CompletedTransfer[] {
    return this.flow === null ? [] : this.flow.advanceTo(t);
  }

  /** Flow model: messages not decided yet. */
  get inFlight(): number {
    return this.flow === null ? 0 : this.flow.inFlight;
  }

  /** Counters summed over every link. */
  totals(): LinkStats {
    const sum = emptyLinkStats();
    const all = this.flow === null ? this.links().map((l) => l.stats) : [...this.flow.up, ...this.flow.down].map((l) => l.stats);
    for (const s of all) {
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

function validateAccess(a: AccessLinkSpec, field: string): void {
  if (typeof a !== 'object' || a === null) throw new Error(`${field}: must be an object, got ${String(a)}`);
  for (const key of ['uplinkMbps', 'downlinkMbps'] as const) {
    const v = a[key];
    if (typeof v !== 'number' || !(v > 0) || v === Infinity) throw new Error(`${field}.${key}: must be a finite number > 0, got ${String(v)}`);
  }
  if (typeof a.latencyMs !== 'number' || !(a.latencyMs >= 0) || a.latencyMs === Infinity) {
    throw new Error(`${field}.latencyMs: must be a finite number >= 0, got ${String(a.latencyMs)}`);
  }
  if (a.loss !== undefined && !(typeof a.loss === 'number' && a.loss >= 0 && a.loss < 1)) {
    throw new Error(`${field}.loss: must be in [0, 1), got ${String(a.loss)}`);
  }
}

function isServerSide(name: string): boolean {
  return name === 'server' || name === 'federator';
}
