/**
 * Seeded synthetic segmentation sets (no download): two-class "lesion" dermoscopy phantoms and
 * five-class "blastocyst" microscopy phantoms. Sample i is drawn from its own child stream
 * `sample/<i>`, so a set of 10 is the prefix of a set of 1,000 with the same seed, and an
 * appearance style draws its noise from `sample/<i>/style`, leaving the anatomy unchanged.
 */
import { Rng } from '../sim/rng.js';
import { BLASTOCYST_CLASSES, renderBlastocyst } from './blastocyst.js';
import { LESION_CLASSES, renderLesion } from './lesion.js';
import { applyStyle, isIdentityStyle, validateStyle } from './style.js';
import type { Dataset, Sample, StyleShift, SyntheticKind } from './types.js';

/** Options of generateSynthetic. */
export interface SyntheticOptions {
  kind: SyntheticKind;
  /** Number of samples (≥ 0). */
  count: number;
  /** Image side in pixels (16..1024); images are square. */
  size: number;
  seed: number | string;
  /** Appearance shift applied to every image (default: none). */
  style?: StyleShift;
}

/** Channels, classes and class names of a synthetic family. */
export function syntheticInfo(kind: SyntheticKind): { channels: number; classes: number; classNames: string[] } {
  return kind === 'lesion'
    ? { channels: 3, classes: LESION_CLASSES.length, classNames: [...LESION_CLASSES] }
    : { channels: 1, classes: BLASTOCYST_CLASSES.length, classNames: [...BLASTOCYST_CLASSES] };
}

function checkKind(kind: unknown, field: string): asserts kind is SyntheticKind {
  if (kind !== 'lesion' && kind !== 'blastocyst') {
    throw new Error(`${field}: must be 'lesion' | 'blastocyst', got ${JSON.stringify(kind)}`);
  }
}

function checkSize(size: number, field: string): void {
  if (!Number.isInteger(size) || size < 16 || size > 1024) {
    throw new Error(`${field}: must be an integer in [16, 1024], got ${size}`);
  }
}

/**
 * Draws `count` samples of `kind` from `rng` (sample i from `rng.child('sample/<i>')`),
 * applying `style` to images when given. Used by generateSynthetic and by the per-site
 * generation in clientData.
 */
export function generateSamples(
  rng: Rng,
  kind: SyntheticKind,
  count: number,
  size: number,
  style?: StyleShift,
): Sample[] {
  checkKind(kind, 'generateSamples.kind');
  checkSize(size, 'generateSamples.size');
  const { channels } = syntheticInfo(kind);
  const render = kind === 'lesion' ? renderLesion : renderBlastocyst;
  const styled = style !== undefined && !isIdentityStyle(style);
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const srng = rng.child(`sample/${i}`);
    const sample = render(srng, size);
    if (styled) sample.image = applyStyle(sample.image, size, size, channels, style, srng.child('style'));
    samples.push(sample);
  }
  return samples;
}

/**
 * Generates a deterministic synthetic dataset: the same options give byte-identical samples.
 * @example const ds = generateSynthetic({ kind: 'lesion', count: 100, size: 64, seed: 7 });
 */
export function generateSynthetic(opts: SyntheticOptions): Dataset {
  checkKind(opts.kind, 'generateSynthetic.kind');
  if (!Number.isInteger(opts.count) || opts.count < 0) {
    throw new Error(`generateSynthetic.count: must be an integer >= 0, got ${opts.count}`);
  }
  checkSize(opts.size, 'generateSynthetic.size');
  if (typeof opts.seed !== 'string' && !Number.isFinite(opts.seed)) {
    throw new Error(`generateSynthetic.seed: must be a finite number or a string, got ${opts.seed}`);
  }
  if (opts.style !== undefined) validateStyle(opts.style, 'generateSynthetic.style');
  const info = syntheticInfo(opts.kind);
  const rng = new Rng(opts.seed, `data/${opts.kind}`);
  return {
    name: opts.kind,
    height: opts.size,
    width: opts.size,
    channels: info.channels,
    classes: info.classes,
    classNames: info.classNames,
    samples: generateSamples(rng, opts.kind, opts.count, opts.size, opts.style),
  };
}
