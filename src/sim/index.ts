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
} from './network.js';
export { Availability, type AvailabilityOptions } from './dropout.js';
export {
  Device,
  DEVICE_PROFILES,
  validateDeviceProfile,
  type DeviceProfile,
  type Reservation,
} from './cost.js';
export { benchKernel, type BenchKernelOptions, type BenchKernelResult } from './bench.js';
