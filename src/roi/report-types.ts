/** The ROI result: what `splitwire roi` prints and writes as JSON (docs/roi.md describes each field). */

export interface BytesByDirection {
  up: number;
  down: number;
  internal: number;
}

/** One side of the comparison: the uncompressed baseline or the compressed run. */
export interface ScenarioCost {
  /** Where the bytes came from. */
  source: string;
  /** Bytes in the pilot log (one pilot run, as measured). */
  bytes: number;
  bytesByDirection: BytesByDirection;
  /** Projected to the deployment, per month. */
  bytesPerMonth: number;
  bytesPerMonthByDirection: BytesByDirection;
  /** Billed traffic per month in the tariff's unit (GB or GiB). */
  billedPerMonth: number;
  meteredCostPerMonth: number;
  planCostPerMonth: number;
  transferCostPerMonth: number;
}

/** Traffic per month for one direction and message kind. */
export interface TrafficRow {
  direction: 'up' | 'down' | 'internal';
  kind: string;
  baselineBytesPerMonth: number;
  compressedBytesPerMonth: number;
  savedBytesPerMonth: number;
}

export interface CompressionCost {
  oneOff: number;
  monthly: number;
  /** Codec device-hours per month (encode + decode), by device. */
  computeByDevice: Array<{ device: string; hoursPerMonth: number; pricePerHour: number; costPerMonth: number }>;
  computeHoursPerMonth: number;
  computeCostPerMonth: number;
  /** monthly + compute. */
  runningCostPerMonth: number;
}

export interface UpgradeEstimate {
  /** Bandwidth each client link would need, per direction, to move the baseline bytes in the
   *  time the compressed run's link spent transmitting; null when the log has no arrival times. */
  neededMbps: { up: number | null; down: number | null };
  /** Throughput the compressed run got on that same link. */
  pilotMbps: { up: number | null; down: number | null };
  /** The client whose link needs the most. */
  limitingClient: { up: string | null; down: string | null };
  /** Priced upgrade from the tariff, if any. */
  priced: {
    mbps: number | null;
    /** Whether the priced upgrade gives the bandwidth needed (null: unknown). */
    enough: boolean | null;
    currentMbps: number | null;
    /** Whether the links need an upgrade at all: the need exceeds currentMbps (null: unknown). */
    needed: boolean | null;
    oneOff: number;
    perMonth: number;
    /** The tariff counts it as avoided, and it is not known to be unneeded. */
    countAsSaving: boolean;
  } | null;
}

export interface SensitivityRow {
  setting: Record<string, unknown>;
  dir: string;
  compressionRatio: number | null;
  meanIoU: number | null;
  tailMeanIoU: number | null;
  compressedBytesPerMonth: number;
  savingsPerMonth: number;
  paybackMonths: number | null;
}

export interface RoiReport {
  splitwire: 'roi/1';
  currency: string;
  tariff: { name: string; path: string | null; unit: 'GB' | 'GiB'; perGB: number; billed: string[] };
  /** runId: the run the log came from (its lines' `runId`), null for pilot logs and older runs. */
  inputs: { log: string; runId: string | null; format: string; baseline: string | null; timeline: string | null; sweep: string | null };
  pilot: { clients: number; rounds: number; samples: number | null; messages: number };
  deployment: { clients: number; rounds: number; samples: number | null; runsPerMonth: number };
  /** Per-run multipliers from the pilot to the deployment. */
  scale: { splitTensors: number; other: number };
  assumptions: string[];
  baseline: ScenarioCost;
  compressed: ScenarioCost;
  traffic: TrafficRow[];
  compression: CompressionCost;
  transferSavingsPerMonth: number;
  /** Upgrade costs avoided, when the tariff says the upgrade would otherwise be bought. */
  upgradeAvoidedPerMonth: number;
  /** transfer savings + avoided upgrade − compression running costs. */
  savingsPerMonth: number;
  /** Months until the one-off cost is repaid; null when savings are not positive. */
  paybackMonths: number | null;
  /** Largest of upgrade.neededMbps (up, down); null when not derivable. */
  upgradeBandwidthMbps: number | null;
  upgrade: UpgradeEstimate;
  sensitivity: SensitivityRow[] | null;
}
