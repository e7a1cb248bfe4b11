/**
 * Image resampling for the folder loader: bilinear for images, nearest neighbour for masks
 * (interpolating class ids would invent classes along boundaries). Both use half-pixel
 * centres, the convention of tf.image.resizeBilinear with halfPixelCenters = true.
 */

/**
 * Bilinear resize of an interleaved image with `channels` values per pixel, to a new
 * Float32Array of dh×dw×channels. Downscaling by large factors aliases (no prefilter); for
 * segmentation training at 64–256 px this has been adequate.
 */
export function resizeBilinear(
  src: ArrayLike<number>,
  sh: number,
  sw: number,
  channels: number,
  dh: number,
  dw: number,
): Float32Array {
  const out = new Float32Array(dh * dw * channels);
  const sy = sh / dh;
  const sx = sw / dw;
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(sh - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      const p00 = (y0 * sw + x0) * channels;
      const p01 = (y0 * sw + x1) * channels;
      const p10 = (y1 * sw + x0) * channels;
      const p11 = (y1 * sw + x1) * channels;
      const o = (y * dw + x) * channels;
      for (let c = 0; c < channels; c++) {
        const top = (src[p00 + c] as number) + wx * ((src[p01 + c] as number) - (src[p00 + c] as number));
        const bot = (src[p10 + c] as number) + wx * ((src[p11 + c] as number) - (src[p10 + c] as number));
        out[o + c] = top + wy * (bot - top);
      }
    }
  }
  return out;
}

/** Nearest-neighbour resize of a one-value-per-pixel map (a mask) to dh×dw. */
export function resizeNearest(src: ArrayLike<number>, sh: number, sw: number, dh: number, dw: number): Uint8Array {
  const out = new Uint8Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    const yy = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / dh));
    for (let x = 0; x < dw; x++) {
      const xx = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / dw));
      out[y * dw + x] = src[yy * sw + xx] as number;
    }
  }
  return out;
}
