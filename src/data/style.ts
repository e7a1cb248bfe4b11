/**
 * Per-site appearance shift ("style"): each simulated hospital images with its own scanner
 * settings, so clients see the same anatomy with different brightness, contrast, colour and
 * sharpness. This is the feature-skew half of the non-IID setting (label skew is partition.ts).
 */
import type { Rng } from '../sim/rng.js';
import { fastNormal, gaussianBlur } from './noise.js';
import type { StyleShift } from './types.js';

/** The style that changes nothing. */
export function identityStyle(): StyleShift {
  return { brightness: 0, contrast: 1, gamma: 1, tint: [1, 1, 1], noiseStd: 0, blur: 0 };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Draws one site's style. `strength` 0 gives the identity; 1 gives clearly different sites
 * (brightness ±0.08, contrast and gamma factors around e^±0.2–0.25, tints ±8 %, noise up to
 * 0.03, blur up to σ = 1 px) that stay learnable. Always consumes the same number of draws.
 * @example const style = siteStyle(new Rng(7).child('site/0/style'), 1);
 */
export function siteStyle(rng: Rng, strength: number): StyleShift {
  if (!(Number.isFinite(strength) && strength >= 0)) {
    throw new Error(`siteStyle.strength: must be a finite number >= 0, got ${strength}`);
  }
  const s = strength;
  const brightness = clamp(rng.normal(0, 0.08 * s), -0.25, 0.25);
  const contrast = Math.exp(clamp(rng.normal(0, 0.2 * s), -0.6, 0.6));
  const gamma = Math.exp(clamp(rng.normal(0, 0.25 * s), -0.7, 0.7));
  const tint: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) tint[c] = Math.exp(clamp(rng.normal(0, 0.08 * s), -0.3, 0.3));
  const noiseStd = 0.03 * s * rng.uniform();
  const blur = 1.0 * s * rng.uniform();
  return { brightness, contrast, gamma, tint, noiseStd, blur };
}

/** True when applying `style` would leave an image unchanged (apart from clamping). */
export function isIdentityStyle(style: StyleShift): boolean {
  return (
    style.brightness === 0 &&
    style.contrast === 1 &&
    style.gamma === 1 &&
    style.tint[0] === 1 &&
    style.tint[1] === 1 &&
    style.tint[2] === 1 &&
    style.noiseStd === 0 &&
    style.blur <= 0.05
  );
}

/**
 * Applies `style` to an HWC image and returns a new array clamped to [0, 1]; the input is
 * not modified. Noise draws come from `rng`. Masks are never passed here: a style changes
 * appearance, not anatomy.
 */
export function applyStyle(
  image: Float32Array,
  height: number,
  width: number,
  channels: number,
  style: StyleShift,
  rng: Rng,
): Float32Array {
  const out = new Float32Array(image);
  gaussianBlur(out, height, width, channels, style.blur);
  // Rec. 601 luma weights fold an RGB tint into one gain for grey images.
  const greyGain = 0.299 * style.tint[0] + 0.587 * style.tint[1] + 0.114 * style.tint[2];
  const gains = channels === 1 ? [greyGain] : style.tint;
  const { brightness, contrast, gamma, noiseStd } = style;
  for (let p = 0; p < out.length; ) {
    for (let c = 0; c < channels; c++, p++) {
      let v = ((out[p] as number) - 0.5) * contrast + 0.5 + brightness;
      v = clamp(v, 0, 1);
      if (gamma !== 1) v = Math.pow(v, gamma);
      v *= (gains[c] ?? 1) as number;
      if (noiseStd > 0) v += noiseStd * fastNormal(rng);
      out[p] = clamp(v, 0, 1);
    }
  }
  return out;
}

/** Checks a style's fields; `field` prefixes messages, e.g. `generateSynthetic.style`. */
export function validateStyle(style: StyleShift, field: string): void {
  const finite = (name: string, v: number, ok: boolean, want: string): void => {
    if (!Number.isFinite(v) || !ok) throw new Error(`${field}.${name}: must be ${want}, got ${v}`);
  };
  finite('brightness', style.brightness, true, 'a finite number');
  finite('contrast', style.contrast, style.contrast > 0, '> 0');
  finite('gamma', style.gamma, style.gamma > 0, '> 0');
  if (!Array.isArray(style.tint) || style.tint.length !== 3) {
    throw new Error(`${field}.tint: must be three RGB gains, got ${JSON.stringify(style.tint)}`);
  }
  style.tint.forEach((g, i) => finite(`tint[${i}]`, g, g >= 0, '>= 0'));
  finite('noiseStd', style.noiseStd, style.noiseStd >= 0, '>= 0');
  finite('blur', style.blur, style.blur >= 0, '>= 0');
}
