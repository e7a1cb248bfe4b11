/**
 * The raster-scan (serial) context model in plain JS: at each latent position, the masked 5×5
 * context conv over the ŷ already decoded, then the entropy-parameters net (three 1×1 convs,
 * LeakyReLU between) on [hyper params, context], giving σ and μ for each channel.
 *
 * Encoder and decoder run this same function on the same inputs, so their σ, μ (hence table
 * indexes and ŷ) agree bit for bit; a per-position tensor op would cost tfjs dispatch overhead
 * per pixel instead. Weights are views of the flat parameters, in tfjs layout.
 */
import type { KernelMask } from './layers.js';
import { scaleIndex } from './gaussianConditional.js';

/** One 1×1 conv of the entropy-parameters net: weight [cin, cout] row-major, bias [cout]. */
export interface DenseWeights {
  w: Float32Array;
  b: Float32Array;
  cin: number;
  cout: number;
}

/** Weights of the context conv and the entropy-parameters net. */
export interface ContextWeights {
  /** Latent channels N. */
  n: number;
  /** [5, 5, N, 2N]. */
  ctxW: Float32Array;
  /** [2N]. */
  ctxB: Float32Array;
  mask: KernelMask;
  /** 4N → ⌊10N/3⌋ → ⌊8N/3⌋ → 2N. */
  ep: DenseWeights[];
}

/**
 * Called once per latent in raster order (b, h, w, c) with its flat NHWC index, table index and
 * mean; returns the integer symbol (the encoder rounds y − μ, the decoder reads the stream).
 */
export type SymbolStep = (i: number, table: number, mean: number) => number;

function dense(layer: DenseWeights, input: Float64Array, out: Float64Array, leaky: boolean): void {
  const { w, b, cin, cout } = layer;
  for (let o = 0; o < cout; o++) out[o] = b[o] as number;
  for (let i = 0; i < cin; i++) {
    const v = input[i] as number;
    if (v === 0) continue;
    const row = i * cout;
    for (let o = 0; o < cout; o++) out[o] = (out[o] as number) + v * (w[row + o] as number);
  }
  if (leaky) for (let o = 0; o < cout; o++) if ((out[o] as number) < 0) out[o] = (out[o] as number) * 0.01;
}

/**
 * Runs the serial context model over a [B, H, W, N] latent. `hyper` is h_s(ẑ), [B, H, W, 2N].
 * Returns ŷ; fills `sigmas` and `means` (NHWC, float32) when given.
 */
export function serialContextPass(
  dims: readonly [number, number, number],
  hyper: Float32Array,
  weights: ContextWeights,
  scaleTable: Float64Array,
  step: SymbolStep,
  record?: { sigmas: Float32Array; means: Float32Array },
): Float32Array {
  const [batch, height, width] = dims;
  const { n, ctxW, ctxB, mask, ep } = weights;
  const n2 = 2 * n;
  const taps: { dy: number; dx: number; base: number }[] = [];
  mask.forEach((m, t) => {
    if (m === 1) taps.push({ dy: Math.floor(t / 5) - 2, dx: (t % 5) - 2, base: t * n * n2 });
  });
  const yhat = new Float32Array(batch * height * width * n);
  const input = new Float64Array(2 * n2);
  const ctx = input.subarray(n2);
  const bufs = ep.map((l) => new Float64Array(l.cout));
  const last = ep.length - 1;
  const lastTable = scaleTable.length - 1;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0; w < width; w++) {
        const pos = (b * height + h) * width + w;
        for (let o = 0; o < n2; o++) {
          input[o] = hyper[pos * n2 + o] as number;
          ctx[o] = ctxB[o] as number;
        }
        for (const tap of taps) {
          const hh = h + tap.dy;
          const ww = w + tap.dx;
          if (hh < 0 || hh >= height || ww < 0 || ww >= width) continue;
          const src = ((b * height + hh) * width + ww) * n;
          for (let i = 0; i < n; i++) {
            const v = yhat[src + i] as number;
            if (v === 0) continue;
            const row = tap.base + i * n2;
            for (let o = 0; o < n2; o++) ctx[o] = (ctx[o] as number) + v * (ctxW[row + o] as number);
          }
        }
        let h1: Float64Array = input;
        ep.forEach((layer, k) => {
          dense(layer, h1, bufs[k] as Float64Array, k < last);
          h1 = bufs[k] as Float64Array;
        });
        for (let c = 0; c < n; c++) {
          const sigma = Math.fround(h1[c] as number);
          const mean = Math.fround(h1[n + c] as number);
          const i = pos * n + c;
          const sym = step(i, scaleIndex(sigma, scaleTable, lastTable), mean);
          yhat[i] = sym + mean;
          if (record) {
            record.sigmas[i] = sigma;
            record.means[i] = mean;
          }
        }
      }
    }
  }
  return yhat;
}
