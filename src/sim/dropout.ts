/**
 * Client availability, four ways a client can be missing:
 *
 * - **Dropout**: a client sits out round r with probability `dropoutProb`, independently per
 *   (client, round).
 * - **On/off schedule**: an {@link AvailabilityTrace} says when each client is reachable.
 * - **Crash mid-round**: with probability `crashProb` a client crashes during round r, before
 *   local step s drawn uniformly from its steps: it exchanges nothing from step s on, and never
 *   reports its weights for the round (the federator's deadline covers it).
 * - **Stragglers**: a fraction of clients compute `stragglerSlowdown` times slower
 *   ({@link Availability.slowdown}; the client's device throughput is divided by it).
 *
 * Each random answer comes from its own child stream (`client-<k>/round-<r>`,
 * `crash/client-<k>/round-<r>`, `straggler/client-<k>`), so it depends only on the seed, the
 * client and the round: never on which other clients or rounds were asked about, or in what
 * order (a federator may sample clients lazily).
 */
import type { AvailabilityTrace } from './availabilityTrace.js';
import type { Rng } from './rng.js';

/** Options for {@link Availability}; all but `dropoutProb` default to "never". */
export interface AvailabilityOptions {
  /** Probability a client is unavailable in a given round, 0..1. */
  dropoutProb: number;
  /** Probability a client crashes during a given round, 0..1. */
  crashProb?: number;
  /** When each client is on or off. */
  schedule?: AvailabilityTrace;
  /** Fraction of clients that straggle, 0..1. */
  stragglerFraction?: number;
  /** Compute slowdown of a straggler (≥ 1). */
  stragglerSlowdown?: number;
}

/** Deterministic per-(client, round) availability. */
export class Availability {
  readonly dropoutProb: number;
  readonly crashProb: number;
  readonly stragglerFraction: number;
  readonly stragglerSlowdown: number;
  private readonly schedule: AvailabilityTrace | undefined;

  /**
   * @param rng the availability stream (e.g. `root.child('availability')`)
   * @param field prefix of validation messages (default `availability`)
   * @example const avail = new Availability({ dropoutProb: 0.1 }, root.child('availability'));
   */
  constructor(
    opts: AvailabilityOptions,
    private readonly rng: Rng,
    field = 'availability',
  ) {
    const p = opts?.dropoutProb;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new Error(`${field}.dropoutProb: must be a number in [0, 1], got ${String(p)}`);
    }
    this.dropoutProb = p;
    const probability = (key: 'crashProb' | 'stragglerFraction'): number => {
      const v = opts[key] ?? 0;
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${field}.${key}: must be a number in [0, 1], got ${String(v)}`);
      return v;
    };
    this.crashProb = probability('crashProb');
    this.stragglerFraction = probability('stragglerFraction');
    const slow = opts.stragglerSlowdown ?? 1;
    if (typeof slow !== 'number' || !(slow >= 1) || slow === Infinity) {
      throw new Error(`${field}.stragglerSlowdown: must be a finite number >= 1, got ${String(slow)}`);
    }
    this.stragglerSlowdown = slow;
    this.schedule = opts.schedule;
  }

  /** Whether `client` takes part in `round` (both non-negative integers). */
  isAvailable(client: number, round: number): boolean {
    if (!Number.isInteger(client) || client < 0) {
      throw new Error(`Availability.isAvailable: client must be an integer >= 0, got ${client}`);
    }
    if (!Number.isInteger(round) || round < 0) {
      throw new Error(`Availability.isAvailable: round must be an integer >= 0, got ${round}`);
    }
    if (this.dropoutProb === 0) return true;
    if (this.dropoutProb === 1) return false;
    return this.rng.child(`client-${client}/round-${round}`).uniform() >= this.dropoutProb;
  }

  /** Whether `client`'s schedule has it on at time `t` (always, without a schedule). */
  isOnlineAt(client: number, t: number): boolean {
    return this.schedule === undefined ? true : this.schedule.isOn(client, t);
  }

  /**
   * The local step before which `client` crashes in `round`, or null if it does not. A client
   * with `steps` local steps crashes before a step in [0, steps), uniformly.
   */
  crashStep(client: number, round: number, steps: number): number | null {
    if (this.crashProb === 0 || steps <= 0) return null;
    const r = this.rng.child(`crash/client-${client}/round-${round}`);
    if (r.uniform() >= this.crashProb) return null;
    return Math.min(steps - 1, Math.floor(r.uniform() * steps));
  }

  /** Compute slowdown of `client` (1 unless it is a straggler). */
  slowdown(client: number): number {
    if (this.stragglerFraction === 0 || this.stragglerSlowdown === 1) return 1;
    return this.rng.child(`straggler/client-${client}`).uniform() < this.stragglerFraction ? this.stragglerSlowdown : 1;
  }

  /**
   * Whether a message of `client`'s local step `step` in `round` can reach or leave it at `t`:
   * the client takes part in the round, its schedule has it on, and it has not crashed before
   * that step. Round-level messages use step −1 (round start) or `steps` (its weights update).
   */
  canExchange(client: number, round: number, step: number, steps: number, t: number): boolean {
    if (!this.isAvailable(client, round) || !this.isOnlineAt(client, t)) return false;
    const crash = this.crashStep(client, round, steps);
    return crash === null || step < crash;
  }

  /** The clients among `0..clientCount-1` available in `round`, ascending. */
  availableClients(clientCount: number, round: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < clientCount; k++) if (this.isAvailable(k, round)) out.push(k);
    return out;
  }
}
