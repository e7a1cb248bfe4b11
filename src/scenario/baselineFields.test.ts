/** The baseline codecs' scenario fields (topk, ayad): defaults, ranges and cross-field checks. */
import { describe, expect, it } from 'vitest';
import { ScenarioError } from './errors.js';
import { validateScenario } from './load.js';

function problems(tree: unknown): string[] {
  try {
    validateScenario(tree, 'test.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  return [];
}

describe('baseline codec fields', () => {
  it('fill their documented defaults', () => {
    const s = validateScenario({ codec: { name: 'ayad' } });
    expect(s.codec).toMatchObject({ name: 'ayad', fraction: 0.01, lossThreshold: 0.1 });
    expect(s.codec.freezeAfterRounds).toBeUndefined(); // codecPlan resolves ayad's default (AYAD_FREEZE_AFTER_ROUNDS)
    const codec: Record<string, unknown> = validateScenario({ codec: { name: 'topk', fraction: 1 } }).codec;
    expect(codec['fraction']).toBe(1);
  });

  it('codec.fraction must lie in (0, 1], naming the field and the value', () => {
    expect(problems({ codec: { name: 'topk', fraction: 0 } })).toEqual(['codec.fraction: must be > 0, got 0']);
    expect(problems({ codec: { name: 'topk', fraction: 1.5 } })).toEqual(['codec.fraction: must be ≤ 1, got 1.5']);
    expect(problems({ codec: { name: 'topk', fraction: -0.01 } })).toEqual(['codec.fraction: must be > 0, got -0.01']);
  });

  it('ayad: freezeAfterRounds a whole number ≥ 0, lossThreshold ≥ 0', () => {
    expect(problems({ codec: { name: 'ayad', freezeAfterRounds: -1 } })).toEqual(['codec.freezeAfterRounds: must be ≥ 0, got -1']);
    expect(problems({ codec: { name: 'ayad', freezeAfterRounds: 1.5 } })[0]).toMatch(/^codec\.freezeAfterRounds: must be an integer/);
    expect(problems({ codec: { name: 'ayad', lossThreshold: -0.2 } })).toEqual(['codec.lossThreshold: must be ≥ 0, got -0.2']);
  });

  it('ayad: its autoencoder needs divisible split tensors; learned-gradient fields are refused', () => {
    expect(problems({ data: { size: 16 }, codec: { name: 'ayad', stages: 4 } })).toEqual([
      'codec.stages: ayad (a factorized autoencoder) with 4 stages needs split tensors of a multiple of 16 px, got 8 px (data.size 16); use fewer stages or a larger data.size',
    ]);
    // Gradients only: no autoencoder, so no divisibility constraint.
    expect(problems({ data: { size: 16 }, codec: { name: 'ayad', stages: 4, scheme: 'gradients' } })).toEqual([]);
    expect(problems({ codec: { name: 'ayad', warmupRounds: 2 } })).toEqual([
      'codec.warmupRounds: must be 0 for ayad (its gradients are not coded by a learned codec), got 2',
    ]);
    expect(problems({ codec: { name: 'ayad', lambdaG: 50 } })).toEqual([
      'codec.lambdaG: must be unset for ayad (its gradients are sent as fp32 or skipped), got 50',
    ]);
  });
});
