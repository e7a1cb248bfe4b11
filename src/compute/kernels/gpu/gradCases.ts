/**
 * Random conv configurations and reference gradients for checking the composed GPU kernels
 * against tfjs' own `cpu` kernels. The cpu kernels take no dilation, so a dilated case is
 * checked through its equivalent undilated conv: the filter spread out with zeros to size
 * d*(k-1)+1 (its input gradient is the same; its filter gradient, read at the taps, is too).
 */
import * as tf from '@tensorflow/tfjs';
import type FastCheck from 'fast-check';
import { seededValues } from '../compareBackends.js';
import type { ConvPad } from '../convGeometry.js';
import { padToNHWC, resolveDilatedGeometry, shapeToNHWC } from './dilatedConvGeometry.js';

/** One conv2d configuration, x in `dataFormat` and the filter [kh, kw, in, out]. */
export interface GradCase {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: ConvPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat: 'NHWC' | 'NCHW';
  seed: number;
}

/**
 * Cases over strides 1-2 (sometimes 3), kernels 1/3/5, dilations 1-2, odd and even sizes up
 * to 11, batch 1-3, 1-6 channels, and pads 'same' | 'valid' | numeric | explicit. A numeric pad
 * makes tfjs size both axes from the filter height and stride height, so those cases are square.
 * fast-check is passed in (it is a dev dependency; this file ships in dist/).
 */
export function gradCaseArb(fc: typeof FastCheck): FastCheck.Arbitrary<GradCase> {
  return fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }),
      inC: fc.integer({ min: 1, max: 6 }),
      outC: fc.integer({ min: 1, max: 6 }),
      kh: fc.constantFrom(1, 3, 5),
      kw: fc.constantFrom(1, 3, 5),
      sh: fc.constantFrom(1, 2, 2, 3),
      sw: fc.constantFrom(1, 2, 2),
      dh: fc.constantFrom(1, 1, 2),
      dw: fc.constantFrom(1, 1, 2),
      h: fc.integer({ min: 1, max: 11 }),
      w: fc.integer({ min: 1, max: 11 }),
      pad: fc.oneof(
        fc.constant<'same'>('same'),
        fc.constant<'valid'>('valid'),
        fc.integer({ min: 0, max: 2 }),
        fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
      ),
      rounding: fc.option(fc.constantFrom<'floor' | 'round' | 'ceil'>('floor', 'round', 'ceil'), { nil: undefined }),
      nchw: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map((d): GradCase => {
      const square = typeof d.pad === 'number';
      const kw = square ? d.kh : d.kw;
      const sw = square ? d.sh : d.sw;
      const dw = square ? d.dh : d.dw;
      let pad: ConvPad;
      let padH = 0;
      let padW = 0;
      if (Array.isArray(d.pad)) {
        const [t, b, l, r] = d.pad;
        // tfjs reads explicit pads in the layout's axis order.
        pad = d.nchw ? [[0, 0], [0, 0], [t, b], [l, r]] : [[0, 0], [t, b], [l, r], [0, 0]];
        padH = t + b;
        padW = l + r;
      } else {
        pad = d.pad;
        if (typeof d.pad === 'number') padH = padW = 2 * d.pad;
      }
      // Grow the input until the padded input holds one (dilated) window.
      const h = Math.max(d.h, d.dh * (d.kh - 1) + 1 - padH, 1);
      const w = Math.max(d.w, dw * (kw - 1) + 1 - padW, 1);
      const c: GradCase = {
        xShape: d.nchw ? [d.batch, d.inC, h, w] : [d.batch, h, w, d.inC],
        filterShape: [d.kh, kw, d.inC, d.outC],
        strides: [d.sh, sw],
        dilations: [d.dh, dw],
        pad,
        dataFormat: d.nchw ? 'NCHW' : 'NHWC',
        seed: d.seed,
      };
      if (square && d.rounding !== undefined) c.dimRoundingMode = d.rounding;
      return c;
    });
}

/** dy's shape in the case's layout. */
export function dyShapeOf(c: GradCase): [number, number, number, number] {
  const { g } = resolveDilatedGeometry(
    'case',
    shapeToNHWC(c.xShape, c.dataFormat),
    c.filterShape,
    c.strides,
    padToNHWC(c.pad, c.dataFormat),
    c.dilations,
    c.dimRoundingMode,
  );
  return c.dataFormat === 'NCHW'
    ? [g.batch, g.outChannels, g.outHeight, g.outWidth]
    : [g.batch, g.outHeight, g.outWidth, g.outChannels];
}

/** Seeded x, dy and filter of a case (created in the current scope: dispose or tidy them). */
export function caseTensors(c: GradCase): { x: tf.Tensor4D; dy: tf.Tensor4D; w: tf.Tensor4D } {
  const dyShape = dyShapeOf(c);
  return {
    x: tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), c.seed), c.xShape),
    dy: tf.tensor4d(seededValues(tf.util.sizeFromShape(dyShape), c.seed + 1), dyShape),
    w: tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), c.seed + 2), c.filterShape),
  };
}

function spreadShape(c: GradCase): [number, number, number, number] {
  const [kh, kw, ci, co] = c.filterShape;
  return [c.dilations[0] * (kh - 1) + 1, c.dilations[1] * (kw - 1) + 1, ci, co];
}

/** The filter with d-1 zero taps between its taps (the dilated conv's undilated twin). */
export function spreadFilter(w: tf.Tensor4D, dilations: [number, number]): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const [dh, dw] = dilations;
  if (dh === 1 && dw === 1) return w;
  const src = w.dataSync();
  const out = new Float32Array((dh * (kh - 1) + 1) * (dw * (kw - 1) + 1) * ci * co);
  const rowOut = (dw * (kw - 1) + 1) * ci * co;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const from = (a * kw + b) * ci * co;
      out.set(src.subarray(from, from + ci * co), dh * a * rowOut + dw * b * ci * co);
    }
  }
  return tf.tensor4d(out, [dh * (kh - 1) + 1, dw * (kw - 1) + 1, ci, co]);
}

function attrs(c: GradCase, extra: Record<string, unknown>): tf.NamedAttrMap {
  return { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dimRoundingMode: c.dimRoundingMode, ...extra } as unknown as tf.NamedAttrMap;
}

/** The active backend's own Conv2DBackpropFilter (through the undilated twin for d > 1). */
export function referenceFilterGrad(c: GradCase, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const spread = spreadShape(c);
    const full = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs(c, { filterShape: spread })) as tf.Tensor4D;
    const [dh, dw] = c.dilations;
    if (dh === 1 && dw === 1) return full;
    return tf.stridedSlice(full, [0, 0, 0, 0], spread, [dh, dw, 1, 1]) as tf.Tensor4D;
  });
}

/** The active backend's own Conv2DBackpropInput (through the undilated twin for d > 1). */
export function referenceInputGrad(c: GradCase, dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf.engine().runKernel(
        tf.Conv2DBackpropInput,
        { dy, filter: spreadFilter(w, c.dilations) },
        attrs(c, { inputShape: c.xShape }),
      ) as tf.Tensor4D,
  );
}
