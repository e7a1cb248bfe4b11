/** Conv gradient kernels composed of GPU-friendly tfjs ops, for WebGPU (see docs/gpu.md). */
export { conv2dBackpropFilterIm2col, planIm2col, im2colFilterGradKernel } from './conv2dBackpropFilterIm2col.js';
export type { Im2colPlan } from './conv2dBackpropFilterIm2col.js';
export { conv2dBackpropInputMatmul, matmulInputGradKernel, upsampleWithZeros } from './conv2dBackpropInputMatmul.js';
export type { GpuConvGradOptions } from './dilatedConvGeometry.js';
export {
  GPU_CONV_GRADS_ENV,
  gpuConvGradKernelsActive,
  gpuConvGradsFromEnv,
  registerGpuConvGradKernels,
  unregisterGpuConvGradKernels,
} from './registerGpuConvGradKernels.js';
export type { GpuConvGradSelection } from './registerGpuConvGradKernels.js';
export { AGREEMENT_CASES, checkAgreement, readOn } from './kernelAgreement.js';
export type { AgreementCase, AgreementResult } from './kernelAgreement.js';
