/**
 * Which of a learned codec's parameters shape the decoded tensor and which only model its
 * probabilities. The split tensors' codecs are trained for tens of steps inside a run whose
 * model parts co-adapt to them, so the two groups want different learning rates: a fast
 * entropy model lowers the rate without changing what the receiver decodes, while slow
 * transforms keep the decoded tensors close to those the parts were trained on.
 */
import type { LearnedCodec } from './types.js';

/** Prefixes of the analysis and synthesis transforms (g_a, g_s); everything else is the entropy model. */
const TRANSFORM_PREFIXES = ['g_a.', 'g_s.'];

/** Contiguous [start, end) ranges of the flat parameters that belong to the entropy model. */
export function entropyParamRanges(codec: LearnedCodec): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  let offset = 0;
  for (const p of codec.params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (!TRANSFORM_PREFIXES.some((prefix) => p.name.startsWith(prefix))) {
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last.end === offset) last.end += size;
      else ranges.push({ start: offset, end: offset + size });
    }
    offset += size;
  }
  return ranges;
}
