/** The task model: a functional U-Net cut into parts, its loss, gradients, optimiser and metrics. */
export type {
  ModelPart,
  ParamSpec,
  PartName,
  SplitModel,
  Topology,
  UNetConfig,
} from './types.js';
export { buildSplitUNet, getPart, partNames, validateUNetConfig } from './unet.js';
export { flattenTensors, flattenTensorsAsync, initModelParams, initParams, namedParams, paramsFromNamed, toTensors } from './params.js';
export { DICE_SMOOTH, diceCrossEntropy } from './loss.js';
export {
  partBackward,
  partBackwardAsync,
  partForward,
  partLossBackward,
  partLossBackwardAsync,
  predict,
  readThenFree,
  readThenFreeSync,
} from './grads.js';
export { Adam, adamOptions, adamUpdate } from './adam.js';
export type { AdamOptions, AdamState } from './adam.js';
export { confusion, iouDice, trivialMeanIoU } from './metrics.js';
export type { IouDice, TrivialScore } from './metrics.js';
export { fedAvg } from './fedavg.js';
