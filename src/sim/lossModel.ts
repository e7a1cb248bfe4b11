/**
 * Packet loss processes. A process answers one question, "how many packets get through before
 * the next one is lost?" ({@link LossProcess.nextGap}), so a message costs O(losses) random
 * draws, not O(packets).
 *
 * - **Independent** (Bernoulli) loss with probability p: the gap is Geometric(p).
 * - **Bursty** loss, the Gilbert–Elliott two-state Markov chain (Gilbert 1960, Elliott 1963):
 *   a Good and a Bad state with per-packet loss probabilities `lossGood` and `lossBad`; after
 *   each packet the chain moves Good→Bad with probability `pGoodToBad` and Bad→Good with
 *   `pBadToGood`. Stationary loss rate `(pBG·lossGood + pGB·lossBad) / (pGB + pBG)`; mean Bad
 *   sojourn `1/pBG` packets. The chain's state persists across messages (a burst can span two).
 *   {@link gilbertFromMean} builds the simple Gilbert case (lossGood 0, lossBad 1) from a mean
 *   loss rate and a mean burst length, which is how scenarios state it.
 */
import type { Rng } from './rng.js';

/** Full Gilbert–Elliott parameters (probabilities per packet). */
export interface GilbertElliottSpec {
  pGoodToBad: number;
  pBadToGood: number;
  /** Loss probability in the Good state (default 0). */
  lossGood?: number;
  /** Loss probability in the Bad state (default 1). */
  lossBad?: number;
}

/** A source of loss gaps. */
export interface LossProcess {
  /** Long-run fraction of packets lost. */
  readonly meanLoss: number;
  /** Packets that get through before the next loss (`Infinity` when none is ever lost). */
  nextGap(): number;
}

/** Draws a Geometric count of successes before the first event of probability p (U in (0, 1]). */
function geometric(rng: Rng, logKeep: number): number {
  // P(k ≥ m) = P(U ≤ (1−p)^m) = (1−p)^m.
  return Math.floor(Math.log(1 - rng.uniform()) / logKeep);
}

/** Independent loss with probability `p` per packet. */
export class BernoulliLoss implements LossProcess {
  private readonly logKeep: number;

  /** @param p loss probability in [0, 1] */
  constructor(
    readonly meanLoss: number,
    private readonly rng: Rng,
  ) {
    this.logKeep = Math.log1p(-meanLoss);
  }

  nextGap(): number {
    if (this.meanLoss <= 0) return Infinity;
    if (this.meanLoss >= 1) return 0;
    return geometric(this.rng, this.logKeep);
  }
}

/** The Gilbert–Elliott chain. Starts in its stationary distribution. */
export class GilbertElliottLoss implements LossProcess {
  readonly meanLoss: number;
  private readonly spec: Required<GilbertElliottSpec>;
  private bad: boolean;
  /** Packets left in the current state, the next one included (0: draw a new sojourn). */
  private left = 0;

  constructor(
    spec: GilbertElliottSpec,
    private readonly rng: Rng,
  ) {
    this.spec = { lossGood: 0, lossBad: 1, ...spec };
    const { pGoodToBad: gb, pBadToGood: bg, lossGood, lossBad } = this.spec;
    const total = gb + bg;
    const piBad = total > 0 ? gb / total : 0;
    this.meanLoss = (1 - piBad) * lossGood + piBad * lossBad;
    this.bad = rng.uniform() < piBad;
  }

  /** Whether the chain is in its Bad state now (for tests). */
  get inBadState(): boolean {
    return this.bad;
  }

  nextGap(): number {
    const { pGoodToBad, pBadToGood, lossGood, lossBad } = this.spec;
    if (this.meanLoss <= 0) return Infinity;
    let gap = 0;
    // Each pass either finds a loss or finishes a sojourn; a state with no exit is handled by
    // its infinite sojourn, so the loop ends (the chain has a lossy state it reaches).
    for (;;) {
      const leave = this.bad ? pBadToGood : pGoodToBad;
      const h = this.bad ? lossBad : lossGood;
      if (this.left === 0) {
        this.left = leave <= 0 ? Infinity : leave >= 1 ? 1 : 1 + geometric(this.rng, Math.log1p(-leave));
      }
      const g = h <= 0 ? Infinity : h >= 1 ? 0 : geometric(this.rng, Math.log1p(-h));
      if (g < this.left) {
        gap += g;
        this.left -= g + 1;
        if (this.left === 0) this.bad = !this.bad;
        return gap;
      }
      if (this.left === Infinity) return Infinity; // absorbing lossless state
      gap += this.left;
      this.left = 0;
      this.bad = !this.bad;
    }
  }
}

/**
 * The simple Gilbert model with mean loss `loss` and mean burst `burstPackets` (≥ 1):
 * lossGood 0, lossBad 1, pBadToGood = 1/burst, pGoodToBad from the stationary loss rate.
 * @example gilbertFromMean(0.01, 4) // 1 % loss in bursts of 4 packets on average
 */
export function gilbertFromMean(loss: number, burstPackets: number): GilbertElliottSpec {
  const pBadToGood = 1 / burstPackets;
  const pGoodToBad = loss >= 1 ? 1 : (loss * pBadToGood) / (1 - loss);
  return { pGoodToBad, pBadToGood, lossGood: 0, lossBad: 1 };
}

/**
 * Checks a Gilbert–Elliott spec; errors name `${field}.<key>` and the bad value.
 */
export function validateGilbertElliott(spec: GilbertElliottSpec, field: string): Required<GilbertElliottSpec> {
  const full = { lossGood: 0, lossBad: 1, ...spec };
  for (const key of ['pGoodToBad', 'pBadToGood', 'lossGood', 'lossBad'] as const) {
    const v = full[key];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new Error(`${field}.${key}: must be a number in [0, 1], got ${String(v)}`);
    }
  }
  return full;
}

/**
 * A client link's loss process, read from its spec: the one place both link models (the FIFO
 * `Link` and the flow model's `FlowTransport`) get it, so a new loss pattern is read here alone.
 */
export function linkLosses(spec: { loss: number; burst?: GilbertElliottSpec | undefined }, rng: Rng): LossProcess {
  return lossProcess(spec.loss, rng, spec.burst);
}

/** The process for a link: Gilbert–Elliott when `burst` is given, else independent loss `loss`. */
export function lossProcess(loss: number, rng: Rng, burst?: GilbertElliottSpec): LossProcess {
  return burst === undefined ? new BernoulliLoss(loss, rng) : new GilbertElliottLoss(burst, rng);
}

/**
 * Indices of lost packets among `packets`, ascending, drawing from `process`. `carry` is the
 * gap left over from the previous call (pass the returned `carry` back in to continue the stream).
 */
export function lostPackets(process: LossProcess, packets: number, carry: number): { lost: number[]; carry: number } {
  const lost: number[] = [];
  let gap = carry >= 0 ? carry : process.nextGap();
  let i = 0;
  while (gap < packets - i) {
    i += gap;
    lost.push(i);
    i++;
    gap = process.nextGap();
  }
  return { lost, carry: gap - (packets - i) };
}
