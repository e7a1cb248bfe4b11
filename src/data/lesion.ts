/**
 * The synthetic two-class "lesion" family (background, lesion): a dermoscopy-like RGB image
 * of textured skin with one irregular pigmented blob, sometimes crossed by hair and darkened
 * at the corners by the dermatoscope's vignette. Loosely modelled on HAM10000 / ISIC images,
 * the set SplitFedZip used; tuned to be learnable by a small U-Net at 64×64.
 */
import type { Rng } from '../sim/rng.js';
import { fastNormal, fractalNoise, norm2, octavesFor, profileAt, profileRange, radialProfile, smoothstep } from './noise.js';
import type { Sample } from './types.js';

/** Class names of the lesion family. */
export const LESION_CLASSES: readonly string[] = ['background', 'lesion'];

type Rgb = [number, number, number];

/** Hair colour: near-black brown. */
const HAIR: Rgb = [0.16, 0.11, 0.09];

/** Skin tones (light to medium), picked uniformly. */
const SKIN: readonly Rgb[] = [
  [0.93, 0.78, 0.68],
  [0.87, 0.68, 0.56],
  [0.78, 0.58, 0.45],
  [0.95, 0.84, 0.77],
];

/**
 * Lesion colour per category: 0 light brown, 1 dark brown, 2 reddish (vascular-looking),
 * 3 blue-black. The category is what Dirichlet partitioning skews on.
 */
const LESION_COLOUR: readonly Rgb[] = [
  [0.62, 0.42, 0.32],
  [0.36, 0.22, 0.15],
  [0.66, 0.34, 0.33],
  [0.3, 0.27, 0.32],
];

function jitter(rng: Rng, c: Rgb, amount: number): Rgb {
  return [c[0] + rng.range(-amount, amount), c[1] + rng.range(-amount, amount), c[2] + rng.range(-amount, amount)];
}

/**
 * Hair: 1–4 thin dark quadratic Bézier strokes; returns per-pixel opacity in [0, 1].
 * Hair is drawn over skin and lesion alike and never changes the mask, as in real images.
 */
function hairMap(rng: Rng, size: number): Float32Array {
  const hair = new Float32Array(size * size);
  const strokes = 1 + rng.int(4);
  for (let s = 0; s < strokes; s++) {
    const x0 = rng.range(-0.1, 1.1) * size;
    const y0 = rng.range(-0.1, 1.1) * size;
    const x2 = rng.range(-0.1, 1.1) * size;
    const y2 = rng.range(-0.1, 1.1) * size;
    const x1 = (x0 + x2) / 2 + rng.range(-0.3, 0.3) * size;
    const y1 = (y0 + y2) / 2 + rng.range(-0.3, 0.3) * size;
    const half = rng.range(0.35, 0.7) * Math.max(1, size / 64);
    const opacity = rng.range(0.55, 0.9);
    const steps = Math.ceil(2 * (norm2(x1 - x0, y1 - y0) + norm2(x2 - x1, y2 - y1)));
    const reach = Math.ceil(half + 1);
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      const u = 1 - t;
      const px = u * u * x0 + 2 * u * t * x1 + t * t * x2;
      const py = u * u * y0 + 2 * u * t * y1 + t * t * y2;
      const cx = Math.floor(px);
      const cy = Math.floor(py);
      for (let yy = cy - reach; yy <= cy + reach; yy++) {
        if (yy < 0 || yy >= size) continue;
        for (let xx = cx - reach; xx <= cx + reach; xx++) {
          if (xx < 0 || xx >= size) continue;
          const d = norm2(xx + 0.5 - px, yy + 0.5 - py);
          const a = opacity * Math.min(1, Math.max(0, half + 0.5 - d));
          const k = yy * size + xx;
          if (a > (hair[k] as number)) hair[k] = a;
        }
      }
    }
  }
  return hair;
}

/**
 * Renders one lesion sample of `size`×`size` from `rng`.
 * The lesion covers roughly 5–40 % of the image; its edge is soft over 1–3 px (at 64 px);
 * the mask marks where the blend weight crosses one half.
 */
export function renderLesion(rng: Rng, size: number): Sample {
  const S = size;
  const scale = S / 64;
  const category = rng.int(4);
  const skin = jitter(rng, SKIN[rng.int(SKIN.length)] as Rgb, 0.03);
  const core = jitter(rng, LESION_COLOUR[category] as Rgb, 0.04);

  // Geometry: a rotated ellipse whose radius is modulated by low harmonics.
  const frac = rng.range(0.05, 0.4);
  const r0 = S * Math.sqrt(frac / Math.PI);
  const aspect = rng.range(0.65, 1);
  const a = r0 / Math.sqrt(aspect);
  const b = r0 * Math.sqrt(aspect);
  const rot = rng.range(0, Math.PI);
  const cosR = Math.cos(rot);
  const sinR = Math.sin(rot);
  const cx = S * (0.5 + rng.range(-0.12, 0.12));
  const cy = S * (0.5 + rng.range(-0.12, 0.12));
  const outline = radialProfile(rng, 5, rng.range(0.2, 0.6));
  const edge = rng.range(1, 3) * scale;
  const centreDark = rng.range(0, 0.3);
  const [pLo, pHi] = profileRange(outline);
  // The full edge width in normalised radius units: beyond it alpha is exactly 0 or 1.
  const band = edge / r0;

  const skinTex = fractalNoise(rng, S, 3, octavesFor(S, 3));
  const rednessTex = fractalNoise(rng, S, 2, 2);
  const lesionTex = fractalNoise(rng, S, 5, octavesFor(S, 5), 0.6);
  const vignette = rng.bernoulli(0.3) ? rng.range(0.2, 0.5) : 0;
  const hair = rng.bernoulli(0.35) ? hairMap(rng, S) : null;
  const noiseStd = rng.range(0.01, 0.025);

  const image = new Float32Array(S * S * 3);
  const mask = new Uint8Array(S * S);
  const half = S / 2;
  const cornerR = half * Math.SQRT2;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const k = y * S + x;
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (dx * cosR + dy * sinR) / a;
      const v = (-dx * sinR + dy * cosR) / b;
      const rho = norm2(u, v);
      // Only pixels in the band around the outline need its angle; the rest are clearly in or out.
      let alpha: number;
      if (rho > pHi + band) {
        alpha = 0;
      } else if (rho < pLo - band) {
        alpha = 1;
        mask[k] = 1;
      } else {
        const sd = (rho - profileAt(outline, Math.atan2(v, u))) * r0; // ≈ signed distance in pixels
        if (sd < 0) mask[k] = 1;
        alpha = smoothstep(0.5 - sd / edge);
      }

      const st = 1 + 0.07 * (skinTex[k] as number);
      const red = 0.04 * (rednessTex[k] as number);
      const lt = (1 + 0.2 * (lesionTex[k] as number)) * (1 - centreDark * (rho < 1 ? 1 - rho : 0));
      let shade = 1;
      if (vignette > 0) {
        const rr = norm2(x + 0.5 - half, y + 0.5 - half) / cornerR;
        shade = 1 - vignette * smoothstep((rr - 0.75) / 0.25);
      }
      const h = hair === null ? 0 : (hair[k] as number);
      for (let c = 0; c < 3; c++) {
        const bg = (skin[c] as number) * st + (c === 0 ? red : red * 0.3);
        const fg = (core[c] as number) * lt;
        let val = (bg * (1 - alpha) + fg * alpha) * shade;
        val = val * (1 - h) + (HAIR[c] as number) * h;
        val += noiseStd * fastNormal(rng);
        image[k * 3 + c] = val < 0 ? 0 : val > 1 ? 1 : val;
      }
    }
  }
  return { image, mask, category };
}
