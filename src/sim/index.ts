/** The simulation core: the one owner of virtual time, and the network and compute models. */
export { Rng } from './rng.js';
export { EventQueue, type QueueEntry } from './eventQueue.js';
export { SimKernel, type SimKernelOptions, type DueBatch } from './kernel.js';
export {
  Link,
  validateLinkSpec,
  packetCount,
  wireBytesOf,
  HEADER_BYTES,
  DEFAULT_MTU_BYTES,
  DEFAULT_RTO_MS,
  MAX_RTO_MS,
  type LinkSpec,
  type ValidLinkSpec,
  type Delivery,
  type LinkStats,
  type TransmitOptions,
} from './link.js';
export {
  Network,
  UNLIMITED_SERVER_ACCESS,
  type NetworkSpec,
  type ClientLinksSpec,
  type Endpoint,
  type ServerAccessModel,
  type NetworkOptions,
  type LinkModel,
  type AccessLinkSpec,
  type CompletedTransfer,
} from './network.js';
export { FlowNetwork, type FlowResource, type FlowStart, type FlowDone } from './flowNetwork.js';
export { maxMinRates, type MaxMinFlow } from './maxMin.js';
export { tcpTransfer, aimdOf, DEFAULT_TCP, CUBIC_ALPHA, type TcpOptions, type TcpPath, type TcpTransfer, type CongestionControl } from './tcpModel.js';
export {
  BernoulliLoss,
  GilbertElliottLoss,
  gilbertFromMean,
  lossProcess,
  lostPackets,
  validateGilbertElliott,
  type GilbertElliottSpec,
  type LossProcess,
} from './lossModel.js';
export {
  MahimahiTrace,
  ThroughputTrace,
  LatencyTrace,
  parseCapacityTrace,
  shiftTrace,
  MAHIMAHI_OPPORTUNITY_BYTES,
  type CapacityTrace,
  type TraceFormat,
} from './trace.js';
export { TraceFiles, type TraceRef } from './traceFiles.js';
export { syntheticTrace, type SyntheticTraceOptions, type SyntheticTrace } from './syntheticTrace.js';
export { AvailabilityTrace } from './availabilityTrace.js';
export { Availability, type AvailabilityOptions } from './dropout.js';
export {
  Device,
  DEVICE_PROFILES,
  validateDeviceProfile,
  type DeviceProfile,
  type Reservation,
} from './cost.js';
export { benchKernel, benchFlows, type BenchKernelOptions, type BenchKernelResult, type BenchFlowsResult } from './bench.js';
export {
  networkSpecFromConfig,
  availabilityFromConfig,
  type NetworkConfigInput,
  type LinkConfigInput,
  type AccessConfigInput,
} from './networkConfig.js';
export { wallMs, wallSeconds } from './wallClock.js';
