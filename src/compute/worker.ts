/**
 * A compute-pool worker: runs named tasks (types.ts) on tensors that arrive as buffers.
 * Each worker selects its tfjs backend once, builds models from their description on first
 * use, and keeps nothing else between tasks: model state lives in shared memory.
 */
import * as tf from '@tensorflow/tfjs';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { createCodec, decodeAny, ErrorFeedback } from '../codecs/index.js';
import { partBackward, partForward, partLossBackward } from '../model/grads.js';
import { confusion } from '../model/metrics.js';
import { buildSplitUNet, getPart } from '../model/unet.js';
import type { ModelPart, PartName, SplitModel } from '../model/types.js';
import { selectBackend, type BackendPreference } from './backend.js';
import { learnedDecode, learnedEncode, partBackwardThroughCodec } from './codecTasks.js';
import { partBackwardThroughFrozenCodec } from './frozenCodec.js';
import { adamStepShared } from './optimizer.js';
import type { LearnedRef, ModelKey, PoolRequest, PoolResult, TensorMsg, WorkerSettings } from './types.js';
import type { CodecOptions } from '../codecs/types.js';

const settings = (workerData ?? { backend: 'auto' }) as WorkerSettings;
let ready: Promise<string> | null = null;
const models = new Map<string, SplitModel>();

function init(): Promise<string> {
  ready ??= selectBackend(settings.backend as BackendPreference).then((r) => r.name);
  return ready;
}

function modelOf(key: ModelKey): SplitModel {
  const id = JSON.stringify(key);
  let m = models.get(id);
  if (m === undefined) {
    m = buildSplitUNet(key.config, key.topology);
    models.set(id, m);
  }
  return m;
}

function partOf(key: ModelKey, name: PartName): ModelPart {
  return getPart(modelOf(key), name);
}

function toTensor(t: TensorMsg): tf.Tensor {
  return tf.tensor(t.data, t.shape, 'float32');
}

function toMsg(t: tf.Tensor): TensorMsg {
  const data = t.dataSync() as Float32Array;
  // dataSync may return a view of backend memory: copy into a buffer of our own to transfer.
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
  return { data: own as Float32Array, shape: t.shape.slice() };
}

/** Marks every ArrayBuffer in the result for transfer (piscina's Transferable protocol). */
function transferable(result: PoolResult): unknown {
  const buffers = new Set<ArrayBuffer>();
  for (const o of result.outputs) buffers.add(o.data.buffer as ArrayBuffer);
  if (result.bytes) buffers.add(result.bytes.buffer as ArrayBuffer);
  if (result.confusion) buffers.add(result.confusion.buffer as ArrayBuffer);
  return move({
    get [transferableSymbol]() {
      return [...buffers];
    },
    get [valueSymbol]() {
      return result;
    },
  } as never);
}

function run(req: PoolRequest): PoolResult {
  switch (req.task) {
    case 'ping':
      return { outputs: [], backend: tf.getBackend() };
    case 'part.forward': {
      const part = partOf(req.model, req.part);
      const inputs = req.inputs.map(toTensor);
      const outs = partForward(part, req.params, inputs);
      const outputs = outs.map(toMsg);
      tf.dispose([...inputs, ...outs]);
      return { outputs };
    }
    case 'part.backward': {
      const part = partOf(req.model, req.part);
      const inputs = req.inputs.map(toTensor);
      const dOut = req.dOutputs.map((d) => (d === null ? null : toTensor(d)));
      const codec = req.outputCodec;
      const { dInputs, dParams } =
        codec === undefined
          ? partBackward(part, req.state.params, inputs, dOut)
          : codec.train !== undefined
            ? partBackwardThroughCodec(part, req.state.params, inputs, dOut, codec)
            : partBackwardThroughFrozenCodec(part, req.state.params, inputs, dOut, codec);
      const outputs = req.inputGrads ? dInputs.map(toMsg) : [];
      tf.dispose([...inputs, ...dOut.filter((d): d is tf.Tensor => d !== null), ...dInputs]);
      adamStepShared(req.state, dParams, req.adam);
      return { outputs };
    }
    case 'part.train': {
      const part = partOf(req.model, req.part);
      const inputs = req.inputs.map(toTensor);
      const labels = tf.tensor(Int32Array.from(req.labels.data), req.labels.shape, 'int32');
      const classes = req.model.config.classes;
      const { loss, dInputs, dParams } = partLossBackward(part, req.state.params, inputs, labels, classes);
      const outputs = dInputs.map(toMsg);
      tf.dispose([...inputs, labels, ...dInputs]);
      adamStepShared(req.state, dParams, req.adam);
      return { outputs, loss };
    }
    case 'encode': {
      if (req.learned) return { outputs: [], bytes: learnedEncode(req.learned, req.tensor) };
      const codec = createCodec(req.codec);
      // Error feedback: the residual lives in the sender's shared memory, not in this worker.
      const bytes = req.residual ? new ErrorFeedback(codec, { memory: req.residual }).encode(req.tensor) : codec.encode(req.tensor);
      return { outputs: [], bytes };
    }
    case 'decode': {
      const t = req.learned ? learnedDecode(req.learned, req.bytes) : decodeAny(req.bytes);
      return { outputs: [{ data: t.data, shape: t.shape }] };
    }
    case 'evaluate':
      return { outputs: [], confusion: evaluate(req) };
  }
}

/** Confusion counts of the whole model on one test batch, split tensors passed through their codecs. */
function evaluate(req: Extract<PoolRequest, { task: 'evaluate' }>): Float64Array {
  const model = modelOf(req.model);
  const classes = req.model.config.classes;
  const through = (slot: 'F1' | 'F2', t: tf.Tensor): tf.Tensor => {
    const c = req.codecs[slot];
    const msg = toMsg(t);
    let back;
    if (isLearned(c)) {
      back = learnedDecode(c, learnedEncode({ ...c, train: undefined } as LearnedRef, msg));
    } else {
      const codec = createCodec(c);
      back = codec.decode(codec.encode(msg));
    }
    return tf.tensor(back.data, back.shape, 'float32');
  };
  const param = (name: PartName): Float32Array => {
    const p = req.params[name];
    if (p === undefined) throw new Error(`evaluate: parameters of ${name} missing`);
    return p;
  };
  const x = toTensor(req.images);
  const keep: tf.Tensor[] = [x];
  let logits: tf.Tensor;
  if (model.topology === 'u-shaped') {
    const [f1, skip] = partForward(getPart(model, 'FE'), param('FE'), [x]) as [tf.Tensor, tf.Tensor];
    const f1hat = through('F1', f1);
    const [f2] = partForward(getPart(model, 'M'), param('M'), [f1hat]) as [tf.Tensor];
    const f2hat = through('F2', f2);
    [logits] = partForward(getPart(model, 'BE'), param('BE'), [f2hat, skip]) as [tf.Tensor];
    keep.push(f1, skip, f1hat, f2, f2hat);
  } else {
    const [f1] = partForward(getPart(model, 'FE1'), param('FE1'), [x]) as [tf.Tensor];
    const f1hat = through('F1', f1);
    [logits] = partForward(getPart(model, 'S'), param('S'), [f1hat]) as [tf.Tensor];
    keep.push(f1, f1hat);
  }
  const pred = tf.tidy(() => tf.argMax(logits, -1));
  const predData = pred.dataSync() as Int32Array;
  const conf = confusion(predData, req.labels.data, classes);
  tf.dispose([...keep, logits, pred]);
  return conf;
}

function isLearned(c: CodecOptions | LearnedRef): c is LearnedRef {
  return (c as LearnedRef).spec !== undefined;
}

/** Pool entry point. */
export default async function handle(req: PoolRequest): Promise<unknown> {
  await init();
  return transferable(run(req));
}
