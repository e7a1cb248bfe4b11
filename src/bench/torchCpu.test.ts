/**
 * The PyTorch reference step (scripts/torch_unet_step.py --serve) computes splitwire's model:
 * on the same weights and batch both give the same loss, and after Adam steps still the same.
 * Skipped, saying why, where no Python can import torch.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../compute/backend.js';
import { findTorchPython, pythonCandidates, TorchStepper } from './torchCpu.js';
import { prepareTrainStep } from './trainStep.js';

const found = findTorchPython();
if ('reason' in found) console.log(`torchCpu.test: skipped: ${found.reason}`);

describe.skipIf('reason' in found)('torch_unet_step.py --serve', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it.each([
    { baseChannels: 4, size: 16, batch: 2, depth: 3 },
    { baseChannels: 2, size: 32, batch: 3, depth: 4 },
  ])('gives splitwire’s loss on its weights and batch, over 3 Adam steps (%o)', async (o) => {
    const prepared = prepareTrainStep(o);
    const torch = new TorchStepper((found as { python: string }).python);
    try {
      const info = await torch.load(prepared);
      expect(info.params).toBe(prepared.params.FE.length + prepared.params.M.length + prepared.params.BE.length);
      expect(info.threads).toBe(1);
      for (let i = 0; i < 3; i++) {
        const mine = await prepared.step();
        const theirs = await torch.step();
        expect(Math.abs(mine - theirs.loss), `step ${i}: splitwire ${mine}, torch ${theirs.loss}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(mine)));
      }
    } finally {
      prepared.dispose();
      await torch.close();
    }
  }, 60_000);

  it('reports a model of another size as an error, naming the tensor', async () => {
    const prepared = prepareTrainStep({ baseChannels: 2, size: 16, batch: 1 });
    const torch = new TorchStepper((found as { python: string }).python);
    try {
      (prepared.config as { baseChannels: number }).baseChannels = 3;
      await expect(torch.load(prepared)).rejects.toThrow(/load: enc0\.conv1\.w has shape/);
    } finally {
      prepared.dispose();
      await torch.close();
    }
  }, 60_000);
});

describe('pythonCandidates', () => {
  it('uses SPLITWIRE_PYTHON alone when set, else python3 then the system Python', () => {
    expect(pythonCandidates({ SPLITWIRE_PYTHON: 'py' })).toEqual(['py']);
    expect(pythonCandidates({})).toEqual(['python3', '/usr/bin/python3']);
  });

  it('rejects a load, naming the interpreter, when the Python cannot start', async () => {
    await selectBackend('wasm');
    const prepared = prepareTrainStep({ baseChannels: 2, size: 16, batch: 1 });
    const torch = new TorchStepper('splitwire-no-such-python');
    try {
      await expect(torch.load(prepared)).rejects.toThrow(/splitwire-no-such-python: .*ENOENT/);
    } finally {
      prepared.dispose();
      await torch.close();
    }
  });

  it('says why when no candidate imports torch', () => {
    const r = findTorchPython(['splitwire-no-such-python']);
    expect(r).toEqual({ reason: expect.stringMatching(/^no Python with torch \(splitwire-no-such-python: .*ENOENT/) });
  });
});
