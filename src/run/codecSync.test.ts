import { describe, expect, it } from 'vitest';
import type { SlotPlan } from './codecPlan.js';
import { addDelta, codecSyncRounds, codecVersionAt, decodeUpdate, encodeUpdate, snapToDelta, subtract } from './codecSync.js';

function learned(trainRounds?: number): SlotPlan {
  return {
    slot: 'F1',
    kind: 'learned',
    spec: { name: 'factorized', channels: 4, latent: 4, inputSize: 8 },
    role: 'feature',
    lambda: 0.5,
    sender: 'client',
    ...(trainRounds !== undefined ? { trainRounds } : {}),
  };
}

describe('codecSyncRounds', () => {
  it('syncs every N rounds, at the last training round and at the run end', () => {
    expect(codecSyncRounds([learned()], 5, 1)).toEqual([true, true, true, true, true]);
    expect(codecSyncRounds([learned()], 5, 2)).toEqual([false, true, false, true, true]);
    expect(codecSyncRounds([learned()], 8, 4)).toEqual([false, false, false, true, false, false, false, true]);
    // Frozen after 3 rounds: the 3rd is the last sync, nothing travels after.
    expect(codecSyncRounds([learned(3)], 8, 2)).toEqual([false, true, true, false, false, false, false, false]);
    expect(codecSyncRounds([{ slot: 'F1', kind: 'classic', options: { name: 'none' } }], 3, 1)).toEqual([false, false, false]);
  });

  it('counts versions as the syncs before a round', () => {
    const sync = [false, true, false, true, true];
    expect([0, 1, 2, 3, 4, 5].map((r) => codecVersionAt(sync, r))).toEqual([0, 0, 1, 1, 2, 3]);
  });
});

describe('codec updates', () => {
  const parts = [Float32Array.from([0.5, -1, 2, 0.25]), Float32Array.from([1e-3, -2e-3, 0, 4e-3, 5e-3])];

  it('fp32 round-trips exactly; fp16 and 8-bit within their grids, tensor by tensor', () => {
    expect(decodeUpdate(encodeUpdate(parts, 32))).toEqual(parts);
    const q8 = decodeUpdate(encodeUpdate(parts, 8));
    // Each tensor has its own grid: the small one keeps its precision next to the large one.
    q8.forEach((p, i) => {
      const x = parts[i] as Float32Array;
      const range = Math.max(...x) - Math.min(...x);
      p.forEach((v, j) => expect(Math.abs(v - (x[j] as number))).toBeLessThanOrEqual(range / 255 / 2 + 1e-7));
    });
    const f16 = decodeUpdate(encodeUpdate(parts, 16));
    f16.forEach((p, i) => p.forEach((v, j) => expect(v).toBeCloseTo((parts[i] as Float32Array)[j] as number, 3)));
    expect(encodeUpdate(parts, 8).byteLength).toBeLessThan(encodeUpdate(parts, 32).byteLength);
  });

  it('a truncated update is an error', () => {
    const buf = encodeUpdate(parts, 32);
    expect(() => decodeUpdate(buf.subarray(0, buf.byteLength - 3))).toThrow(/codec update/);
  });

  it('snapToDelta is what a receiver rebuilds from base + the decoded delta, bit for bit', () => {
    const base = Float32Array.from([0.1, 0.2, 0.3, 0.4]);
    const value = Float32Array.from([0.11, 0.19, 0.35, 0.4]);
    const snapped = snapToDelta(value, base, 8);
    const [d] = decodeUpdate(encodeUpdate([subtract(value, base)], 8));
    expect(snapped).toEqual(addDelta(base, d as Float32Array));
    expect(Math.max(...Array.from(snapped, (v, i) => Math.abs(v - (value[i] as number))))).toBeLessThan(0.06 / 255 + 1e-6);
    expect(snapToDelta(value, base, 32)).toEqual(value);
  });
});
