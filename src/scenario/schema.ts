/**
 * The scenario file format: one zod schema is the single source of truth for validation,
 * defaults and the JSON Schema that editors use (`splitwire schema`).
 */
import { z } from 'zod';
// The codec modules themselves, not the codecs facade: it loads tfjs for the learned codecs.
import { CLASSIC_OPTIONS } from '../codecs/registry.js';
import { SPLIT_CODEC_NAMES } from '../codecs/splitCodecs.js';
import { LINK_DEFAULTS, NETWORK_PROFILES } from './networkProfiles.js';

const positive = (what: string): z.ZodNumber => z.number().gt(0).describe(what);
const nonNegative = (what: string): z.ZodNumber => z.number().min(0).describe(what);
const probability = (what: string): z.ZodNumber => z.number().min(0).max(1).describe(what);

/** A bandwidth trace file (formats: docs in src/sim/trace.ts and scenarios/traces/README.md). */
const traceRefSchema = z
  .object({
    file: z.string().min(1).describe("trace file, relative to the scenario file's folder (a --set value: to the current directory)"),
    format: z.enum(['mahimahi', 'mbps']).describe('mahimahi: one ms timestamp per 1500-byte opportunity; mbps: "time_s throughput_Mbps" lines'),
    offsetS: nonNegative('start this many seconds into the trace').default(0),
    binMs: positive('flow model: averaging bin of a mahimahi trace, ms').default(50),
  })
  .strict();

const linkDescriptions = {
  bandwidthMbps: 'link rate in megabit/s (ignored when bandwidthTrace is set)',
  latencyMs: 'one-way propagation delay in ms',
  jitterMs: 'std-dev of the extra one-way delay in ms',
  loss: 'per-packet loss probability',
  burstLength: 'bursty loss: mean loss burst in packets (Gilbert model with mean loss `loss`)',
  bandwidthTrace: 'capacity over time instead of bandwidthMbps',
  latencyTrace: 'file of "time_s rtt_ms" lines (relative to the scenario file\'s folder): one-way latency = rtt/2, instead of latencyMs',
} as const;

/** One direction of a client's access link, every field resolved (what a run simulates). */
export const linkSchema = z
  .object({
    bandwidthMbps: positive(linkDescriptions.bandwidthMbps),
    latencyMs: nonNegative(linkDescriptions.latencyMs).default(LINK_DEFAULTS.latencyMs),
    jitterMs: nonNegative(linkDescriptions.jitterMs).default(LINK_DEFAULTS.jitterMs),
    loss: z.number().min(0).max(0.5).describe(linkDescriptions.loss).default(LINK_DEFAULTS.loss),
    burstLength: z.number().min(1).optional().describe(linkDescriptions.burstLength),
    bandwidthTrace: traceRefSchema.optional().describe(linkDescriptions.bandwidthTrace),
    latencyTrace: z.string().min(1).optional().describe(linkDescriptions.latencyTrace),
  })
  .strict();

/**
 * An override of a link: every field optional and WITHOUT a default, so a field left out inherits
 * from the layer below (per-client → network-wide → profile → {@link LINK_DEFAULTS}); a zod
 * default here would silently reset the profile's value.
 */
const linkOverrideSchema = (perClient: boolean) => {
  /** `left out: …` for one field, naming every profile's value, so the schema documents what a run gets. */
  const inherits = (field: 'bandwidthMbps' | 'latencyMs' | 'jitterMs' | 'loss'): string => {
    const values = Object.entries(NETWORK_PROFILES)
      .map(([name, p]) => {
        const up = p.uplink[field];
        const down = p.downlink[field];
        return `${name} ${up === down ? up : `${up} up / ${down} down`}`;
      })
      .join(', ');
    return ` — left out: ${perClient ? 'network.uplink/downlink, then ' : ''}the profile's (${values})`;
  };
  const unset = ` — left out: ${perClient ? 'network.uplink/downlink, then ' : ''}none`;
  return z
    .object({
      bandwidthMbps: positive(`${linkDescriptions.bandwidthMbps}${inherits('bandwidthMbps')}; setting it drops an inherited bandwidthTrace`).optional(),
      latencyMs: nonNegative(`${linkDescriptions.latencyMs}${inherits('latencyMs')}; setting it drops an inherited latencyTrace`).optional(),
      jitterMs: nonNegative(`${linkDescriptions.jitterMs}${inherits('jitterMs')}`).optional(),
      loss: z.number().min(0).max(0.5).describe(`${linkDescriptions.loss}${inherits('loss')}`).optional(),
      burstLength: z.number().min(1).optional().describe(`${linkDescriptions.burstLength}${unset} (independent losses)`),
      bandwidthTrace: traceRefSchema.optional().describe(`${linkDescriptions.bandwidthTrace}${unset}`),
      latencyTrace: z.string().min(1).optional().describe(`${linkDescriptions.latencyTrace}${unset}`),
    })
    .strict();
};

/** What an access-link field is when nothing states it. */
export const ACCESS_DEFAULTS = { latencyMs: 1, loss: 0 } as const;

/** The split server's access link, shared by every transfer that crosses it. */
const accessSchema = z
  .object({
    uplinkMbps: positive('what the host can send, megabit/s'),
    downlinkMbps: positive('what the host can receive, megabit/s'),
    latencyMs: nonNegative('one-way latency of the access link in ms').default(ACCESS_DEFAULTS.latencyMs),
    loss: z.number().min(0).max(0.5).default(ACCESS_DEFAULTS.loss).describe('per-packet loss probability'),
    uplinkTrace: traceRefSchema.optional(),
    downlinkTrace: traceRefSchema.optional(),
  })
  .strict();

/** The federator's own access link: a field left out inherits from network.server, then the defaults. */
const federatorAccessSchema = z
  .object({
    uplinkMbps: positive('what the federator can send, megabit/s — left out: network.server.uplinkMbps').optional(),
    downlinkMbps: positive('what the federator can receive, megabit/s — left out: network.server.downlinkMbps').optional(),
    latencyMs: nonNegative(`one-way latency in ms — left out: network.server.latencyMs, then ${ACCESS_DEFAULTS.latencyMs}`).optional(),
    loss: z.number().min(0).max(0.5).optional().describe(`per-packet loss probability — left out: network.server.loss, then ${ACCESS_DEFAULTS.loss}`),
    uplinkTrace: traceRefSchema.optional().describe('left out: network.server.uplinkTrace'),
    downlinkTrace: traceRefSchema.optional().describe('left out: network.server.downlinkTrace'),
  })
  .strict();

/** A named network profile or explicit links; explicit fields override the profile. */
export const networkSchema = z
  .object({
    profile: z
      .enum(['hospital-fiber', 'campus-lan', 'rural-4g', 'satellite', 'custom'])
      .describe('preset link parameters for every client (see README)')
      .default('hospital-fiber'),
    uplink: linkOverrideSchema(false)
      .optional()
      .describe("overrides of the profile uplink (client → server), field by field: a field left out keeps the profile's value"),
    downlink: linkOverrideSchema(false)
      .optional()
      .describe("overrides of the profile downlink (server → client), field by field: a field left out keeps the profile's value"),
    perClient: z
      .array(
        z
          .object({ uplink: linkOverrideSchema(true).optional(), downlink: linkOverrideSchema(true).optional() })
          .strict(),
      )
      .optional()
      .describe('per-client overrides, index = client number; a field left out inherits from network.uplink/downlink, then the profile'),
    mode: z.enum(['reliable', 'lossy']).default('reliable').describe('reliable: loss costs retransmissions; lossy: a lost message is gone'),
    mtuBytes: z.number().int().min(576).max(65535).default(1500),
    rtoMs: positive('TCP retransmission timeout in ms').default(200),
    dropoutProb: probability('probability that a client is offline for a whole round').default(0),
    server: accessSchema.optional().describe("the split server's access link; setting it selects the flow model"),
    federator: federatorAccessSchema
      .optional()
      .describe("the federator's own access link; fields left out inherit from network.server (default, when unset: it shares the server's link)"),
    model: z.enum(['fifo', 'flow']).optional().describe('fifo: per-link queues; flow: TCP flows with max-min sharing (default: flow when server is set)'),
    congestionControl: z.enum(['cubic', 'reno']).default('cubic').describe('flow model: the TCP congestion control it predicts'),
    availability: z
      .object({
        schedule: z
          .string()
          .min(1)
          .optional()
          .describe('file of "time_s client state" lines (client index or *; on/off), relative to the scenario file\'s folder'),
        crashProb: probability('probability that a client crashes during a round (before a uniformly drawn local step)').default(0),
        stragglerFraction: probability('fraction of clients that compute slower').default(0),
        stragglerSlowdown: z.number().min(1).default(1).describe('compute slowdown factor of a straggler'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const dataSchema = z
  .object({
    kind: z.enum(['lesion', 'blastocyst', 'folder']).default('lesion').describe('synthetic set, or a folder of images and masks'),
    path: z
      .string()
      .min(1)
      .optional()
      .describe("root folder when kind = folder, relative to the scenario file's folder (a --set value: to the current directory)"),
    size: z.number().int().min(16).max(1024).default(64).describe('images are resized to size × size'),
    samplesPerClient: z.number().int().min(1).default(64),
    testSamples: z.number().int().min(1).default(64),
    partition: z.enum(['iid', 'dirichlet', 'folder']).default('iid'),
    alpha: positive('Dirichlet concentration (smaller = more skewed)').default(0.5),
    styleShift: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('synthetic data only (lesion, blastocyst): per-client appearance shift, 0 = none; folder images are used as they are'),
    classes: z.number().int().min(2).max(256).optional().describe('number of classes (folder: default inferred from the masks)'),
    maskMode: z
      .enum(['auto', 'index', 'binary'])
      .default('auto')
      .describe('folder masks: index = value is the class id; binary = 0/255 → 0/1; auto = binary when the masks hold exactly two values that are not class ids'),
  })
  .strict();

export const modelSchema = z
  .object({
    baseChannels: z.number().int().min(1).max(256).default(8),
    depth: z.number().int().min(3).max(6).default(3),
  })
  .strict();

export const protocolSchema = z
  .object({
    topology: z.enum(['u-shaped', 'label-sharing']).default('u-shaped'),
    variant: z.enum(['sflv1', 'sflv2']).default('sflv1'),
    clients: z.number().int().min(1).max(100000).default(4),
    clientsPerRound: z.number().int().min(1).optional().describe('clients selected each round (default: all)'),
    aggregateFirst: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('over-selection: aggregate as soon as this many selected clients reported (default: all selected)'),
    rounds: z.number().int().min(1).default(5),
    localEpochs: z.number().int().min(1).default(1),
    batchSize: z.number().int().min(1).default(8),
    roundDeadlineS: positive('virtual seconds after the round starts when the federator stops waiting').default(3600),
    turnTimeoutS: positive('SFLV2: idle seconds before the server passes the turn on').default(120),
    stepTimeoutS: positive('seconds a client waits for a reply before skipping the batch (lossy networks)').default(60),
    weightBits: z
      .union([z.literal(8), z.literal(16), z.literal(32)])
      .default(32)
      .describe("how the model's weights travel (weights.up, weights.down): 32 = full fp32 weights; 16 = fp16, 8 = 8-bit deltas (up: against the round's global; down: against the previous round's, to clients that reported in it), one grid per parameter tensor"),
  })
  .strict();

export const optimizerSchema = z
  .object({
    lr: positive('Adam learning rate').default(0.001),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
  })
  .strict();

/** Each classic codec option's schema (`bits`, `fraction`, …), from the codecs' descriptors. */
const classicOptionFields: Record<string, z.ZodDefault<z.ZodNumber>> = Object.fromEntries(
  Object.entries(CLASSIC_OPTIONS).map(([field, o]) => [field, o.schema]),
);

export const codecSchema = z
  .object({
    name: z
      .enum(SPLIT_CODEC_NAMES as [string, ...string[]])
      .default('none')
      .describe(
        'codec of the split tensors; factorized, hyperprior and cheng2020-attn are learned and trained with the model; topk (with error feedback) and ayad (Ayad et al. 2021: a factorized autoencoder frozen after freezeAfterRounds, gradients sent only when the loss is above lossThreshold) are baselines',
      ),
    ...classicOptionFields,
    freezeAfterRounds: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('ayad and learned codecs: rounds in which the codecs train with the model; they are frozen from then on, so the model parts adapt to the codec they will be deployed with (ayad default 1; learned default: never frozen)'),
    lossThreshold: z
      .number()
      .min(0)
      .default(0.1)
      .describe("ayad: a batch's gradient is sent only when its training loss (cross-entropy + 1 − Dice) is above this; otherwise a header-only skip notice, and neither M nor FE steps on it"),
    scheme: z.enum(['features', 'gradients', 'both']).default('both').describe('which split tensors are compressed'),
    lambda: z.number().min(0).optional().describe('learned: weight of the rate (bits per element) in task + λ·rate (default per codec)'),
    lambdaG: z.number().gt(0).optional().describe('learned: weight of MSE in the gradient codecs\' rate + λ_g·MSE (default per codec)'),
    distortion: z
      .number()
      .min(0)
      .default(5)
      .describe('learned: weight of the feature codecs\' reconstruction MSE (in units of the tensor\'s RMS), added to task + λ·rate: it keeps every sender\'s copy close to an autoencoder of the features, so the averaged codec decodes what the parts were trained on (0: task + λ·rate only)'),
    latent: z.number().int().min(2).max(512).optional().describe('learned: latent channels N (default 8)'),
    stages: z.number().int().min(1).max(6).optional().describe('learned: stride-2 stages of the analysis (default 2 for split tensors ≤ 32 px, else 3)'),
    context: z.enum(['serial', 'checkerboard']).default('checkerboard').describe('cheng2020-attn: context model'),
    lr: z
      .number()
      .gt(0)
      .default(0.001)
      .describe('learned: Adam learning rate of the feature codecs\' analysis and synthesis transforms'),
    gradientLr: z
      .number()
      .gt(0)
      .default(0.001)
      .describe('learned: Adam learning rate of the gradient codecs\' analysis and synthesis transforms (faster than lr: a gradient codec trains on every tensor it encodes and no model part co-adapts to its output)'),
    entropyLr: z
      .number()
      .gt(0)
      .default(0.003)
      .describe('learned: Adam learning rate of the codecs\' entropy models (fast: they set the rate, not the decoded values)'),
    warmupRounds: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('learned: rounds in which gradients travel uncompressed while their codecs train on them'),
    syncEvery: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("learned: the codecs' weights are averaged and sent (codec.up, codec.down) every N rounds, and in the last round they train and the run's last round; in between each copy trains on alone and both ends code with the last synced copy"),
    updateBits: z
      .union([z.literal(8), z.literal(16), z.literal(32)])
      .default(32)
      .describe("learned: how codec weights travel: 32 = full fp32 weights; 16 = fp16, 8 = 8-bit deltas against the last synced copy (per codec tensor); a client without that copy gets full weights"),
  })
  .strict();

export const devicesSchema = z
  .object({
    client: z.string().min(1).default('edge-cpu').describe('device profile of every client'),
    server: z.string().min(1).default('datacenter-gpu').describe('device profile of the split server'),
  })
  .strict();

export const computeSchema = z
  .object({
    backend: z.enum(['auto', 'webgpu', 'wasm', 'tfjs-node-gpu', 'tfjs-node', 'cpu']).default('auto'),
    workers: z.number().int().min(1).max(64).default(2).describe('compute pool threads'),
    actorHosts: z.number().int().min(1).max(64).default(1).describe('worker threads hosting the actors'),
  })
  .strict();

export const evaluationSchema = z
  .object({
    targets: z.array(probability('mean IoU target')).default([0.7, 0.8]),
    every: z.number().int().min(1).default(1).describe('evaluate every N rounds (the last round always)'),
    tailRounds: z.number().int().min(1).default(3).describe('final.tailMeanIoU = mean of the last N evaluations'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1).default('scenario'),
    description: z.string().optional(),
    seed: z.number().int().min(0).default(1),
    data: dataSchema.default(dataSchema.parse({})),
    model: modelSchema.default(modelSchema.parse({})),
    protocol: protocolSchema.default(protocolSchema.parse({})),
    optimizer: optimizerSchema.default(optimizerSchema.parse({})),
    codec: codecSchema.default(codecSchema.parse({})),
    network: networkSchema.default(networkSchema.parse({})),
    devices: devicesSchema.default(devicesSchema.parse({})),
    compute: computeSchema.default(computeSchema.parse({})),
    evaluation: evaluationSchema.default(evaluationSchema.parse({})),
  })
  .strict();

/** A validated scenario with every default filled in. */
export type Scenario = z.infer<typeof scenarioSchema>;
export type LinkConfig = z.infer<typeof linkSchema>;
/** A link override as written (network.uplink, perClient[k].downlink, …): only the fields stated. */
export type LinkOverride = NonNullable<Scenario['network']['uplink']>;
/** The split server's access link, resolved. */
export type AccessConfig = z.infer<typeof accessSchema>;
