/**
 * No tensor leak with learned codecs in the protocol path (issue 3): the pool worker's task
 * handler, driven in this thread, runs 100 U-shaped training steps (FE, M, BE) whose split
 * tensors go through learned codecs: factorized feature codecs trained inside the backward pass
 * (partBackwardThroughCodec; every other step frozen), factorized
 * gradient codecs trained as they encode (learnedEncode with `train`) and decoded (learnedDecode),
 * and a topk encode with error feedback. tfjs must hold as many tensors after step 100 as after
 * step 1 (the first step may build what stays cached).
 */
import * as tf from '@tensorflow/tfjs';
import { valueSymbol } from 'piscina';
import { describe, expect, it } from 'vitest';
import { createLearnedCodec, type LearnedCodecSpec } from '../codecs/learned/index.js';
import { buildSplitUNet, getPart, initModelParams } from '../model/index.js';
import type { UNetConfig } from '../model/types.js';
import { Rng } from '../sim/rng.js';
import { ParamStore, type PartState } from './paramStore.js';
import type { LearnedRef, ModelKey, PoolRequest, PoolResult, TensorMsg } from './types.js';
import handle from './worker.js';

const config: UNetConfig = { inChannels: 3, classes: 2, baseChannels: 2, depth: 3, size: 16 };
const model: ModelKey = { config, topology: 'u-shaped' };
const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999 };
const BATCH = 2;

async function task(req: PoolRequest): Promise<PoolResult> {
  const wrapped = (await handle(req)) as Record<symbol, PoolResult>;
  return wrapped[valueSymbol] as PoolResult;
}

function out(r: PoolResult, i = 0): TensorMsg {
  const t = r.outputs[i];
  if (t === undefined) throw new Error(`task returned no output ${i}`);
  return t;
}

describe('learned codecs in the protocol path', () => {
  it('tf.memory().numTensors is flat over 100 training steps', { timeout: 60_000 }, async () => {
    const rng = new Rng(7, 'codec-leak');
    const split = buildSplitUNet(config, 'u-shaped');
    const init = initModelParams(split, rng.child('model'));
    const store = new ParamStore();
    const part = (name: 'FE' | 'M' | 'BE'): PartState => store.create(name, init[name] as Float32Array);
    const [fe, m, be] = [part('FE'), part('M'), part('BE')];
    const f1Shape = getPart(split, 'FE').outputShapes(BATCH)[0] as number[];
    const f2Shape = getPart(split, 'M').outputShapes(BATCH)[0] as number[];
    const codec = (slot: string, shape: number[], normalize: boolean): { global: Float32Array; ref: (train: boolean) => LearnedRef } => {
      const spec: LearnedCodecSpec = { name: 'factorized', channels: shape[3] as number, latent: 4, inputSize: shape[1] as number };
      const global = createLearnedCodec(spec).init(rng.child(slot));
      const state = store.create(`codec/${slot}`, global);
      return { global, ref: (train) => ({ spec, params: global, normalize, ...(train ? { train: { state, adam, lambda: normalize ? 50 : 0.5 } } : {}) }) };
    };
    const F1 = codec('F1', f1Shape, false);
    const F2 = codec('F2', f2Shape, false);
    const G2 = codec('G2', f2Shape, true);
    const G1 = codec('G1', f1Shape, true);
    const residual = new Float32Array(new SharedArrayBuffer(4 * f1Shape.reduce((a, b) => a * b, 1)));
    const data = new Rng(7, 'batch');
    const x = (): TensorMsg => ({
      data: Float32Array.from({ length: BATCH * 16 * 16 * 3 }, () => data.uniform()),
      shape: [BATCH, 16, 16, 3],
    });
    const labels = { data: Uint8Array.from({ length: BATCH * 16 * 16 }, (_, i) => (i % 7 < 2 ? 1 : 0)), shape: [BATCH, 16, 16] };
    const through = async (ref: LearnedRef, t: TensorMsg): Promise<TensorMsg> => {
      const bytes = (await task({ task: 'encode', codec: { name: 'none' }, learned: ref, tensor: t })).bytes as Uint8Array;
      return out(await task({ task: 'decode', bytes, learned: { ...ref, train: undefined } as LearnedRef }));
    };

    const step = async (i: number): Promise<number> => {
      const image = x();
      const fwd = await task({ task: 'part.forward', model, part: 'FE', params: fe.params, inputs: [image] });
      const f1hat = await through(F1.ref(false), out(fwd, 0));
      const f2 = out(await task({ task: 'part.forward', model, part: 'M', params: m.params, inputs: [f1hat] }));
      const f2hat = await through(F2.ref(false), f2);
      const trained = await task({ task: 'part.train', model, part: 'BE', state: be, adam, inputs: [f2hat, out(fwd, 1)], labels });
      const g2hat = await through(G2.ref(true), out(trained, 0));
      const mb = await task({
        task: 'part.backward', model, part: 'M', state: m, adam, inputs: [f1hat], dOutputs: [g2hat], inputGrads: true, outputCodec: F2.ref(true),
      });
      const g1 = out(mb, 0);
      await task({ task: 'encode', codec: { name: 'topk', fraction: 0.05 }, tensor: g1, residual });
      const g1hat = await through(G1.ref(true), g1);
      // Odd steps: the feature codec is frozen (ayad after its training rounds).
      await task({
        task: 'part.backward', model, part: 'FE', state: fe, adam, inputs: [image], dOutputs: [g1hat, out(trained, 1)], inputGrads: false,
        outputCodec: F1.ref(i % 2 === 0),
      });
      return trained.loss as number;
    };

    const first = await step(0);
    const after1 = tf.memory().numTensors;
    let last = first;
    for (let i = 1; i < 100; i++) last = await step(i);
    expect(tf.memory().numTensors).toBe(after1);
    expect(Number.isFinite(last)).toBe(true);
    // The steps trained: the codecs' trainable copies moved away from the globals they started as.
    expect(store.get('codec/F1').params).not.toEqual(F1.global);
    expect(store.get('codec/G2').params).not.toEqual(G2.global);
  });
});
