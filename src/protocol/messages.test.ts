import { describe, expect, it } from 'vitest';
import { blobOf, stepOf, withBlob, type WireMessage } from './messages.js';

const b = (id: number) => ({ id, bytes: 8, rawBytes: 8, codec: 'none' });

describe('message helpers', () => {
  it('stepOf: a split message its own step, a labels or abandon op the batch it names, round-level messages -1', () => {
    expect(stepOf({ kind: 'features.s1', round: 0, step: 3, blob: b(1) })).toBe(3);
    expect(stepOf({ kind: 'control', round: 0, control: { op: 'labels', step: 4, blob: b(1) } })).toBe(4);
    expect(stepOf({ kind: 'control', round: 0, control: { op: 'abandon', step: 5 } })).toBe(5);
    expect(stepOf({ kind: 'control', round: 0, control: { op: 'turn.done' } })).toBe(-1);
    expect(stepOf({ kind: 'weights.down', round: 1, blob: b(1) })).toBe(-1);
  });

  it('blobOf: the payload, the labels of a labels op, else null', () => {
    expect(blobOf({ kind: 'weights.up', round: 0, blob: b(2), samples: 3 })).toEqual(b(2));
    expect(blobOf({ kind: 'control', round: 0, control: { op: 'labels', step: 0, blob: b(3) } })).toEqual(b(3));
    expect(blobOf({ kind: 'control', round: 0, control: { op: 'abandon', step: 0 } })).toBeNull();
    expect(blobOf({ kind: 'control', round: 0, control: { op: 'turn' } })).toBeNull();
  });

  it('withBlob: the same message with another buffer (payload or labels); a message without one is unchanged', () => {
    expect(withBlob({ kind: 'gradients.s1', round: 1, step: 2, blob: b(1) }, b(9))).toEqual({ kind: 'gradients.s1', round: 1, step: 2, blob: b(9) });
    const labels: WireMessage = { kind: 'control', round: 1, control: { op: 'labels', step: 2, blob: b(1) } };
    expect(withBlob(labels, b(9))).toEqual({ kind: 'control', round: 1, control: { op: 'labels', step: 2, blob: b(9) } });
    expect(labels).toEqual({ kind: 'control', round: 1, control: { op: 'labels', step: 2, blob: b(1) } }); // not changed in place
    const abandon: WireMessage = { kind: 'control', round: 1, control: { op: 'abandon', step: 2 } };
    expect(withBlob(abandon, b(9))).toBe(abandon);
  });
});
