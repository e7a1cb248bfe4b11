/**
 * Per-round client availability: a client drops out of round r with probability `dropoutProb`,
 * independently per (client, round).
 *
 * Each answer comes from its own child stream `client-<k>/round-<r>`, so it depends only on the
 * seed, the client and the round: never on which other clients or rounds were asked about, or in
 * what order (a federator may sample clients lazily).
 */
import type { Rng } from './rng.js';

/** Options for {@link Availability}. */
export interface AvailabilityOptions {
  /** Probability a client is unavailable in a given round, 0..1. */
  dropoutProb: number;
}

/** Deterministic per-(client, round) availability. */
export class Availability {
  readonly dropoutProb: number;

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

  /** The clients among `0..clientCount-1` available in `round`, ascending. */
  availableClients(clientCount: number, round: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < clientCount; k++) if (this.isAvailable(k, round)) out.push(k);
    return out;
  }
}
