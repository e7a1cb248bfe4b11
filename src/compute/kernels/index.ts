/** Conv gradient and copy kernels for the tfjs wasm backend (see DESIGN.md §3). */
export { registerWasmGradKernels, builtinWasmInputGradKernel, useWasmCopyKernels } from './register.js';
export { concatConfig, identityConfig, splitVConfig } from './copyKernels.js';
export { conv2dFilterGrad, conv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
export type { FilterGradPlan } from './conv2dBackpropFilter.js';
export { conv2dInputGrad, conv2dBackpropInputConfig } from './conv2dBackpropInput.js';
export type { ConvGradAttrs, ConvPad, DimRoundingMode } from './convGeometry.js';
export { benchConvGradKernels } from './bench.js';
export type { BenchOptions } from './bench.js';
