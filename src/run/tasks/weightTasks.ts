
import { TaskErrors } from './errors.js';
import { fedAvg } from '../../model/index.js';
import type { TaskName } from '../../protocol/messages.js';
import { stateKey } from '../../protocol/index.js';
import type { TaskContext } from './taskContext.js';
import { fedAvgFlops } from './taskFlops.js';
import type { TaskHandler, TaskOutcome } from './types.js';

/** `weights.pack` (a client's update) and `global.pack` (the federator's round start). */
export const packWeights: TaskHandler = (ctx, actor, args, task) => {
  const variant = ctx.world.scenario.protocol.variant;
  const roles = ctx.world.roles;
  const k = args.client ?? -1;
  const owner = task === 'global.pack' ? 'global' : k;
  const parts = roles.client.map((p) => ctx.world.store.get(stateKey(owner, p, variant)).params);
  const total = parts.reduce((a, p) => a + p.length, 0);
  const pack = (): TaskOutcome => {
    const flat = new Float32Array(total);
    let off = 0;
    for (const p of parts) {
      flat.set(p, off);
      off += p.length;
    }
    if (task === 'weights.pack') return { outputs: [ctx.weights.up(args.round, flat), ...ctx.codecs.codecUp(k, args.round)] };
    // The round's global is what a delta's receiver rebuilds (weightSync): the federator adopts it.
    const { global, blobs } = ctx.weights.pack(args.round, flat);
    if (ctx.weights.bits !== 32) ctx.unpackInto('global', global, roles.client, false);
    return { outputs: [...blobs, ...ctx.codecs.codecDown(args.round)] };
  };
  return { flops: total + ctx.codecs.codecElements(), job: ctx.afterJobsOf(actor, pack) };
};

/** `weights.load`: a client adopts the round's weights (and a codec update when its copy is behind). */
export const loadWeights: TaskHandler = (ctx, actor, args) => {
  const variant = ctx.world.scenario.protocol.variant;
  const k = args.client ?? -1;
  const inputs = args.inputs ?? [];
  const ref = inputs[0];
  if (ref === undefined) throw TaskErrors.weightsLoad('no weights blob');
  const b = ctx.blobs.get(ref.id);
  if (b.kind !== 'bytes') throw TaskErrors.weightsLoad(`blob ${ref.id} is ${b.kind}`);
  // The round's weights are a shared buffer: read, not consumed.
  const flat = ctx.weights.read(b, args.round - 1);
  // A codec update (when the client's copy is behind): its client codecs restart from it; the
  // server's codecs (the rest) only decode, and stay in the global copy the client received.
  const codec = inputs[1] !== undefined ? ctx.codecs.readCodecUpdate(inputs[1], ctx.codecs.codecParts, args.round, false) : null;
  const load = (): TaskOutcome => {
    ctx.unpackInto(k, flat, ctx.world.roles.client, false);
    if (codec !== null) {
      ctx.world.clientCodecParts.forEach((p, i) => ctx.world.store.setParams(stateKey(k, p, variant), codec[i] as Float32Array));
    }
    return { outputs: [] };
  };
  return { flops: flat.length + (codec?.reduce((a, c) => a + c.length, 0) ?? 0), job: ctx.afterJobsOf(actor, load) };
};

/** `aggregate`: the federator's FedAvg of the client-side parts and (in a sync round) the client codecs. */
export const aggregate: TaskHandler = (ctx, _actor, args) => {
  const variant = ctx.world.scenario.protocol.variant;
  const inputs = args.inputs ?? [];
  // Inputs: each participant's weights.up, then (in a codec sync round) each one's codec.up.
  const n = args.participants?.length ?? inputs.length;
  const updates = inputs.slice(0, n).map((r, i) => ({
    params: ctx.weights.read(ctx.bytes(r), args.round),
    samples: args.samples?.[i] ?? 1,
  }));
  const codecParts = ctx.codecs.upCodecParts(args.round);
  const codecUpdates = inputs.slice(n).map((r, i) => ({
    values: ctx.codecs.readCodecUpdate(r, codecParts, args.round, true),
    samples: args.samples?.[i] ?? 1,
  }));
  let flops = 0;
  if (updates.length > 0) {
    const avg = fedAvg(updates);
    ctx.unpackInto('global', avg, ctx.world.roles.client, false);
    flops = fedAvgFlops(avg.length, updates.length);
  }
  codecParts.forEach((p, j) => {
    if (codecUpdates.length === 0) return;
    const avg = fedAvg(codecUpdates.map((u) => ({ params: u.values[j] as Float32Array, samples: u.samples })));
    ctx.world.store.setParams(stateKey('global', p, variant), avg);
    flops += fedAvgFlops(avg.length, codecUpdates.length);
  });
  return { flops, job: Promise.resolve({ outputs: [] }) };
};

/** `m.aggregate`: the split server's FedAvg of its copies, after its running jobs. */
export const mAggregate: TaskHandler = (ctx, actor, args) => {
  const variant = ctx.world.scenario.protocol.variant;
  const roles = ctx.world.roles;
  const participants = args.participants ?? [];
  const flops = [roles.server, ...ctx.codecs.serverSynced(args.round)].reduce(
    (a, part) => a + fedAvgFlops(ctx.world.store.get(stateKey('global', part, variant)).params.length, participants.length),
    0,
  );
  return { flops, job: ctx.afterJobsOf(actor, () => aggregateServer(ctx, participants, args.samples ?? [], args.round)) };
};

/** The split server's FedAvg of its copies (SFLV1) of M and of the codecs it trains; every copy restarts from it. */
function aggregateServer(ctx: TaskContext, participants: readonly number[], samples: readonly number[], round: number): TaskOutcome {
  const s = ctx.world.scenario;
  const variant = s.protocol.variant;
  // A frozen codec's copies were not trained: the global one stays exactly as it is.
  // Between codec syncs each server copy of a codec trains on alone (codec.syncEvery).
  for (const part of [ctx.world.roles.server, ...ctx.codecs.serverSynced(round)]) {
    const globalKey = stateKey('global', part, variant);
    if (variant === 'sflv2') {
      ctx.world.store.setParams(globalKey, ctx.world.store.get(stateKey(0, part, variant)).params);
      continue;
    }
    if (participants.length > 0) {
      const avg = fedAvg(
        participants.map((c, i) => ({ params: ctx.world.store.get(stateKey(c, part, variant)).params, samples: samples[i] ?? 1 })),
      );
      ctx.world.store.setParams(globalKey, avg);
    }
    // Every copy restarts from the aggregate, participants or not.
    const global = ctx.world.store.get(globalKey).params;
    for (let c = 0; c < s.protocol.clients; c++) ctx.world.store.setParams(stateKey(c, part, variant), global);
  }
  return { outputs: [] };
}

/** The weight tasks by name. */
export const WEIGHT_TASKS = {
  'weights.pack': packWeights,
  'global.pack': packWeights,
  'weights.load': loadWeights,
  aggregate,
  'm.aggregate': mAggregate,
} satisfies Partial<Record<TaskName, TaskHandler>>;
