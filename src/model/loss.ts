/** Segmentation loss: pixel cross-entropy plus soft Dice (the usual U-Net "Dice + CE" pair). */
import * as tf from '@tensorflow/tfjs';

/**
 * Smoothing added to numerator and denominator of the soft Dice (Milletari et al. 2016 form
 * (2Σpy + s)/(Σp + Σy + s)). s = 1 keeps the ratio defined for a class absent from both
 * prediction and truth (Dice → 1, no gradient blow-up) and is small next to the pixel counts
 * of a batch (≥ 16² here), so it barely biases present classes.
 */
export const DICE_SMOOTH = 1;

/**
 * mean cross-entropy over pixels + (1 − mean over classes of soft Dice), where each class's
 * Dice sums over the whole batch (N·H·W pixels) with softmax probabilities, background included.
 * @param logits [N, H, W, classes]
 * @param labels integer class ids [N, H, W] (int32; other dtypes are cast)
 */
export function diceCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor, classes: number): tf.Scalar {
  const [n, h, w, c] = logits.shape;
  if (c !== classes) {
    throw new RangeError(
      `diceCrossEntropy: logits must have ${classes} channels, got shape [${logits.shape.join(',')}]`,
    );
  }
  const ls = labels.shape;
  if (ls.length !== 3 || ls[0] !== n || ls[1] !== h || ls[2] !== w) {
    throw new RangeError(`diceCrossEntropy: labels must have shape [${n},${h},${w}], got [${ls.join(',')}]`);
  }
  return tf.tidy(() => {
    const flat = tf.reshape(logits, [-1, classes]);
    const ids = tf.reshape(labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32'), [-1]);
    const y = tf.cast(tf.oneHot(ids as tf.Tensor1D, classes), 'float32');
    const logp = tf.logSoftmax(flat);
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(y, logp), 1)));
    const prob = tf.exp(logp);
    const inter = tf.sum(tf.mul(prob, y), 0);
    const denom = tf.add(tf.sum(prob, 0), tf.sum(y, 0));
    const dice = tf.div(tf.add(tf.mul(inter, 2), DICE_SMOOTH), tf.add(denom, DICE_SMOOTH));
    return tf.add(ce, tf.sub(1, tf.mean(dice))) as tf.Scalar;
  });
}
