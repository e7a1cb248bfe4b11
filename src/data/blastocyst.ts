/**
 * The synthetic five-class "blastocyst" family: a grey, microscopy-like day-5 embryo phantom.
 * Classes (ids in order): background, zona pellucida (a thick ring), trophectoderm (a thin cell
 * layer just inside it), inner cell mass (a granular blob attached to the inner wall) and
 * blastocoel (the fluid cavity). Modelled on the blastocyst set SplitFedZip used (Saeedi et al.
 * 2017): a bright halo outside the zona, dark rims at its edges, cell borders along the
 * trophectoderm, uneven illumination, out-of-focus debris and sensor noise.
 */
import type { Rng } from '../sim/rng.js';
import { fastNormal, fractalNoise, gaussianBlur, norm2, octavesFor, profileAt, profileRange, radialProfile, valueNoise } from './noise.js';
import type { Sample } from './types.js';

/** Class names of the blastocyst family, by class id. */
export const BLASTOCYST_CLASSES: readonly string[] = [
  'background',
  'zona pellucida',
  'trophectoderm',
  'inner cell mass',
  'blastocoel',
];

/** Shape parameters per category ("grade"); each entry is a [lo, hi) range. */
interface Variant {
  radius: [number, number]; // outer radius, fraction of the image side
  zona: [number, number]; // zona thickness, fraction of the radius
  te: [number, number]; // trophectoderm thickness, fraction of the radius
  icm: [number, number]; // inner-cell-mass radius, fraction of the cavity radius
  aspect: [number, number]; // minor/major axis ratio
  irregular: [number, number]; // outline harmonic amplitude
  icmBlobs: number; // 2 = fragmented inner cell mass
}

/**
 * 0 expanded (large, thin zona), 1 early (small cavity, thick zona and trophectoderm, big
 * inner cell mass), 2 collapsing (elliptical, irregular outline), 3 thinned zona with a
 * fragmented inner cell mass.
 */
const VARIANTS: readonly Variant[] = [
  { radius: [0.37, 0.42], zona: [0.09, 0.12], te: [0.07, 0.09], icm: [0.28, 0.36], aspect: [0.9, 1], irregular: [0.02, 0.07], icmBlobs: 1 },
  { radius: [0.3, 0.35], zona: [0.15, 0.19], te: [0.1, 0.13], icm: [0.4, 0.5], aspect: [0.88, 1], irregular: [0.02, 0.07], icmBlobs: 1 },
  { radius: [0.33, 0.39], zona: [0.11, 0.14], te: [0.08, 0.1], icm: [0.3, 0.4], aspect: [0.72, 0.86], irregular: [0.1, 0.2], icmBlobs: 1 },
  { radius: [0.37, 0.42], zona: [0.07, 0.09], te: [0.07, 0.09], icm: [0.24, 0.3], aspect: [0.9, 1], irregular: [0.02, 0.07], icmBlobs: 2 },
];

interface Blob {
  u: number;
  v: number;
  radius: number;
  outline: Float32Array;
  /** radius × the outline's largest value: no pixel beyond it belongs to the blob. */
  reach: number;
}

/** Renders one blastocyst sample of `size`×`size` (one channel) from `rng`. */
export function renderBlastocyst(rng: Rng, size: number): Sample {
  const S = size;
  const scale = S / 64;
  const category = rng.int(VARIANTS.length);
  const vr = VARIANTS[category] as Variant;
  const pick = (r: [number, number]): number => rng.range(r[0], r[1]);

  const R = pick(vr.radius) * S;
  const zt = Math.max(2.2 * scale, pick(vr.zona) * R);
  const tt = Math.max(1.8 * scale, pick(vr.te) * R);
  const aspect = pick(vr.aspect);
  const su = Math.sqrt(aspect); // u = rotated x · √aspect, v = rotated y / √aspect: area-preserving
  const rot = rng.range(0, Math.PI);
  const cosR = Math.cos(rot);
  const sinR = Math.sin(rot);
  const cx = S * (0.5 + rng.range(-0.04, 0.04));
  const cy = S * (0.5 + rng.range(-0.04, 0.04));
  const outer = radialProfile(rng, 4, pick(vr.irregular));

  // Inner cell mass: blob centres sit just inside the trophectoderm so each blob touches the wall.
  const blobs: Blob[] = [];
  const psi0 = rng.range(0, 2 * Math.PI);
  for (let j = 0; j < vr.icmBlobs; j++) {
    const psi = psi0 + (j === 0 ? 0 : rng.range(0.5, 0.9) * (rng.bernoulli(0.5) ? 1 : -1));
    const rin = R * profileAt(outer, psi) - zt - tt;
    const radius = pick(vr.icm) * rin * (j === 0 ? 1 : 0.65);
    const rc = rin - 0.6 * radius;
    const outline = radialProfile(rng, 3, 0.3);
    blobs.push({ u: rc * Math.cos(psi), v: rc * Math.sin(psi), radius, outline, reach: radius * profileRange(outline)[1] });
  }

  // Appearance parameters.
  const bgLevel = rng.range(0.42, 0.5);
  const haloAmp = rng.range(0.12, 0.22);
  const haloW = rng.range(1.2, 2.5) * scale;
  const zpLevel = rng.range(0.68, 0.78);
  const rimW = 0.8 * scale;
  const teLevel = rng.range(0.3, 0.36);
  const cellPx = rng.range(6, 9) * scale;
  const nCells = Math.max(6, Math.round((2 * Math.PI * (R - zt)) / cellPx));
  const icmLevel = rng.range(0.18, 0.24);
  const cavLevel = rng.range(0.52, 0.6);
  const gx = rng.range(-0.15, 0.15);
  const gy = rng.range(-0.15, 0.15);
  const noiseStd = rng.range(0.015, 0.03);
  // Regions never overlap, so background and cavity share one smooth field, zona and
  // trophectoderm one finer field: half the noise passes, no visible correlation.
  const smoothTex = fractalNoise(rng, S, 3, 2);
  const wallTex = fractalNoise(rng, S, 6, octavesFor(S, 6));
  const granular = valueNoise(rng, S, Math.max(4, Math.round(S / 3)));
  const debris: number[] = [];
  const nDebris = rng.int(4);
  for (let i = 0; i < nDebris; i++) debris.push(rng.uniform() * S, rng.uniform() * S, rng.range(0.8, 2) * scale, rng.range(-0.15, 0.1));

  const [_pLo, pHi] = profileRange(outer);
  // Beyond this radius the halo and rim terms are below 1e-3: plain background, no angle needed.
  const farOut = R * pHi + Math.max(7 * haloW, 3 * rimW);
  const rimReach = 3 * rimW;
  const image = new Float32Array(S * S);
  const mask = new Uint8Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const k = y * S + x;
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (dx * cosR + dy * sinR) * su;
      const v = (-dx * sinR + dy * cosR) / su;
      const r = norm2(u, v);
      let val = 0;
      let cls = 0;
      let depth = -Infinity; // pixels inside the outer zona edge
      let theta = 0;
      if (r < farOut) {
        theta = Math.atan2(v, u);
        depth = R * profileAt(outer, theta) - r;
      }
      if (depth < 0) {
        val = bgLevel + 0.03 * (smoothTex[k] as number);
        if (depth > -7 * haloW) val += haloAmp * Math.exp(depth / haloW);
        for (let i = 0; i < debris.length; i += 4) {
          const d = norm2(x + 0.5 - (debris[i] as number), y + 0.5 - (debris[i + 1] as number));
          if (d < (debris[i + 2] as number) && depth < -3 * scale) val += debris[i + 3] as number;
        }
      } else if (depth < zt) {
        cls = 1;
        val = zpLevel + 0.03 * (wallTex[k] as number);
      } else if (depth < zt + tt) {
        cls = 2;
        const f = (((theta / (2 * Math.PI)) * nCells) % 1 + 1) % 1;
        const border = Math.min(f, 1 - f) * cellPx; // pixels to the nearest cell border
        val = teLevel + 0.04 * (wallTex[k] as number) - 0.12 * Math.exp(-(border * border) / (rimW * rimW));
      } else {
        cls = 4;
        for (const b of blobs) {
          const bu = u - b.u;
          const bv = v - b.v;
          const d = norm2(bu, bv);
          if (d < b.reach && d < b.radius * profileAt(b.outline, Math.atan2(bv, bu))) {
            cls = 3;
            break;
          }
        }
        val = cls === 3 ? icmLevel + 0.09 * (granular[k] as number) : cavLevel + 0.02 * (smoothTex[k] as number);
      }
      // Dark rims at both zona edges, as phase/Hoffman contrast draws them.
      if (depth > -rimReach && depth < zt + rimReach) {
        const dOut = depth / rimW;
        const dIn = (depth - zt) / rimW;
        val -= 0.14 * Math.exp(-dOut * dOut) + 0.06 * Math.exp(-dIn * dIn);
      }
      image[k] = val;
      mask[k] = cls;
    }
  }
  // Optics: a slight defocus softens the painted region edges before illumination and noise.
  gaussianBlur(image, S, S, 1, 0.6 * scale);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const k = y * S + x;
      const illum = 1 + gx * (x / S - 0.5) * 2 + gy * (y / S - 0.5) * 2;
      const val = (image[k] as number) * illum + noiseStd * fastNormal(rng);
      image[k] = val < 0 ? 0 : val > 1 ? 1 : val;
    }
  }
  return { image, mask, category };
}
