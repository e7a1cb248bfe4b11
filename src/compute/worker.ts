/**
 * A compute-pool worker: runs named tasks (types.ts) on tensors that arrive as buffers.
 * Each worker selects its tfjs backend once, builds models from their description on first
 * use, and keeps nothing else between tasks: model state lives in shared memory.
 *
 * Every readback here is `await t.data()`, so the model path (forward, backward, loss, Adam,
 * evaluation) also runs where `dataSync()` cannot (tfjs WebGPU in Node). The learned codecs'
 * entropy coding still reads synchronously; on such a backend it runs on wasm for the
 * duration of the call (`withSyncReadback`). piscina gives a worker one task at a time, so
 * no other task ever sees that switch.
 */
import * as tf from '@tensorflow/tfjs';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { createCodec, decodeAny, ErrorFeedback } from '../codecs/index.js';
import { partBackwardAsync, partForward, partLossBackwardAsync } from '../model/grads.js';
import { confusion } from '../model/metrics.js';
import { buildSplitUNet, getPart } from '../model/unet.js';
import type { ModelPart, PartName, SplitModel } from '../model/types.js';
import { selectBackend, type BackendPreference } from './backend.js';
import {
  featureCodecTrainAsync,
  gradientCodecTrain,
  learnedDecode,
  learnedDecodeAsync,
  learnedEncode,
  learnedEncodeAsync,
  partBackwardThroughCodecAsync,
  withSyncReadback,
} from './codecTasks.js';
import { wallMs } from '../sim/wallClock.js';
import { adamStepShared } from './optimizer.js';
import type { LearnedRef, ModelKey, PoolRequest, PoolResult, TensorMsg, WorkerSettings } from './types.js';
import type { CodecOptions } from '../codecs/types.js';

let settings = (workerData ?? { backend: 'auto' }) as WorkerSettings;
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

/**
 * A tensor's values as a message, read with `await data()`: every readback in this worker is
 * asynchronous, so tasks also run on backends without synchronous readback (tfjs WebGPU in
 * Node). On wasm and cpu `data()` resolves at once with the same values `dataSync()` gives.
 */
async function toMsg(t: tf.Tensor): Promise<TensorMsg> {
  const data = (await t.data()) as Float32Array;
  // data() may return the backend's own storage (cpu) or a view: copy into a buffer of our own to transfer.
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
  return { data: own as Float32Array, shape: t.shape.slice() };
}

/** Every tensor's message, all reads issued at once (one device wait on a GPU). */
function toMsgs(ts: tf.Tensor[]): Promise<TensorMsg[]> {
  return Promise.all(ts.map(toMsg));
}

/** Marks every ArrayBuffer in the result for transfer (piscina's Transferable protocol). */
function transferable(result: PoolResult): unknown {
  const buffers = new Set<ArrayBuffer>();
  for (const o of result.outputs) buffers.add(o.data.buffer as ArrayBuffer);
  if (result.bytes) buffers.add(result.bytes.buffer as ArrayBuffer);
  if (result.confusion) buffers.add(result.confusion.buffer as ArrayBuffer);
  if (result.prediction) buffers.add(result.prediction.buffer as ArrayBuffer);
  return move({
    get [transferableSymbol]() {
      return [...buffers];
    },
    get [valueSymbol]() {
      return result;
    },
  } as never);
}

async function run(req: PoolRequest): Promise<PoolResult> {
  switch (req.task) {
    case 'ping':
      return { outputs: [], backend: tf.getBackend() };
    case 'part.forward': {
      const part = partOf(req.model, req.part);
      const inputs = req.inputs.map(toTensor);
      const outs = partForward(part, req.params, inputs);
      try {
        return { outputs: await toMsgs(outs) };
      } finally {
        tf.dispose([...inputs, ...outs]);
      }
    }
    case 'part.backward': {
      const part = partOf(req.model, req.part);
      const inputs = req.inputs.map(toTensor);
      const dOut = req.dOutputs.map((d) => (d === null ? null : toTensor(d)));
      const owned = [...inputs, ...dOut.filter((d): d is tf.Tensor => d !== null)];
      const codec = req.outputCodec;
      let dInputs: tf.Tensor[] = [];
      let sent: tf.Tensor | undefined;
      try {
        const r =
          codec === undefined
            ? await partBackwardAsync(part, req.state.params, inputs, dOut)
            : await partBackwardThroughCodecAsync(part, req.state.params, inputs, dOut, codec, req.returnSent === true);
        dInputs = r.dInputs;
        sent = 'sent' in r ? (r.sent as tf.Tensor | undefined) : undefined;
        const outputs = await toMsgs([...(req.inputGrads ? dInputs : []), ...(sent !== undefined ? [sent] : [])]);
        adamStepShared(req.state, r.dParams, req.adam);
        return { outputs };
      } finally {
        tf.dispose([...owned, ...dInputs, ...(sent !== undefined ? [sent] : [])]);
      }
    }
    case 'codec.train': {
      if (req.role === 'gradient') {
        const t = req.tensor;
        await withSyncReadback(() => gradientCodecTrain(req.learned, t));
        return { outputs: [] };
      }
      const sent = toTensor(req.tensor) as tf.Tensor4D;
      const d0 = req.dOutput === undefined ? null : toTensor(req.dOutput);
      try {
        await featureCodecTrainAsync(req.learned, sent, d0);
        return { outputs: [] };
      } finally {
        tf.dispose(d0 === null ? [sent] : [sent, d0]);
      }
    }
    case 'part.train': {
      const part = partOf(req.model, req.part);
      const inputs = req.inputs.map(toTensor);
      const labels = tf.tensor(Int32Array.from(req.labels.data), req.labels.shape, 'int32');
      const classes = req.model.config.classes;
      let dInputs: tf.Tensor[] = [];
      try {
        const r = await partLossBackwardAsync(part, req.state.params, inputs, labels, classes);
        dInputs = r.dInputs;
        const outputs = await toMsgs(dInputs);
        adamStepShared(req.state, r.dParams, req.adam);
        return { outputs, loss: r.loss };
      } finally {
        tf.dispose([...inputs, labels, ...dInputs]);
      }
    }
    case 'encode': {
      if (req.learned) return { outputs: [], bytes: await learnedEncodeAsync(req.learned, req.tensor) };
      const codec = createCodec(req.codec);
      // Error feedback: the residual lives in the sender's shared memory, not in this worker.
      const bytes = req.residual ? new ErrorFeedback(codec, { memory: req.residual }).encode(req.tensor) : codec.encode(req.tensor);
      return { outputs: [], bytes };
    }
    case 'decode': {
      const t = req.learned ? await learnedDecodeAsync(req.learned, req.bytes) : decodeAny(req.bytes);
      return { outputs: [{ data: t.data, shape: t.shape }] };
    }
    case 'evaluate': {
      const r = await evaluate(req);
      return { outputs: [], confusion: r.confusion, ...(req.prediction ? { prediction: Uint8Array.from(r.pred) } : {}) };
    }
  }
}

/** Confusion counts of the whole model on one test batch, split tensors passed through their codecs. */
async function evaluate(req: Extract<PoolRequest, { task: 'evaluate' }>): Promise<{ confusion: Float64Array; pred: Int32Array }> {
  const model = modelOf(req.model);
  const classes = req.model.config.classes;
  const through = async (slot: 'F1' | 'F2', t: tf.Tensor): Promise<tf.Tensor> => {
    const c = req.codecs[slot];
    const msg = await toMsg(t);
    let back;
    if (isLearned(c)) {
      const inference = { ...c, train: undefined } as LearnedRef;
      back = await withSyncReadback(() => learnedDecode(c, learnedEncode(inference, msg)));
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
  try {
    let logits: tf.Tensor;
    if (model.topology === 'u-shaped') {
      const [f1, skip] = partForward(getPart(model, 'FE'), param('FE'), [x]) as [tf.Tensor, tf.Tensor];
      keep.push(f1, skip);
      const f1hat = await through('F1', f1);
      keep.push(f1hat);
      const [f2] = partForward(getPart(model, 'M'), param('M'), [f1hat]) as [tf.Tensor];
      keep.push(f2);
      const f2hat = await through('F2', f2);
      keep.push(f2hat);
      [logits] = partForward(getPart(model, 'BE'), param('BE'), [f2hat, skip]) as [tf.Tensor];
    } else {
      const [f1] = partForward(getPart(model, 'FE1'), param('FE1'), [x]) as [tf.Tensor];
      keep.push(f1);
      const f1hat = await through('F1', f1);
      keep.push(f1hat);
      [logits] = partForward(getPart(model, 'S'), param('S'), [f1hat]) as [tf.Tensor];
    }
    keep.push(logits);
    const pred = tf.tidy(() => tf.argMax(logits, -1));
    keep.push(pred);
    const predData = (await pred.data()) as Int32Array;
    return { confusion: confusion(predData, req.labels.data, classes), pred: predData };
  } finally {
    tf.dispose(keep);
  }
}

function isLearned(c: CodecOptions | LearnedRef): c is LearnedRef {
  return (c as LearnedRef).spec !== undefined;
}

/**
 * Runs one task in the calling thread and returns its result as is (the pool's in-thread mode).
 * The first call selects the backend from `use` (later calls keep the first choice).
 */
export async function runTask(req: PoolRequest, use?: WorkerSettings): Promise<PoolResult> {
  if (ready === null && use !== undefined) settings = use;
  await init();
  const t0 = wallMs();
  const result = await run(req);
  result.workerMs = wallMs() - t0;
  return result;
}

/** Pool entry point. */
export default async function handle(req: PoolRequest): Promise<unknown> {
  return transferable(await runTask(req));
}
