/** Segmentation accuracy from a confusion matrix: per-class IoU (Jaccard) and Dice (F1). */

/**
 * classes×classes pixel counts, row = truth, column = prediction (`conf[t·classes + p]`).
 * Accumulate over a test set by adding matrices.
 */
export function confusion(pred: Uint8Array | Int32Array, truth: Uint8Array, classes: number): Float64Array {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new RangeError(`confusion.classes: must be an integer ≥ 1, got ${classes}`);
  }
  if (pred.length !== truth.length) {
    throw new RangeError(`confusion.pred: must have length ${truth.length} (as truth), got ${pred.length}`);
  }
  const conf = new Float64Array(classes * classes);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = pred[i] as number;
    if (t >= classes) throw new RangeError(`confusion.truth[${i}]: must be < ${classes}, got ${t}`);
    if (!(p >= 0 && p < classes)) throw new RangeError(`confusion.pred[${i}]: must be in [0, ${classes}), got ${p}`);
    conf[t * classes + p] = (conf[t * classes + p] as number) + 1;
  }
  return conf;
}

/** Per-class IoU and Dice, and their means over foreground classes. */
export interface IouDice {
  /** tp / (tp + fp + fn) per class; NaN for a class absent from both truth and prediction. */
  iou: number[];
  /** 2tp / (2tp + fp + fn) per class; NaN likewise. */
  dice: number[];
  /** Mean IoU over foreground classes 1..classes−1 that are present; NaN if none is. */
  meanIoU: number;
  /** Mean Dice over the same classes. */
  meanDice: number;
}

/**
 * IoU and Dice from a confusion matrix. A class absent from both truth and prediction has no
 * defined score (0/0); it is reported as NaN and left out of the means, rather than counted as
 * a perfect 1 (which would inflate scores on test sets missing rare classes) or a 0.
 * Background (class 0) is reported but not averaged, as is usual for lesion/cell segmentation.
 */
export function iouDice(conf: Float64Array, classes: number): IouDice {
  if (conf.length !== classes * classes) {
    throw new RangeError(`iouDice.conf: must have length ${classes * classes} (classes²), got ${conf.length}`);
  }
  const iou: number[] = [];
  const dice: number[] = [];
  for (let c = 0; c < classes; c++) {
    let row = 0;
    let col = 0;
    for (let k = 0; k < classes; k++) {
      row += conf[c * classes + k] as number;
      col += conf[k * classes + c] as number;
    }
    const tp = conf[c * classes + c] as number;
    const fp = col - tp;
    const fn = row - tp;
    const union = tp + fp + fn;
    iou.push(union > 0 ? tp / union : NaN);
    dice.push(union > 0 ? (2 * tp) / (2 * tp + fp + fn) : NaN);
  }
  const meanFg = (xs: number[]): number => {
    const fg = xs.slice(1).filter((x) => !Number.isNaN(x));
    return fg.length > 0 ? fg.reduce((a, b) => a + b, 0) / fg.length : NaN;
  };
  return { iou, dice, meanIoU: meanFg(iou), meanDice: meanFg(dice) };
}

/** The best constant prediction on a test set, and the meanIoU it scores. */
export interface TrivialScore {
  /** meanIoU (foreground classes 1..C−1 present in the truth) of predicting `class` everywhere. */
  meanIoU: number;
  /** The class whose constant prediction scores best (the lowest id on a tie). */
  class: number;
}

/**
 * meanIoU of the best constant prediction ("every pixel is class k"), from the truth's pixel
 * count per class: the floor a trained model must clear before its score means anything. With
 * a majority foreground, "all foreground" scores that class's pixel share. Scored by `iouDice`,
 * so it is the same meanIoU a run reports; NaN only for a single class.
 * @example trivialMeanIoU([218, 782]) // { meanIoU: 0.782, class: 1 }
 */
export function trivialMeanIoU(classCounts: ArrayLike<number>): TrivialScore {
  const classes = classCounts.length;
  let best: TrivialScore = { meanIoU: NaN, class: 0 };
  for (let k = 0; k < classes; k++) {
    const conf = new Float64Array(classes * classes);
    for (let t = 0; t < classes; t++) conf[t * classes + k] = classCounts[t] as number;
    const m = iouDice(conf, classes).meanIoU;
    if (!Number.isNaN(m) && !(m <= best.meanIoU)) best = { meanIoU: m, class: k };
  }
  return best;
}
