/**
 * Model-part tasks: forward and backward passes of FE and M, and the training step of the part
 * that computes the loss (BE on a U-shaped client, S on the label-sharing server). Each runs on
 * the pool; its FLOPs are taskFlops.ts's.
 */
import type { Blob } from '../../compute/blobStore.js';
import type { PoolRequest, TensorMsg } from '../../compute/types.js';
import type { PartName } from '../../model/types.js';
import type { TaskArgs, TaskName } from '../../protocol/messages.js';
import { stateKey } from '../../protocol/index.js';
import { backwardFlops, CODEC_IN_BACKWARD_PASSES, forwardFlops, trainFlops } from './taskFlops.js';
import type { TaskContext } from './taskContext.js';
import type { TaskHandler, TaskStart } from './types.js';

/** `fe.forward`: the front end on the batch (label-sharing: the labels travel with the features). */
export const feForward: TaskHandler = (ctx, _actor, args) => {
  const roles = ctx.world.roles;
  const { x, y } = ctx.batch(args.client ?? -1, args.round, args.step);
  const { flops, job } = forward(ctx, args, roles.front, x);
  // Label-sharing: the labels travel with the features, so they become a blob too.
  const withLabels = job.then((o) => (roles.back === null ? { outputs: [...o.outputs, { kind: 'labels', data: y.data, shape: y.shape } as Blob] } : o));
  return { flops, job: withLabels };
};

/** `fe.backward`: backprop FE with the decoded gradient; a learned F1 codec in the graph trains here. */
export const feBackward: TaskHandler = (ctx, actor, args) => {
  const { x } = ctx.batch(args.client ?? -1, args.round, args.step);
  const d = (args.inputs ?? []).map((r) => ctx.tensor(r, true));
  // A frozen codec (no trainable copy) is still in the graph: FE learns against what is on the wire.
  return backward(ctx, actor, args, ctx.world.roles.front, 'F1', [x], d, false);
};

/** `m.forward`: the server part on the decoded features (not consumed: m.backward needs them). */
export const mForward: TaskHandler = (ctx, _actor, args) => forward(ctx, args, ctx.world.roles.server, ctx.tensor(args.inputs?.[0], false));

/** Part `name` of client k's copy forward on `x`. */
function forward(ctx: TaskContext, args: TaskArgs, name: PartName, x: TensorMsg): TaskStart {
  const req: PoolRequest = {
    task: 'part.forward',
    model: ctx.modelKey,
    part: name,
    params: ctx.world.store.get(stateKey(args.client ?? -1, name, ctx.world.scenario.protocol.variant)).params,
    inputs: [x],
  };
  return { flops: forwardFlops(ctx.part(name), x.shape[0] ?? 0), job: ctx.pooled(req) };
}

/** `m.backward`: backprop M with the decoded gradient; a learned F2 codec in the graph trains here. */
export const mBackward: TaskHandler = (ctx, actor, args) => {
  const inputs = args.inputs ?? [];
  const f1 = ctx.tensor(inputs[0], true);
  const g2 = ctx.tensor(inputs[1], true);
  return backward(ctx, actor, args, ctx.world.roles.server, 'F2', [f1], [g2], true);
};

/**
 * Backprop part `name` of client k's copy on `inputs` with the decoded gradients `dOutputs`,
 * and an Adam step; the slot's learned codec (trainable, or frozen) stays in the graph. A
 * trainable codec's own step is a task of its own (TaskContext.codecStep) on the part's output
 * as sent, which the backward pass returns: the part's gradients do not wait for it.
 */
function backward(
  ctx: TaskContext,
  actor: string,
  args: TaskArgs,
  name: PartName,
  slot: 'F1' | 'F2',
  inputs: TensorMsg[],
  dOutputs: TensorMsg[],
  inputGrads: boolean,
): TaskStart {
  const k = args.client ?? -1;
  const part = ctx.part(name);
  const trainer = ctx.trainerIn(slot, k, args.round);
  const codec = ctx.codecOf(slot, trainer);
  const req: PoolRequest = {
    task: 'part.backward',
    model: ctx.modelKey,
    part: name,
    state: ctx.world.store.get(stateKey(k, name, ctx.world.scenario.protocol.variant)),
    adam: ctx.adam,
    inputs,
    dOutputs,
    inputGrads,
    ...('spec' in codec ? { outputCodec: codec } : {}),
  };
  const d = dOutputs[0];
  const codecCost = 'spec' in codec ? CODEC_IN_BACKWARD_PASSES * ctx.codecFlops(slot, d?.data.length ?? 0, d?.shape[3] ?? 1) : 0;
  const flops = backwardFlops(part, inputs[0]?.shape[0] ?? 0, codecCost);
  if (!('spec' in codec) || codec.train === undefined || trainer === undefined) return { flops, job: ctx.pooled(req) };
  const { train: _, ...wire } = codec;
  const d0: TensorMsg | undefined = d === undefined ? undefined : { data: d.data.slice(), shape: d.shape };
  const run = ctx.pool.run({ ...req, outputCodec: wire, returnSent: true });
  ctx.codecStep(
    actor,
    slot,
    trainer,
    run.then((r) => ({ task: 'codec.train', role: 'feature', learned: codec, tensor: r.outputs[r.outputs.length - 1] as TensorMsg, ...(d0 ? { dOutput: d0 } : {}) })),
  );
  const job = run.then((r) => ({ outputs: r.outputs.slice(0, -1).map((o): Blob => ({ kind: 'tensor', data: o.data, shape: o.shape })) }));
  return { flops, job };
}

/** `be.train` (U-shaped client) and `s.train` (label-sharing server): the part that computes the loss. */
export const train: TaskHandler = (ctx, _actor, args, task) => {
  const variant = ctx.world.scenario.protocol.variant;
  const roles = ctx.world.roles;
  const k = args.client ?? -1;
  const inputs = args.inputs ?? [];
  const name = task === 'be.train' ? (roles.back as PartName) : roles.server;
  const part = ctx.part(name);
  const owner = task === 'be.train' ? stateKey(k, name, variant) : stateKey(k, name, variant);
  const tensors =
    task === 'be.train' ? inputs.map((r) => ctx.tensor(r, true)) : [ctx.tensor(inputs[0], true)];
  const y = task === 'be.train' ? ctx.batch(k, args.round, args.step).y : ctx.labels(inputs[1]);
  const req: PoolRequest = {
    task: 'part.train',
    model: ctx.modelKey,
    part: name,
    state: ctx.world.store.get(owner),
    adam: ctx.adam,
    inputs: tensors,
    labels: y,
  };
  const n = tensors[0]?.shape[0] as number;
  const job = ctx.pooled(req).then((o) => {
    // Loss gates (ayad) decide on this batch's loss when its gradient is encoded.
    if (o.loss !== undefined) ctx.losses.set(k, { round: args.round, step: args.step, loss: o.loss });
    return o;
  });
  return { flops: trainFlops(part, n), job };
};

/** The model-part tasks by name. */
export const MODEL_TASKS = {
  'fe.forward': feForward,
  'fe.backward': feBackward,
  'm.forward': mForward,
  'm.backward': mBackward,
  'be.train': train,
  's.train': train,
} satisfies Partial<Record<TaskName, TaskHandler>>;
