/**
 * The delay line's loss decision, replayed in TypeScript. The line drops a TCP data segment
 * when `segmentDraw(seed, port, segment, attempt) < loss`, where `segment` is the segment's
 * sequence offset divided by the MSS and `attempt` counts its earlier transmissions. Giving the
 * model the same seed and port gives it the exact segments the kernel lost: the comparison is
 * paired, so what is left of the difference is the model's TCP dynamics, not luck.
 */

const MASK = (1n << 64n) - 1n;

/** splitmix64's finaliser (Steele, Lea, Flood 2014), on 64-bit unsigned values. */
function mix64(x: bigint): bigint {
  let z = x & MASK;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}

/** The line's uniform draw in [0, 1) for one transmission of one segment (same bits as the C). */
export function segmentDraw(seed: number, port: number, segment: number, attempt: number): number {
  const key = (BigInt(port) << 48n) ^ (BigInt(attempt) << 32n) ^ BigInt(segment);
  const h = mix64((BigInt(seed) & MASK) ^ mix64(key));
  return Number(h >> 11n) / 9007199254740992;
}

/** Segments of a `packets`-segment message whose first (`lost`) and second (`lostAgain`) transmissions the line drops. */
export function pairedLosses(
  seed: number,
  port: number,
  packets: number,
  loss: number,
): { lost: number[]; lostAgain: number[] } {
  const lost: number[] = [];
  const lostAgain: number[] = [];
  if (loss <= 0) return { lost, lostAgain };
  for (let j = 0; j < packets; j++) {
    if (segmentDraw(seed, port, j, 0) < loss) {
      lost.push(j);
      if (segmentDraw(seed, port, j, 1) < loss) lostAgain.push(j);
    }
  }
  return { lost, lostAgain };
}
