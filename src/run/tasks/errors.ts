/**
 * Error factories of the task layer (piscina keeps its messages in one place too). These are
 * bugs, not run outcomes: a task given the wrong input, or state that does not fit the world.
 */
export const TaskErrors = {
  missingInput: (): Error => new Error('task input missing'),
  wrongBlob: (id: number, kind: string, expected: string): Error => new Error(`blob ${id} is ${kind}, expected ${expected}`),
  noPart: (name: string): Error => new Error(`model has no part ${name}`),
  packedWeights: (detail: string): Error => new Error(`weights: ${detail}`),
  weightsLoad: (detail: string): Error => new Error(`weights.load: ${detail}`),
  codecUpdateMissing: (): Error => new Error('codec update missing'),
  codecUpdate: (detail: string): Error => new Error(`codec update: ${detail}`),
  noGateLoss: (slot: string, k: number, round: number, step: number): Error =>
    new Error(`encode ${slot}: no training loss of client-${k} for round ${round} step ${step} (the gate needs it)`),
};
