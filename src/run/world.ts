/**
 * Everything a run is made of, built from a validated scenario: data per client, the split
 * model and its initial weights, model state in shared memory, network, devices, actors.
 */
import type { ActorSpec } from '../actors/effects.js';
import { clientIndex, clientName, stateKey } from '../protocol/index.js';
import { buildClientData, type ClientData } from '../data/index.js';
import { buildSplitUNet, initModelParams } from '../model/index.js';
import type { PartName, SplitModel, UNetConfig } from '../model/types.js';
import { ParamStore } from '../compute/paramStore.js';
import { clientLinks, resolvedNetworkConfig } from '../scenario/resolveNetwork.js';
import type { Scenario } from '../scenario/schema.js';
import {
  Availability,
  Device,
  DEVICE_PROFILES,
  Link,
  Network,
  Rng,
  TraceFiles,
  availabilityFromConfig,
  networkSpecFromConfig,
} from '../sim/index.js';
import { createLearnedCodec } from '../codecs/learned/index.js';
import { codecSyncRounds } from './codecSync.js';
import { codecPlan, type SlotPlan } from './codecPlan.js';

/** The parts a client holds, and the one the server holds, per topology. */
export interface PartRoles {
  client: PartName[];
  /** The client part that takes the images. */
  front: PartName;
  /** The client part that computes the loss (u-shaped), or null. */
  back: PartName | null;
  server: PartName;
}

export function partRoles(topology: Scenario['protocol']['topology']): PartRoles {
  return topology === 'u-shaped'
    ? { client: ['FE', 'BE'], front: 'FE', back: 'BE', server: 'M' }
    : { client: ['FE1'], front: 'FE1', back: null, server: 'S' };
}

export interface World {
  scenario: Scenario;
  rng: Rng;
  data: ClientData;
  model: SplitModel;
  roles: PartRoles;
  store: ParamStore;
  /** Client links (FIFO or flow model) and the federator ↔ split server backbone. */
  network: Network;
  availability: Availability;
  clientDevices: Device[];
  serverDevice: Device;
  federatorDevice: Device;
  /** Local steps per round of each client. */
  steps: number[];
  /** The codec of each split tensor. */
  codecs: SlotPlan[];
  /** Learned codec slots' state names (`codec/F1`, …) held by clients, and by the server. */
  clientCodecParts: string[];
  serverCodecParts: string[];
  actors: ActorSpec[];
}

/** The device an actor computes on. */
export function deviceOf(world: World, actor: string): Device {
  if (actor === 'server') return world.serverDevice;
  if (actor === 'federator') return world.federatorDevice;
  return world.clientDevices[clientIndex(actor)] as Device;
}

/** The SFL state-ownership rule lives with the protocol; re-exported for the run's modules. */
export { stateKey } from '../protocol/index.js';

export async function buildWorld(s: Scenario): Promise<World> {
  const rng = new Rng(s.seed);
  const clients = s.protocol.clients;
  const data = await buildClientData({
    kind: s.data.kind,
    ...(s.data.path !== undefined ? { path: s.data.path } : {}),
    size: s.data.size,
    samplesPerClient: s.data.samplesPerClient,
    testSamples: s.data.testSamples,
    clients,
    partition: s.data.partition,
    alpha: s.data.alpha,
    styleShift: s.data.styleShift,
    seed: s.seed,
    maskMode: s.data.maskMode,
    ...(s.data.classes !== undefined ? { classes: s.data.classes } : {}),
  });
  const cfg: UNetConfig = {
    inChannels: data.dataset.channels,
    classes: data.dataset.classes,
    baseChannels: s.model.baseChannels,
    depth: s.model.depth,
    size: s.data.size,
  };
  const model = buildSplitUNet(cfg, s.protocol.topology);
  const roles = partRoles(s.protocol.topology);
  const init = initModelParams(model, rng.child('model/init'));
  const store = new ParamStore();
  const variant = s.protocol.variant;
  for (const part of [...roles.client, roles.server]) {
    const p = init[part];
    if (p === undefined) throw new Error(`model has no part ${part}`);
    store.create(stateKey('global', part, variant), p);
  }
  for (let k = 0; k < clients; k++) {
    for (const part of roles.client) store.create(stateKey(k, part, variant), init[part] as Float32Array);
    if (variant === 'sflv1') store.create(stateKey(k, roles.server, variant), init[roles.server] as Float32Array);
  }
  if (variant === 'sflv2') store.create(stateKey(0, roles.server, variant), init[roles.server] as Float32Array);

  // Learned codecs: a global (wire) copy per slot, and a trainable copy where the sender is.
  const codecs = codecPlan(s, model);
  const clientCodecParts: string[] = [];
  const serverCodecParts: string[] = [];
  for (const plan of codecs) {
    if (plan.kind !== 'learned') continue;
    const part = `codec/${plan.slot}`;
    const initial = createLearnedCodec(plan.spec).init(rng.child(part));
    store.create(stateKey('global', part, variant), initial);
    (plan.sender === 'client' ? clientCodecParts : serverCodecParts).push(part);
    const owners = plan.sender === 'client' || variant === 'sflv1' ? clients : 1;
    for (let k = 0; k < owners; k++) store.create(stateKey(k, part, variant), initial);
  }

  // Client links, the server's shared access link (flow model), traces, loss: src/sim/networkConfig.ts.
  const traceFiles = new TraceFiles();
  // Federator ↔ split server: both sit in the data centre, joined by a fast LAN (routed by the network).
  const backbone = new Link(
    'backbone',
    { bandwidthMbps: 10_000, latencyMs: 0.1, jitterMs: 0, loss: 0, mode: 'reliable' },
    rng.child('network/backbone'),
  );
  const network = new Network(
    networkSpecFromConfig(resolvedNetworkConfig(s), clients, (k) => clientLinks(s, k), traceFiles),
    rng.child('network'),
    { field: 'network', backbone },
  );
  const availability = new Availability(availabilityFromConfig(resolvedNetworkConfig(s), traceFiles), rng.child('availability'), 'network');
  const profile = (name: string): (typeof DEVICE_PROFILES)[string] => {
    const p = DEVICE_PROFILES[name];
    if (p === undefined) throw new Error(`unknown device profile ${name}`);
    return p;
  };
  // Stragglers: a client's device runs `slowdown` times slower than its profile says.
  const clientDevices = Array.from({ length: clients }, (_, k) => {
    const p = profile(s.devices.client);
    const slow = availability.slowdown(k);
    return new Device(slow === 1 ? p : { ...p, gflops: p.gflops / slow }, 'devices.client');
  });
  const serverDevice = new Device(profile(s.devices.server), 'devices.server');
  const federatorDevice = new Device(profile(s.devices.server), 'devices.server');

  const steps = data.clientIndices.map((idx) => s.protocol.localEpochs * Math.ceil(idx.length / s.protocol.batchSize));
  const actors: ActorSpec[] = [
    {
      id: 'federator',
      kind: 'federator',
      input: {
        clients,
        clientsPerRound: s.protocol.clientsPerRound ?? clients,
        ...(s.protocol.aggregateFirst !== undefined ? { aggregateFirst: s.protocol.aggregateFirst } : {}),
        rounds: s.protocol.rounds,
        roundDeadlineS: s.protocol.roundDeadlineS,
        seed: s.seed,
        ...(s.protocol.weightBits !== 32 ? { weightDeltas: true } : {}),
        ...(clientCodecParts.length + serverCodecParts.length > 0
          ? { codecSync: codecSyncRounds(codecs, s.protocol.rounds, s.codec.syncEvery), clientCodecs: clientCodecParts.length > 0 }
          : {}),
      },
    },
    {
      id: 'server',
      kind: 'server',
      input: { topology: s.protocol.topology, variant, turnTimeoutS: s.protocol.turnTimeoutS },
    },
  ];
  for (let k = 0; k < clients; k++) {
    actors.push({
      id: clientName(k),
      kind: 'client',
      input: {
        id: k,
        topology: s.protocol.topology,
        variant,
        steps: steps[k] as number,
        samples: (data.clientIndices[k] as number[]).length,
        stepTimeoutS: s.protocol.stepTimeoutS,
      },
    });
  }
  return {
    scenario: s,
    rng,
    data,
    model,
    roles,
    store,
    network,
    availability,
    clientDevices,
    serverDevice,
    federatorDevice,
    steps,
    codecs,
    clientCodecParts,
    serverCodecParts,
    actors,
  };
}
