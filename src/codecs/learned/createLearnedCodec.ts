/**
 * `createLearnedCodec`: validates a spec, builds the architecture (factorized.ts, hyperprior.ts,
 * cheng2020.ts) and wraps it with what every learned codec shares: input checks, tensor
 * ownership (every call is tidied; nothing leaks), payload framing and the SWZ1 container.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.js';
import { readContainer, writeContainer } from '../container.js';
import { ransEncode } from '../entropy/rans.js';
import { Errors } from '../errors.js';
import { checkTensor, elementCount, MAX_ELEMENTS } from '../tensor.js';
import type { Codec, TensorData } from '../types.js';
import { cheng2020Core } from './cheng2020.js';
import { latentShape, type CodecCore } from './core.js';
import { factorizedCore } from './factorized.js';
import { hyperpriorCore } from './hyperprior.js';
import { initLearnedParams, learnedToTensors, shapeSize } from './params.js';
import { EB_INIT_SCALE } from './entropyBottleneck.js';
import { readPayload, writePayload } from './payload.js';
import type {
  CodedSymbols,
  EstimateResult,
  ForwardResult,
  LearnedCodec,
  LearnedCodecName,
  LearnedCodecSpec,
  QuantMode,
  ResolvedLearnedSpec,
} from './types.js';

/** Defaults of the optional `LearnedCodecSpec` fields. */
export const LEARNED_DEFAULTS = {
  /** Stages for inputs up to `smallInput` pixels high (or of unknown size: `stagesLarge`). */
  stagesSmall: 2,
  stagesLarge: 3,
  smallInput: 32,
  context: 'checkerboard',
} as const;

/** Learned codec names, in the order the registry lists them. */
export const LEARNED_CODEC_NAMES: readonly LearnedCodecName[] = ['factorized', 'hyperprior', 'cheng2020-attn'];

const CORES: Record<LearnedCodecName, (spec: ResolvedLearnedSpec) => CodecCore> = {
  factorized: factorizedCore,
  hyperprior: hyperpriorCore,
  'cheng2020-attn': cheng2020Core,
};

/** Default stride-2 stages for inputs `inputSize` high: 2 up to 32, else 3. */
export function defaultStages(inputSize?: number): number {
  return inputSize !== undefined && inputSize <= LEARNED_DEFAULTS.smallInput
    ? LEARNED_DEFAULTS.stagesSmall
    : LEARNED_DEFAULTS.stagesLarge;
}

function intIn(field: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw Errors.invalidField(`learnedCodec.${field}`, `an integer in ${lo}..${hi}`, v);
  }
  return v;
}

/** Fills a spec's defaults and checks every field (`learnedCodec.field: must be …, got …`). */
export function resolveLearnedSpec(spec: LearnedCodecSpec): ResolvedLearnedSpec {
  const name = spec?.name;
  if (!LEARNED_CODEC_NAMES.includes(name)) {
    throw Errors.invalidField('learnedCodec.name', `one of ${LEARNED_CODEC_NAMES.map((x) => `'${x}'`).join(', ')}`, name);
  }
  const channels = intIn('channels', spec.channels, 1, 65535);
  const latent = intIn('latent', spec.latent, 1, 65535);
  if (name === 'cheng2020-attn' && latent % 2 !== 0) {
    throw Errors.invalidField('learnedCodec.latent', 'even for cheng2020-attn', latent);
  }
  if (spec.inputSize !== undefined) intIn('inputSize', spec.inputSize, 1, 2 ** 24);
  const stages = spec.stages === undefined ? defaultStages(spec.inputSize) : intIn('stages', spec.stages, 1, 8);
  let context: ResolvedLearnedSpec['context'] = null;
  if (name === 'cheng2020-attn') {
    context = spec.context ?? LEARNED_DEFAULTS.context;
    if (context !== 'serial' && context !== 'checkerboard') {
      throw Errors.invalidField('learnedCodec.context', "'serial' or 'checkerboard'", context);
    }
  } else if (spec.context !== undefined) {
    throw Errors.invalidField('learnedCodec.context', `unset for codec '${name}'`, spec.context);
  }
  const initScale = spec.initScale ?? EB_INIT_SCALE;
  if (!(initScale > 0 && Number.isFinite(initScale))) throw Errors.invalidField('learnedCodec.initScale', 'a finite number > 0', initScale);
  return { name, channels, latent, stages, hyperStages: name === 'factorized' ? 0 : 2, context, initScale };
}

/** Checks an NHWC shape against the spec; `field` names it in the message. */
function checkShape(spec: ResolvedLearnedSpec, shape: readonly number[], field: string): void {
  if (shape.length !== 4) throw Errors.invalidField(field, 'rank 4 [B, H, W, C]', `rank ${shape.length}`);
  const f = 2 ** (spec.stages + spec.hyperStages);
  const [bt, h, w, c] = shape as [number, number, number, number];
  if (c !== spec.channels) throw Errors.invalidField(`${field}[3]`, `${spec.channels} (the codec's channels)`, c);
  if (!(bt >= 1)) throw Errors.invalidField(`${field}[0]`, '≥ 1', bt);
  for (const [k, d] of [[1, h], [2, w]] as const) {
    if (!(d >= f) || d % f !== 0) {
      throw Errors.invalidField(`${field}[${k}]`, `a positive multiple of ${f} (2^(stages + hyper stages))`, d);
    }
  }
}

/**
 * A learned codec by spec.
 * @example
 * const codec = createLearnedCodec({ name: 'factorized', channels: 16, latent: 32, inputSize: 32 });
 * const params = codec.init(new Rng(seed, 'codec/F1'));
 * const bytes = codec.compress(params, { data, shape: [1, 32, 32, 16] });
 */
export function createLearnedCodec(specIn: LearnedCodecSpec): LearnedCodec {
  const spec = resolveLearnedSpec(specIn);
  const core = CORES[spec.name](spec);
  const name = spec.name;
  const specs = core.params;
  const paramCount = specs.reduce((n, s) => n + shapeSize(s.shape), 0);
  const tensors = (flat: Float32Array): tf.Tensor[] => learnedToTensors(specs, flat, name);

  const checkParams = (p: tf.Tensor[]): void => {
    if (!Array.isArray(p) || p.length !== specs.length) {
      throw Errors.invalidField(`${name}.params`, `${specs.length} tensors`, p?.length);
    }
  };
  const checkInput = (x: TensorData): void => {
    checkTensor(name, x);
    checkShape(spec, x.shape, `${name}.encode.shape`);
    const d = x.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) throw Errors.invalidField(`${name}.encode.data[${i}]`, 'finite', d[i]);
    }
  };

  const estimate = (flat: Float32Array, x: TensorData): EstimateResult => {
    checkInput(x);
    let out: EstimateResult | undefined;
    tf.tidy(() => {
      const p = tensors(flat);
      const a = core.analyse(p, flat, tf.tensor4d(x.data, x.shape as [number, number, number, number]), {
        code: false,
        estimate: true,
      });
      const xhat = core.synthesize(p, a.yhat);
      out = {
        xhat: { data: (xhat.dataSync() as Float32Array).slice(), shape: x.shape.slice() },
        bits: a.parts.reduce((s, part) => s + part.bits, 0),
        parts: a.parts,
      };
    });
    return out as EstimateResult;
  };

  const codedSymbols = (flat: Float32Array, x: TensorData): CodedSymbols[] => {
    checkInput(x);
    let coded: CodedSymbols[] = [];
    tf.tidy(() => {
      const p = tensors(flat);
      const xt = tf.tensor4d(x.data, x.shape as [number, number, number, number]);
      coded = core.analyse(p, flat, xt, { code: true, estimate: false }).coded;
    });
    return coded;
  };

  const compress = (flat: Float32Array, x: TensorData): Uint8Array => {
    const streams = codedSymbols(flat, x).map((c) => ransEncode(c.symbols, c.index, c.tables));
    return writeContainer({ codec: name, shape: x.shape.slice(), payload: writePayload(spec, streams) });
  };

  const decompress = (flat: Float32Array, bytes: Uint8Array): TensorData => {
    const c = readContainer(bytes);
    if (c.codec !== name) throw Errors.wrongCodec(name, c.codec);
    try {
      checkShape(spec, c.shape, `${name}.decode.shape`);
    } catch (e) {
      throw Errors.badPayload(name, (e as Error).message);
    }
    if (elementCount(c.shape) > MAX_ELEMENTS) {
      throw Errors.badPayload(name, `shape [${c.shape.join(', ')}] is above the 2^28-element limit`);
    }
    const streams = readPayload(spec, c.payload, core.streamCount);
    let data = new Float32Array(0);
    tf.tidy(() => {
      const p = tensors(flat);
      const yhat = core.reconstruct(p, flat, streams, latentShape(c.shape, spec.stages, spec.latent));
      data = (core.synthesize(p, yhat).dataSync() as Float32Array).slice();
    });
    return { data, shape: c.shape.slice() };
  };

  return {
    spec,
    name,
    params: specs,
    paramCount,
    init: (rng: Rng) => initLearnedParams(specs, rng),
    toTensors: tensors,
    forward(p: tf.Tensor[], x: tf.Tensor4D, mode: QuantMode, rng?: Rng): ForwardResult {
      checkParams(p);
      checkShape(spec, x.shape, `${name}.forward.x.shape`);
      if (mode !== 'noise' && mode !== 'ste' && mode !== 'round') {
        throw Errors.invalidField(`${name}.forward.mode`, "'noise', 'ste' or 'round'", mode);
      }
      if (mode === 'noise' && rng === undefined) {
        throw Errors.invalidField(`${name}.forward.rng`, "an Rng in 'noise' mode (seeded noise)", rng);
      }
      // ForwardResult is a TensorContainer (tensors in an object and an array); tidy keeps them.
      return tf.tidy(() => core.forward(p, x, mode, rng) as unknown as tf.TensorContainer) as unknown as ForwardResult;
    },
    auxLoss(p: tf.Tensor[]): tf.Scalar {
      checkParams(p);
      return tf.tidy(() => core.auxLoss(p));
    },
    compress,
    decompress,
    codedSymbols,
    estimate,
    bind: (flat: Float32Array): Codec => ({
      name,
      encode: (t: TensorData) => compress(flat, t),
      decode: (buf: Uint8Array) => decompress(flat, buf),
    }),
  };
}
