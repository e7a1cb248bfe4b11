import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confusion, iouDice, trivialMeanIoU } from './metrics.js';

describe('confusion', () => {
  it('counts truth × prediction pairs', () => {
    const conf = confusion(Int32Array.from([0, 1, 1, 1, 2, 0]), Uint8Array.from([0, 0, 1, 1, 2, 2]), 3);
    expect(Array.from(conf)).toEqual([1, 1, 0, 0, 2, 0, 1, 0, 1]);
  });

  it('rejects mismatched lengths and out-of-range ids', () => {
    expect(() => confusion(new Uint8Array(3), new Uint8Array(4), 2)).toThrow('confusion.pred: must have length 4 (as truth), got 3');
    expect(() => confusion(Uint8Array.from([0, 2]), new Uint8Array(2), 2)).toThrow('confusion.pred[1]: must be in [0, 2), got 2');
    expect(() => confusion(new Uint8Array(1), Uint8Array.from([5]), 2)).toThrow('confusion.truth[0]: must be < 2, got 5');
  });
});

describe('iouDice', () => {
  it('scores a hand-made matrix', () => {
    // rows truth, cols prediction: class 1 tp 2 fp 1 fn 0; class 2 tp 1 fp 0 fn 1; class 0 tp 1 fp 1 fn 1
    const r = iouDice(Float64Array.from([1, 1, 0, 0, 2, 0, 1, 0, 1]), 3);
    expect(r.iou[0]).toBeCloseTo(1 / 3, 12);
    expect(r.iou[1]).toBeCloseTo(2 / 3, 12);
    expect(r.iou[2]).toBeCloseTo(1 / 2, 12);
    expect(r.dice[1]).toBeCloseTo(4 / 5, 12);
    expect(r.dice[2]).toBeCloseTo(2 / 3, 12);
    expect(r.meanIoU).toBeCloseTo((2 / 3 + 1 / 2) / 2, 12);
    expect(r.meanDice).toBeCloseTo((4 / 5 + 2 / 3) / 2, 12);
  });

  it('leaves classes absent from truth and prediction out of the means', () => {
    // 3 classes; class 2 never occurs
    const r = iouDice(Float64Array.from([5, 1, 0, 1, 3, 0, 0, 0, 0]), 3);
    expect(r.iou[2]).toBeNaN();
    expect(r.meanIoU).toBeCloseTo(3 / 5, 12);
    // a class predicted but absent from truth counts, with IoU 0
    const fp = iouDice(Float64Array.from([5, 1, 1, 1, 3, 0, 0, 0, 0]), 3);
    expect(fp.iou[2]).toBe(0);
    expect(fp.meanIoU).toBeCloseTo(3 / 5 / 2, 12);
    // only background anywhere: no foreground score exists
    expect(iouDice(Float64Array.from([4, 0, 0, 0]), 2).meanIoU).toBeNaN();
    expect(() => iouDice(new Float64Array(8), 3)).toThrow('iouDice.conf: must have length 9 (classes²), got 8');
  });

  it('Dice = 2·IoU/(1+IoU) and both lie in [0, 1] for any predictions', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 200 }), (pairs) => {
        const conf = confusion(Uint8Array.from(pairs.map((p) => p[0])), Uint8Array.from(pairs.map((p) => p[1])), 4);
        const r = iouDice(conf, 4);
        r.iou.forEach((iou, c) => {
          if (Number.isNaN(iou)) return;
          expect(iou).toBeGreaterThanOrEqual(0);
          expect(iou).toBeLessThanOrEqual(1);
          expect(r.dice[c]).toBeCloseTo((2 * iou) / (1 + iou), 12);
        });
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe('trivialMeanIoU', () => {
  it('scores the best constant prediction: a majority foreground gives its pixel share', () => {
    expect(trivialMeanIoU([218, 782])).toEqual({ meanIoU: 0.782, class: 1 });
    // minority foreground: "all foreground" still beats "all background" (which scores 0)
    expect(trivialMeanIoU([900, 100])).toEqual({ meanIoU: 0.1, class: 1 });
    // 3 classes: constant k scores share_k over the 2 present foreground classes
    expect(trivialMeanIoU([10, 60, 30]).meanIoU).toBeCloseTo(0.3, 12);
    expect(trivialMeanIoU([10, 60, 30]).class).toBe(1);
    // no foreground in the truth: predicting one scores its IoU 0 (as a run would score it)
    expect(trivialMeanIoU([5, 0])).toEqual({ meanIoU: 0, class: 1 });
    expect(trivialMeanIoU([5]).meanIoU).toBeNaN();
  });

  it('no constant prediction beats it, scored as a run scores (iouDice of the confusion)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 100 }), (truth) => {
        const t = Uint8Array.from(truth);
        const counts = [0, 1, 2, 3].map((c) => truth.filter((v) => v === c).length);
        const best = trivialMeanIoU(counts);
        for (let k = 0; k < 4; k++) {
          const m = iouDice(confusion(new Uint8Array(t.length).fill(k), t, 4), 4).meanIoU;
          if (!Number.isNaN(m)) expect(m).toBeLessThanOrEqual(best.meanIoU);
        }
        const own = iouDice(confusion(new Uint8Array(t.length).fill(best.class), t, 4), 4).meanIoU;
        if (!Number.isNaN(best.meanIoU)) expect(own).toBe(best.meanIoU);
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});
