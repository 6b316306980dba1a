/**
 * Training ops with closed-form gradients (tf.customGrad), so the backward pass is a few fused-ish
 * element-wise ops instead of tfjs's op-by-op autodiff of moments/batchNorm/logSoftmax.
 * `reference` variants use stock tfjs ops and autodiff; tests compare the two.
 */
import * as tf from '@tensorflow/tfjs-core';

export const BN_EPSILON = 1e-5;

/** Batch statistics of one batch-norm layer (biased variance over N*H*W), kept for running stats. */
export interface BatchStats {
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
  /** Number of values each channel's statistics average over. */
  readonly count: number;
}

/** Column sums of a [M, C] matrix as a [C] vector, via a GEMV (faster than Sum's transpose on wasm). */
function columnSum(x2: tf.Tensor2D, ones: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(ones, x2), [x2.shape[1]]);
}

/**
 * Training-mode batch norm over all axes but the last: y = gamma * (x - mean) / sqrt(var + eps) + beta,
 * with batch mean and biased variance. The batch statistics are tf.keep'd into `stats` (caller disposes).
 * Gradient: with xhat the normalised input, M values per channel,
 *   dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * invstd / M * (M dy - dbeta - xhat dgamma).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, stats: BatchStats[]): tf.Tensor {
  const c = x.shape[x.shape.length - 1]!;
  const m = x.size / c;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const x2 = tf.reshape(xIn, [m, c]) as tf.Tensor2D;
    const ones = tf.fill([1, m], 1 / m) as tf.Tensor2D;
    const mean = columnSum(x2, ones);
    const xc = tf.sub(x2, mean);
    const variance = columnSum(tf.square(xc) as tf.Tensor2D, ones);
    const invstd = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const xhat = tf.mul(xc, invstd);
    const y = tf.add(tf.mul(xhat, g), b);
    stats.push({ mean: tf.keep(mean), variance: tf.keep(variance as tf.Tensor1D), count: m });
    save([xhat, invstd, g]);
    return {
      value: tf.reshape(y, xIn.shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, sinvstd, sg] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const dy2 = tf.reshape(dy, [m, c]) as tf.Tensor2D;
        const onesSum = tf.ones([1, m]) as tf.Tensor2D;
        const dbeta = columnSum(dy2, onesSum);
        const dgamma = columnSum(tf.mul(dy2, sxhat) as tf.Tensor2D, onesSum);
        const scale = tf.div(tf.mul(sg, sinvstd), m);
        const inner = tf.sub(tf.sub(tf.mul(dy2, m), dbeta), tf.mul(sxhat, dgamma));
        const dx = tf.reshape(tf.mul(inner, scale), dy.shape);
        return [dx, dgamma, dbeta];
      },
    };
  });
  return f(x, gamma, beta);
}

/** Same as batchNormTrain with tfjs autodiff through tf.moments and tf.batchNorm (tests only). */
export function batchNormTrainReference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, stats: BatchStats[]): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  stats.push({ mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D), count: x.size / x.shape[x.shape.length - 1]! });
  return tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON);
}

/** Inference batch norm with given (running) statistics. */
export function batchNormInfer(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, mean: tf.Tensor1D, variance: tf.Tensor1D): tf.Tensor {
  return tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON);
}

/**
 * Mean softmax cross-entropy of logits [N, K] against labels; gradient (softmax - onehot) / N.
 * `oneHot` is a constant [N, K] float tensor.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  const n = logits.shape[0];
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [z, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const logp = tf.logSoftmax(z);
    const loss = tf.div(tf.neg(tf.sum(tf.mul(logp, oneHot))), n) as tf.Scalar;
    save([logp]);
    return {
      value: loss,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => tf.mul(dy, tf.div(tf.sub(tf.exp(saved[0]!), oneHot), n)),
    };
  });
  return f(logits) as tf.Scalar;
}

/** Same loss through tf.losses (tests only). */
export function softmaxCrossEntropyReference(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
}

/** Per-sample losses and correct-prediction flags for evaluation: returns [sum loss, correct count]. */
export function lossAndCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D, oneHot: tf.Tensor2D): tf.Tensor1D {
  const logp = tf.logSoftmax(logits);
  const lossSum = tf.neg(tf.sum(tf.mul(logp, oneHot)));
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
  return tf.stack([lossSum, correct]) as tf.Tensor1D;
}

/** The op set a model's forward pass uses (fast custom-gradient ops, or stock tfjs for reference). */
export interface TrainOps {
  batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, stats: BatchStats[]): tf.Tensor;
  crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar;
}
export const FAST_OPS: TrainOps = { batchNormTrain, crossEntropy: softmaxCrossEntropy };
export const REFERENCE_OPS: TrainOps = { batchNormTrain: batchNormTrainReference, crossEntropy: softmaxCrossEntropyReference };
