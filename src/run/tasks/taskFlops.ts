/**
 * FLOP counts of the compute tasks, the cost model's input (src/sim/cost.ts turns FLOPs into
 * virtual seconds on a device profile): counted from layer shapes and parameter counts, so a
 * task's virtual duration does not depend on this machine's load. Codec FLOPs per element come
 * from the codecs' descriptors (src/codecs/codecPlan.ts `codecFlops`).
 */
import type { World } from '../world.js';

type Part = NonNullable<World['model']['parts'][keyof World['model']['parts']]>;

/** Adam: about 10 FLOPs per parameter per step. */
export const ADAM_FLOPS_PER_PARAM = 10;

/** A learned feature codec in a backward pass: forward, backward and its own update (3 passes). */
export const CODEC_IN_BACKWARD_PASSES = 3;

/** A gradient codec that trains on what it encodes: encode, rate and distortion, backward, update (4 passes). */
export const CODEC_TRAINING_ENCODE_PASSES = 4;

/** Forward pass of a model part over `n` samples. */
export function forwardFlops(part: Part, n: number): number {
  return part.forwardFlops(n);
}

/** Backward pass (twice the forward) and an Adam step, plus what a learned codec in the graph costs. */
export function backwardFlops(part: Part, n: number, codecCost: number): number {
  return 2 * part.forwardFlops(n) + ADAM_FLOPS_PER_PARAM * part.paramCount + codecCost;
}

/** A training step of a part that computes the loss: forward, backward, Adam. */
export function trainFlops(part: Part, n: number): number {
  return 3 * part.forwardFlops(n) + ADAM_FLOPS_PER_PARAM * part.paramCount;
}

/** FedAvg of `updates` vectors of `values` values: a multiply and an add per value and update. */
export function fedAvgFlops(values: number, updates: number): number {
  return 2 * values * updates;
}
