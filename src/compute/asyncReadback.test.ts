/**
 * The pool worker reads every tensor with `await data()` (what tfjs WebGPU in Node allows) and
 * runs learned-codec coding, which reads synchronously, on wasm where the active backend cannot
 * read synchronously. Checked here, without a GPU:
 * - every task (part.forward, part.backward plain / through a trained codec / through a frozen
 *   codec, part.train, encode, decode, evaluate) gives bit-identical outputs, parameters and
 *   Adam moments to the sync functions the worker used before (same kernels, same backend);
 * - with SPLITWIRE_FORCE_ASYNC_READBACK=1 on the cpu backend, learned encode/decode/evaluate
 *   switch to wasm and back: their bytes equal wasm's, the backend is cpu again afterwards, no
 *   tensor moves between backends, and nothing leaks;
 * - the compiled worker in a real pool thread honours the variable the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { valueSymbol } from 'piscina';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createCodec } from '../codecs/index.js';
import { createLearnedCodec, type LearnedCodecSpec } from '../codecs/learned/index.js';
import { confusion } from '../model/metrics.js';
import { partBackward, partForward, partLossBackward } from '../model/grads.js';
import { buildSplitUNet, getPart, initModelParams } from '../model/index.js';
import type { PartName, UNetConfig } from '../model/types.js';
import { Rng } from '../sim/rng.js';
import { hasSyncReadback, selectBackend } from './backend.js';
import { learnedDecode, learnedEncode, partBackwardThroughCodec, SYNC_READBACK_FALLBACK, withSyncReadback } from './codecTasks.js';
import { adamStepShared } from './optimizer.js';
import { ParamStore, type PartState } from './paramStore.js';
import { ComputePool } from './pool.js';
import type { LabelsMsg, LearnedRef, ModelKey, PoolRequest, PoolResult, TensorMsg } from './types.js';
import handle from './worker.js';

const FORCE = 'SPLITWIRE_FORCE_ASYNC_READBACK';
const config: UNetConfig = { inChannels: 3, classes: 2, baseChannels: 2, depth: 3, size: 16 };
const model: ModelKey = { config, topology: 'u-shaped' };
const split = buildSplitUNet(config, 'u-shaped');
const adam = { lr: 1e-3 };
const BATCH = 2;
const init = initModelParams(split, new Rng(9, 'readback/model')) as Record<PartName, Float32Array>;
const f1Shape = getPart(split, 'FE').outputShapes(BATCH)[0] as number[];
const SPEC: LearnedCodecSpec = { name: 'factorized', channels: f1Shape[3] as number, latent: 4, inputSize: f1Shape[1] as number };
const codecInit = createLearnedCodec(SPEC).init(new Rng(9, 'readback/codec'));

async function task(req: PoolRequest): Promise<PoolResult> {
  const wrapped = (await handle(req)) as Record<symbol, PoolResult>;
  return wrapped[valueSymbol] as PoolResult;
}

function msg(t: tf.Tensor): TensorMsg {
  return { data: (t.dataSync() as Float32Array).slice(), shape: t.shape.slice() };
}

function tensor(m: TensorMsg): tf.Tensor {
  return tf.tensor(m.data, m.shape, 'float32');
}

function out(r: PoolResult, i = 0): TensorMsg {
  const t = r.outputs[i];
  if (t === undefined) throw new Error(`task returned no output ${i}`);
  return t;
}

function batch(seed: number): { image: TensorMsg; labels: LabelsMsg } {
  const rng = new Rng(seed, 'readback/batch');
  const image = { data: Float32Array.from({ length: BATCH * 16 * 16 * 3 }, () => rng.uniform()), shape: [BATCH, 16, 16, 3] };
  const labels = { data: Uint8Array.from({ length: BATCH * 16 * 16 }, (_, i) => ((image.data[3 * i] as number) > 0.5 ? 1 : 0)), shape: [BATCH, 16, 16] };
  return { image, labels };
}

/** Fresh part and codec states (one copy per path compared), all from the same initial values. */
function states(): { store: ParamStore; fe: PartState; m: PartState; be: PartState; codec: (train: boolean, normalize: boolean) => LearnedRef } {
  const store = new ParamStore();
  const codecState = store.create('codec', codecInit);
  return {
    store,
    fe: store.create('FE', init.FE),
    m: store.create('M', init.M),
    be: store.create('BE', init.BE),
    codec: (train, normalize) => ({
      spec: SPEC,
      params: codecInit,
      normalize,
      ...(train ? { train: { state: codecState, adam, lambda: normalize ? 50 : 0.5 } } : {}),
    }),
  };
}

function expectSameState(a: PartState, b: PartState, name: string): void {
  expect(Array.from(a.params), `${name}.params`).toEqual(Array.from(b.params));
  expect(Array.from(a.m), `${name}.m`).toEqual(Array.from(b.m));
  expect(Array.from(a.v), `${name}.v`).toEqual(Array.from(b.v));
  expect(a.t[0], `${name}.t`).toBe(b.t[0]);
}

/** The evaluate task as the worker computed it before, with sync reads (the oracle). */
function evaluateSync(params: { FE: Float32Array; M: Float32Array; BE: Float32Array }, image: TensorMsg, labels: LabelsMsg, f1: LearnedRef): Float64Array {
  const x = tensor(image);
  const [f1t, skip] = partForward(getPart(split, 'FE'), params.FE, [x]) as [tf.Tensor, tf.Tensor];
  const f1hat = tensor(learnedDecode(f1, learnedEncode({ ...f1, train: undefined } as LearnedRef, msg(f1t))));
  const [f2] = partForward(getPart(split, 'M'), params.M, [f1hat]) as [tf.Tensor];
  const q = createCodec({ name: 'quant', bits: 8 });
  const f2hat = tensor(q.decode(q.encode(msg(f2))));
  const [logits] = partForward(getPart(split, 'BE'), params.BE, [f2hat, skip]) as [tf.Tensor];
  const pred = tf.argMax(logits as tf.Tensor, -1);
  const c = confusion(pred.dataSync() as Int32Array, labels.data, config.classes);
  tf.dispose([x, f1t, skip, f1hat, f2, f2hat, logits as tf.Tensor, pred]);
  return c;
}

const savedForce = process.env[FORCE];
afterEach(async () => {
  if (savedForce === undefined) delete process.env[FORCE];
  else process.env[FORCE] = savedForce;
});
afterAll(async () => {
  await selectBackend('wasm');
});

describe('hasSyncReadback', () => {
  it('is false for webgpu only, and for every backend when forced', () => {
    for (const name of ['wasm', 'cpu', 'tensorflow']) expect(hasSyncReadback(name, {}), name).toBe(true);
    expect(hasSyncReadback('webgpu', {})).toBe(false);
    for (const name of ['wasm', 'cpu', 'webgpu']) expect(hasSyncReadback(name, { [FORCE]: '1' }), name).toBe(false);
    expect(hasSyncReadback('cpu', { [FORCE]: '0' })).toBe(true);
  });
});

describe('pool worker with async readback', () => {
  it('gives bit-identical results to the sync functions on wasm, for every task', { timeout: 60_000 }, async () => {
    await task({ task: 'ping' }); // selects the worker's backend ('auto': wasm here)
    await selectBackend('wasm');
    const W = states(); // what the worker's tasks update
    const R = states(); // what the sync reference updates
    const { image, labels } = batch(1);
    const x = tensor(image);
    const y = tf.tensor(Int32Array.from(labels.data), labels.shape, 'int32');
    const before = tf.memory().numTensors;

    // part.forward
    const fw = await task({ task: 'part.forward', model, part: 'FE', params: W.fe.params, inputs: [image] });
    const [f1, skip] = partForward(getPart(split, 'FE'), R.fe.params, [x]) as [tf.Tensor, tf.Tensor];
    expect(out(fw, 0)).toEqual(msg(f1));
    expect(out(fw, 1)).toEqual(msg(skip));
    const [f2] = partForward(getPart(split, 'M'), R.m.params, [f1]) as [tf.Tensor];

    // part.train (loss, input gradients, Adam on BE)
    const tr = await task({ task: 'part.train', model, part: 'BE', state: W.be, adam, inputs: [msg(f2), msg(skip)], labels });
    const be = partLossBackward(getPart(split, 'BE'), R.be.params, [f2, skip], y, config.classes);
    adamStepShared(R.be, be.dParams, adam);
    expect(tr.loss).toBe(be.loss);
    expect(tr.outputs).toEqual(be.dInputs.map(msg));
    expectSameState(W.be, R.be, 'BE');
    const [g2, gskip] = be.dInputs as [tf.Tensor, tf.Tensor];

    // part.backward: plain, through a trained feature codec, through a frozen one
    const plain = await task({ task: 'part.backward', model, part: 'M', state: W.m, adam, inputs: [msg(f1)], dOutputs: [msg(g2)], inputGrads: true });
    const mb = partBackward(getPart(split, 'M'), R.m.params, [f1], [g2]);
    adamStepShared(R.m, mb.dParams, adam);
    expect(plain.outputs).toEqual(mb.dInputs.map(msg));
    expectSameState(W.m, R.m, 'M');

    const g1 = mb.dInputs[0] as tf.Tensor;
    for (const train of [true, false]) {
      const wRef = W.codec(train, false);
      const rRef = R.codec(train, false);
      const viaCodec = await task({
        task: 'part.backward', model, part: 'FE', state: W.fe, adam, inputs: [image], dOutputs: [msg(g1), msg(gskip)], inputGrads: false, outputCodec: wRef,
      });
      const fe = partBackwardThroughCodec(getPart(split, 'FE'), R.fe.params, [x], [g1, gskip], rRef);
      adamStepShared(R.fe, fe.dParams, adam);
      expect(viaCodec.outputs).toEqual([]);
      expectSameState(W.fe, R.fe, `FE (codec ${train ? 'trained' : 'frozen'})`);
      expectSameState(W.store.get('codec'), R.store.get('codec'), 'codec');
      tf.dispose(fe.dInputs);
    }
    expect(Array.from(W.store.get('codec').params)).not.toEqual(Array.from(codecInit)); // the trained pass stepped it

    // encode / decode: a gradient codec that trains as it encodes, then decodes
    const enc = await task({ task: 'encode', codec: { name: 'none' }, learned: W.codec(true, true), tensor: msg(g1) });
    const bytes = learnedEncode(R.codec(true, true), msg(g1));
    expect(enc.bytes).toEqual(bytes);
    expectSameState(W.store.get('codec'), R.store.get('codec'), 'gradient codec');
    const dec = await task({ task: 'decode', bytes, learned: W.codec(false, true) });
    expect(out(dec)).toEqual(learnedDecode(R.codec(false, true), bytes));

    // evaluate: F1 through the learned codec, F2 through quant
    const params = { FE: W.fe.params, M: W.m.params, BE: W.be.params };
    const ev = await task({ task: 'evaluate', model, params, images: image, labels, codecs: { F1: W.codec(false, false), F2: { name: 'quant', bits: 8 } } });
    expect(Array.from(ev.confusion as Float64Array)).toEqual(Array.from(evaluateSync(params, image, labels, R.codec(false, false))));

    tf.dispose([f1, skip, f2, ...be.dInputs, ...mb.dInputs]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('with sync readback forced off on cpu, runs learned coding on wasm and comes back, moving no tensor', { timeout: 60_000 }, async () => {
    await task({ task: 'ping' });
    const { image, labels } = batch(2);
    // References on wasm, where the switched tasks must run.
    await selectBackend('wasm');
    const R = states();
    const [f1w] = partForward(getPart(split, 'FE'), init.FE, [tensor(image)]) as [tf.Tensor, tf.Tensor];
    const f1 = msg(f1w);
    tf.dispose(f1w);
    const wantBytes = learnedEncode(R.codec(true, true), f1);
    const wantDecoded = learnedDecode(R.codec(false, true), wantBytes);
    const params = { FE: init.FE, M: init.M, BE: init.BE };
    const wantConfusion = evaluateSync(params, image, labels, R.codec(false, false));

    await tf.setBackend('cpu');
    process.env[FORCE] = '1';
    const W = states();
    const engine = tf.engine() as unknown as { moveData: (...args: unknown[]) => void };
    const moveData = engine.moveData;
    let moves = 0;
    engine.moveData = (...args: unknown[]): void => {
      moves += 1;
      moveData.apply(engine, args);
    };
    try {
      const before = tf.memory().numTensors;
      const enc = await task({ task: 'encode', codec: { name: 'none' }, learned: W.codec(true, true), tensor: { data: f1.data.slice(), shape: f1.shape } });
      expect(tf.getBackend()).toBe('cpu');
      expect(enc.bytes).toEqual(wantBytes);
      expectSameState(W.store.get('codec'), R.store.get('codec'), 'gradient codec trained on wasm');
      const dec = await task({ task: 'decode', bytes: wantBytes, learned: W.codec(false, true) });
      expect(out(dec)).toEqual(wantDecoded);
      expect(tf.getBackend()).toBe('cpu');
      // evaluate: the model on cpu, F1's coding on wasm; decoded tensors equal, so the counts do
      // too only where cpu and wasm agree on the model's argmax: compare with the tolerance of one pixel.
      const ev = await task({ task: 'evaluate', model, params, images: image, labels, codecs: { F1: W.codec(false, false), F2: { name: 'quant', bits: 8 } } });
      expect(tf.getBackend()).toBe('cpu');
      const got = Array.from(ev.confusion as Float64Array);
      const diff = got.reduce((s, v, i) => s + Math.abs(v - (wantConfusion[i] as number)), 0);
      expect(got.reduce((a, b) => a + b, 0)).toBe(BATCH * 16 * 16);
      expect(diff).toBeLessThanOrEqual(2);
      // A trained feature codec's backward pass is tensor-only: it stays on cpu (no switch).
      await task({
        task: 'part.backward', model, part: 'FE', state: W.fe, adam, inputs: [image], dOutputs: [f1, null], inputGrads: false, outputCodec: W.codec(true, false),
      });
      expect(tf.getBackend()).toBe('cpu');
      expect(moves).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      engine.moveData = moveData;
    }
  });

  it('withSyncReadback switches back when the call throws, and runs in place where reads are sync', async () => {
    await tf.setBackend('cpu');
    await expect(withSyncReadback(() => tf.getBackend())).resolves.toBe('cpu');
    process.env[FORCE] = '1';
    await expect(withSyncReadback(() => tf.getBackend())).resolves.toBe(SYNC_READBACK_FALLBACK);
    await expect(
      withSyncReadback(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('compiled pool worker with SPLITWIRE_FORCE_ASYNC_READBACK=1', () => {
  it('codes on wasm from a cpu worker thread and stays on cpu', { timeout: 60_000 }, async () => {
    await selectBackend('wasm');
    const R = states();
    const { image } = batch(3);
    const [f1w] = partForward(getPart(split, 'FE'), init.FE, [tensor(image)]) as [tf.Tensor, tf.Tensor];
    const f1 = msg(f1w);
    tf.dispose(f1w);
    // A codec that trains as it encodes: its step's values tell which backend ran it.
    const wantBytes = learnedEncode(R.codec(true, true), f1);
    const wantDecoded = learnedDecode(R.codec(false, true), wantBytes);

    process.env[FORCE] = '1'; // worker threads copy the environment when they start
    const pool = new ComputePool({ threads: 1, backend: 'cpu' });
    try {
      expect(await pool.warmUp()).toBe('cpu');
      const W = states();
      const enc = await pool.run({ task: 'encode', codec: { name: 'none' }, learned: W.codec(true, true), tensor: { data: f1.data.slice(), shape: f1.shape } });
      expect(enc.bytes).toEqual(wantBytes);
      expectSameState(W.store.get('codec'), R.store.get('codec'), 'gradient codec trained on wasm');
      const dec = await pool.run({ task: 'decode', bytes: wantBytes.slice(), learned: W.codec(false, true) });
      expect(out(dec)).toEqual(wantDecoded);
      const fw = await pool.run({ task: 'part.forward', model, part: 'FE', params: W.fe.params, inputs: [{ data: image.data.slice(), shape: image.shape }] });
      expect(out(fw).shape).toEqual(f1Shape);
      expect((await pool.run({ task: 'ping' })).backend).toBe('cpu');
    } finally {
      await pool.close();
    }
  });
});
