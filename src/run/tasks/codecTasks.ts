/**
 * Codec tasks: encode and decode a split tensor with its slot's codec (classic, learned, or the
 * loss gate), error feedback kept in virtual order. FLOPs per element come from the codec
 * descriptors (src/codecs/codecPlan.ts).
 */
import { TaskErrors } from './errors.js';
import { SKIPPED_CODEC, skippedContainer } from '../../codecs/index.js';
import type { Blob } from '../../compute/blobStore.js';
import type { PoolRequest, TensorMsg } from '../../compute/types.js';
import type { TaskArgs, TaskName } from '../../protocol/messages.js';
import { codecLabel, type SlotPlan } from '../codecPlan.js';
import type { TaskContext } from './taskContext.js';
import { CODEC_TRAINING_ENCODE_PASSES } from './taskFlops.js';
import type { TaskHandler, TaskOutcome, TaskStart } from './types.js';

/** `encode`: a split tensor into container bytes with its slot's codec (gradient codecs train on what they encode). */
export const encode: TaskHandler = (ctx, actor, args) => {
  const s = ctx.world.scenario;
  const k = args.client ?? -1;
  const inputs = args.inputs ?? [];
  const slot = args.slot ?? 'F1';
  const plan = ctx.plan(slot);
  const t = ctx.tensor(inputs[0], true);
  const elements = t.data.length;
  const channels = t.shape[t.shape.length - 1] ?? 1;
  if (plan.kind === 'lossGate') return gateEncode(ctx, plan, k, args, t);
  // Gradient codecs train on what they encode; feature codecs train in the backward pass.
  const trains = plan.kind === 'learned' && plan.role === 'gradient';
  const codec = ctx.codecOf(slot, trains ? k : undefined);
  if ('spec' in codec && trains && args.round < s.codec.warmupRounds) codec.passthrough = true;
  const label = 'spec' in codec && codec.passthrough ? 'none' : codecLabel(plan);
  const toBlob = (r: { bytes?: Uint8Array }): TaskOutcome => ({
    outputs: [{ kind: 'bytes', data: r.bytes as Uint8Array, rawBytes: elements * 4, codec: label }],
  });
  if (plan.kind === 'classic' && plan.errorFeedback === true) {
    const key = `${slot}/${k}/[${t.shape.join(',')}]`;
    const residual = ctx.residual(key, elements);
    // One encode per residual at a time, in start (= virtual) order, whichever worker runs it.
    const before = ctx.residualJobs.get(key) ?? Promise.resolve();
    const job = before.then(() => ctx.pool.run({ task: 'encode', codec: plan.options, tensor: t, residual })).then(toBlob);
    ctx.residualJobs.set(key, job.catch(() => undefined));
    return { flops: ctx.codecFlops(slot, elements, channels), job };
  }
  let req: PoolRequest;
  if ('spec' in codec && codec.train !== undefined) {
    // The gradient codec's step is a task of its own: the bytes come from the global parameters and do not wait for it.
    const { train: _, ...wire } = codec;
    const copy: TensorMsg = { data: t.data.slice(), shape: t.shape };
    req = { task: 'encode', codec: { name: 'none' }, learned: wire, tensor: t };
    const job = ctx.pool.run(req).then(toBlob);
    ctx.codecStep(actor, slot, k, Promise.resolve({ task: 'codec.train', role: 'gradient', learned: codec, tensor: copy }));
    return { flops: CODEC_TRAINING_ENCODE_PASSES * ctx.codecFlops(slot, elements, channels), job };
  }
  req = 'spec' in codec ? { task: 'encode', codec: { name: 'none' }, learned: codec, tensor: t } : { task: 'encode', codec, tensor: t };
  return { flops: (trains ? CODEC_TRAINING_ENCODE_PASSES : 1) * ctx.codecFlops(slot, elements, channels), job: ctx.pool.run(req).then(toBlob) };
};

/** `decode`: container bytes back into a tensor with its slot's codec. */
export const decode: TaskHandler = (ctx, _actor, args) => {
  const inputs = args.inputs ?? [];
  const slot = args.slot ?? 'F1';
  const b = ctx.bytes(inputs[0]);
  const elements = b.rawBytes / 4;
  const codec = ctx.codecOf(slot);
  const req: PoolRequest = 'spec' in codec ? { task: 'decode', bytes: b.data, learned: codec } : { task: 'decode', bytes: b.data };
  const channels = 'spec' in codec ? codec.spec.channels : 1;
  return { flops: ctx.codecFlops(slot, elements, channels), job: ctx.pooled(req) };
};

/**
 * A loss gate's encode (Ayad et al. 2021): the batch's gradient goes as fp32 when the sender's
 * training loss of that batch is above the threshold, else as a header-only `skipped` container
 * (its bytes are logged; the receiver runs no optimiser step for the batch).
 */
function gateEncode(
  ctx: TaskContext,
  plan: Extract<SlotPlan, { kind: 'lossGate' }>,
  k: number,
  args: TaskArgs,
  t: TensorMsg,
): TaskStart {
  const rec = ctx.losses.get(k);
  if (rec === undefined || rec.round !== args.round || rec.step !== args.step) {
    throw TaskErrors.noGateLoss(plan.slot, k, args.round, args.step);
  }
  const rawBytes = t.data.length * 4;
  if (rec.loss <= plan.threshold) {
    const blob: Blob = { kind: 'bytes', data: skippedContainer(t.shape), rawBytes, codec: SKIPPED_CODEC };
    return { flops: 1, job: Promise.resolve({ outputs: [blob] }) };
  }
  const job = ctx.pool.run({ task: 'encode', codec: { name: 'none' }, tensor: t }).then(
    (r): TaskOutcome => ({ outputs: [{ kind: 'bytes', data: r.bytes as Uint8Array, rawBytes, codec: codecLabel(plan) }] }),
  );
  return { flops: ctx.codecFlops(plan.slot, t.data.length, 1), job };
}

/** The codec tasks by name. */
export const CODEC_TASKS = { encode, decode } satisfies Partial<Record<TaskName, TaskHandler>>;
