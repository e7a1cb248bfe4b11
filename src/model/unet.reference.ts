/**
 * Test oracle: the same U-Net written plainly and unsplit — unfused conv + bias + ReLU, pooling by
 * reshape + max and upsampling by transposed conv (the model uses maxPool and concat), weights
 * looked up by name. The split parts are checked against it; it is not part of the public API
 * (not exported from index.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { shapeSize } from './layers.js';
import { partNames, getPart } from './unet.js';
import type { PartName, SplitModel, UNetConfig } from './types.js';

type Weights = ReadonlyMap<string, tf.Tensor>;

function get(w: Weights, name: string): tf.Tensor {
  const t = w.get(name);
  if (!t) throw new RangeError(`reference: weight ${name} missing`);
  return t;
}

function convLayer(w: Weights, name: string, x: tf.Tensor4D, relu: boolean): tf.Tensor4D {
  const y = tf.add(tf.conv2d(x, get(w, `${name}.w`) as tf.Tensor4D, 1, 'same'), get(w, `${name}.b`)) as tf.Tensor4D;
  return relu ? tf.relu(y) : y;
}

/** 2×2 max over [N, H/2, 2, W/2, 2, C] blocks. */
function pool(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, wd, c] = x.shape;
  return tf.max(tf.reshape(x, [n, h / 2, 2, wd / 2, 2, c]), [2, 4]) as tf.Tensor4D;
}

/** Nearest 2× as a stride-2 transposed conv whose 2×2 kernel copies each channel into a block. */
function upsample(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, wd, c] = x.shape;
  const copy = tf.tile(tf.reshape(tf.eye(c), [1, 1, c, c]), [2, 2, 1, 1]) as tf.Tensor4D;
  return tf.conv2dTranspose(x, copy, [n, 2 * h, 2 * wd, c], 2, 'valid');
}

/** Logits of the unsplit U-Net for images x. */
export function referenceUNet(cfg: UNetConfig, w: Weights, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const skips: tf.Tensor4D[] = [];
    let h = x;
    for (let l = 0; l < cfg.depth; l++) {
      if (l > 0) h = pool(h);
      h = convLayer(w, `enc${l}.conv2`, convLayer(w, `enc${l}.conv1`, h, true), true);
      skips.push(h);
    }
    for (let l = cfg.depth - 2; l >= 0; l--) {
      const up = convLayer(w, `up${l}`, upsample(h), true);
      const cat = tf.concat([skips[l] as tf.Tensor4D, up], 3);
      h = convLayer(w, `dec${l}.conv2`, convLayer(w, `dec${l}.conv1`, cat, true), true);
    }
    return convLayer(w, 'head', h, false);
  });
}

/** Every weight of a split model's flat parameters as a tensor, by name (the caller disposes). */
export function weightsByName(
  model: SplitModel,
  params: Partial<Record<PartName, Float32Array>>,
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const name of partNames(model.topology)) {
    const flat = params[name];
    if (!flat) throw new RangeError(`reference: params.${name} missing`);
    let offset = 0;
    for (const spec of getPart(model, name).params) {
      const n = shapeSize(spec.shape);
      out.set(spec.name, tf.tensor(flat.slice(offset, offset + n), spec.shape));
      offset += n;
    }
  }
  return out;
}
