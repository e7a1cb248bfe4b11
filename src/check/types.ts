/**
 * Shapes of the protocol checker (issue 5): the protocol settings it checks, the fault schedules
 * fast-check generates, and the trace one run leaves for the properties to judge.
 */
import type { SflVariant } from '../protocol/index.js';
import type { MessageKind, TaskName } from '../protocol/messages.js';
import type { LinkSpec } from '../sim/index.js';
import type { Faults } from '../interpret/index.js';
import type { Variation } from './neighbourhood.js';

/** Everything about a scenario the protocol check uses; the rest (data, model, codec) is stand-in. */
export interface CheckSettings {
  /** Scenario name, for messages. */
  name: string;
  /** Scenario seed: the network streams of every run derive from it and the run's own seed. */
  seed: number;
  topology: 'u-shaped' | 'label-sharing';
  variant: SflVariant;
  clients: number;
  clientsPerRound: number;
  /** Over-selection: FedAvg as soon as this many selected clients reported (absent: all selected). */
  aggregateFirst?: number;
  rounds: number;
  /** Local steps per round of each client (epochs × batches). */
  steps: number[];
  /** Sample count of each client: the FedAvg weights. */
  samples: number[];
  roundDeadlineS: number;
  turnTimeoutS: number;
  stepTimeoutS: number;
  /** reliable: loss costs retransmissions, nothing is lost; lossy: split tensors are datagrams. */
  networkMode: 'reliable' | 'lossy';
  /** Each client's access links, as the scenario resolves them. */
  links: { uplink: LinkSpec; downlink: LinkSpec }[];
  /** Stand-in compute: virtual seconds of one client task, one server task, one federator task. */
  clientTaskS: number;
  serverTaskS: number;
  federatorTaskS: number;
  /** The link between federator and split server (same data centre; no faults there). */
  backbone: LinkSpec;
  /** Stand-in payload sizes in bytes: one split tensor on the wire, the packed client-side weights. */
  tensorBytes: number;
  weightsBytes: number;
  /**
   * Learned codecs: per round, whether their weights sync at its end (codec.up, then codec.down
   * with the next round's weights). Absent: no learned codec.
   */
  codecSync?: boolean[];
  /** Whether clients train codecs of their own and send codec.up in a sync round (default true with codecSync). */
  clientCodecs?: boolean;
  /** codec.down also offered as a delta against the version before (codec.updateBits < 32). */
  codecDeltas?: boolean;
  /** weights.down offered as a delta against the previous round's global from round 1 on (protocol.weightBits < 32). */
  weightDeltas?: boolean;
}

/** The fault shapes are every world's (src/interpret/faultPlan.ts); the checker generates and shrinks them. */
export type { CrashFault, Direction, MessageFault, StraggleFault } from '../interpret/index.js';

/** One run's faults. Bounded by construction, so every run of a correct protocol terminates. */
export interface FaultSchedule extends Faults {
  /** Seed of the run's own randomness (link jitter and loss), mixed with the scenario seed. */
  runSeed: number;
  /** The scenario's neighbourhood this schedule runs in (absent or all null: the scenario as given). */
  variation?: Variation;
}

/** One message's line in the checker's traffic log (the same fields as docs/formats.md, plus the checker's). */
export interface TrafficEntry {
  seq: number;
  /** Identity of the message the protocol sent; a duplicate copy has the same id. */
  msgId: number;
  copy: number;
  round: number;
  step: number;
  src: string;
  dst: string;
  kind: MessageKind;
  /** Control op, when kind is control. */
  op: string | null;
  link: string;
  bytes: number;
  sendTime: number;
  recvTime: number | null;
  dropped: boolean;
  /** Why it was dropped: `loss` (the link), `fault` (the schedule), `down` (receiver crashed), or null. */
  dropReason: 'loss' | 'fault' | 'down' | null;
  /** Bytes serialised for this copy (payload, headers, retransmitted packets) and packets resent, as the link reported. */
  wireBytes: number;
  retransmissions: number;
  /** Blob carried, if any, and the tags of what it descends from (`skip`, `labels`). */
  blob: number | null;
  tags: string[];
}

/** A delivery of a message to an actor, and what the actor did about it. */
export interface DeliveryRecord {
  /** Position in the run's event order. */
  index: number;
  time: number;
  to: string;
  /** The receiver's incarnation. */
  inc: number;
  msgId: number;
  seq: number;
  /** The receiver's round as the checker saw it (from its actions), when the message arrived. */
  late: boolean;
  lateWhy: string | null;
  /** Effects the receiver emitted in reaction (releases and timers aside). */
  sends: number;
  computes: number;
}

/** A compute task an actor started, with the messages it descends from. */
export interface TaskRecord {
  index: number;
  time: number;
  actor: string;
  /** The actor's incarnation (a crashed client or restarted server comes back as a new one). */
  inc: number;
  task: TaskName;
  client: number;
  round: number;
  step: number;
  /** Ids of every message whose payload (or trigger) this task's inputs descend from. */
  ancestry: number[];
  /** Tags of every blob this task's inputs descend from (e.g. `skip`, `labels`). */
  tags: string[];
}

/** A FedAvg the federator asked for, with the harness's result. */
export interface AggregateRecord {
  round: number;
  time: number;
  participants: number[];
  samples: number[];
  result: number[];
  /** The codec updates (codec.up) it averaged: whose, and of which round. */
  codecs: { client: number; round: number }[];
}

/** A client's weights.load: whether it ends up holding the round's global weights and which codec version. */
export interface LoadRecord {
  client: number;
  inc: number;
  round: number;
  time: number;
  /** Null when the load rebuilt the round's global; else why not (a delta against weights it does not hold). */
  weightsWrong: string | null;
  /** The codec version it holds after the load (-1: none it can name, a delta applied to another version). */
  codecVersion: number;
}

/** What the checker's stand-in weights.pack produced: enough to recompute the vector. */
export interface PackRecord {
  client: number;
  round: number;
  /** Round of the global weights the client had loaded. */
  loadedRound: number;
  stepsDone: number;
  blob: number;
  value: number[];
}

/** Per-link byte counts kept at send, delivery and drop time. */
export interface LinkBytes {
  sent: number;
  delivered: number;
  dropped: number;
  /** The network model's own counters for this link (client links only). */
  model: {
    bytesSent: number;
    bytesDelivered: number;
    bytesDropped: number;
    wireBytes: number;
    retransmissions: number;
    /** Messages the link counted sent, delivered and dropped. */
    sent: number;
    delivered: number;
    dropped: number;
  } | null;
}

/** Everything one run leaves behind. */
export interface Trace {
  settings: CheckSettings;
  schedule: FaultSchedule;
  traffic: TrafficEntry[];
  deliveries: DeliveryRecord[];
  tasks: TaskRecord[];
  aggregates: AggregateRecord[];
  serverAggregates: { round: number; time: number; participants: number[]; samples: number[] }[];
  packs: PackRecord[];
  /** Global client-side weights at the start of each round (what global.pack sent). */
  globals: number[][];
  roundStarts: { round: number; time: number; deadline: number; selected: number[] }[];
  roundCompletes: { round: number; time: number; participants: number[] }[];
  /** weights.up and codec.up arrivals at the federator, with whether the deadline timer of that round had fired. */
  updateArrivals: { kind: 'weights.up' | 'codec.up'; round: number; client: number; msgId: number; time: number; beforeDeadline: boolean; first: boolean }[];
  /** Every weights.load a client started, and what it left the client holding. */
  loads: LoadRecord[];
  links: Record<string, LinkBytes>;
  /** Client incarnations that crashed (by the schedule or a model-based command), and when. */
  crashed: { client: number; inc: number; time: number }[];
  /** Split server incarnations that ended (a scheduled or model-based restart), and when. */
  serverRestarted: { inc: number; time: number }[];
  /** SFLV2: every turn the split server handed out, with what ended the one before. */
  turns: TurnRecord[];
  /** Client batches: each fe.forward a client started, and how the batch ended. */
  batches: BatchRecord[];
  /** Buffer lifetimes: uses after release and buffers nobody freed (blobLedger.ts). */
  lifetimes: LifetimeReport;
  finished: boolean;
  /** Why the run stopped without finishing (deadlock, livelock, or an actor error). */
  stuck: string | null;
  events: number;
  endTime: number;
  /** sha256 of the traffic log as NDJSON. */
  trafficHash: string;
}

/** A property's verdict on one trace: null when it holds, else what went wrong. */
export type Verdict = string | null;

/** A turn the split server gave (SFLV2), and the event that made it do so. */
export interface TurnRecord {
  round: number;
  client: number;
  time: number;
  /** Position in the run's event order (as TaskRecord.index): same-instant events keep their order. */
  index: number;
  inc: number;
  /** round.start (first turn of a round), turn.done of client k, the turn timer, or something else. */
  cause: { type: 'round.start' } | { type: 'turn.done'; client: number } | { type: 'timer'; epoch: number } | { type: 'other'; what: string };
}

/** One batch a client started: its round, step, incarnation and how it ended. */
export interface BatchRecord {
  client: number;
  inc: number;
  round: number;
  step: number;
  start: number;
  /**
   * trained: FE backward ran; skipped: its step timer fired first; abandoned: newer weights, a
   * crash or the run's end came first; lost: the client moved on (next batch, or packed its
   * weights) with neither.
   */
  end: 'trained' | 'skipped' | 'abandoned' | 'lost' | null;
  endTime: number | null;
  /** Arrival time at the client of the batch's last reply (features.s2 then gradients.s1; label-sharing: gradients.s1), null if it never came. */
  replies: { kind: 'features.s2' | 'gradients.s1'; time: number }[];
}

/** What the blob ledger found. */
export interface LifetimeReport {
  /** First use of a freed buffer (a task input or a send), described; null if none. */
  useAfterRelease: string | null;
  /** First release of a round's shared weights or codecs by an actor, described; null if none. */
  sharedFreed: string | null;
  /** Buffers a receiver was handed and neither used, passed on nor freed, described (a few). */
  leaked: string[];
  /**
   * Buffers an actor owned (a task's outputs, message copies) that its state no longer refers to
   * at the end, unfreed: nothing can free them any more. Described (a few), and counted.
   */
  dropped: string[];
  droppedCount: number;
  /** Copies of one message that shared a buffer (a real network never does that). */
  sharedCopies: number;
}
