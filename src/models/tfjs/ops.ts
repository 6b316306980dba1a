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

/**
 * Per-channel mean over all axes but the last, as a [C] vector. For NHWC activations this is a
 * global average pool (XNNPACK, no transpose) plus a tiny sum over the batch; the generic path is
 * a GEMV with a row of 1/M (the data as the right operand would be re-packed on every call).
 */
function channelMean(x: tf.Tensor): tf.Tensor1D {
  const c = x.shape[x.shape.length - 1]!;
  if (x.rank === 4) {
    const [n, h, w] = x.shape as [number, number, number, number];
    return tf.div(tf.reshape(tf.sum(tf.avgPool(x as tf.Tensor4D, [h, w], 1, 'valid'), 0), [c]), n);
  }
  const m = x.size / c;
  const x2 = tf.reshape(x, [m, c]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(tf.fill([1, m], 1 / m) as tf.Tensor2D, x2), [c]);
}

/**
 * Training-mode batch norm over all axes but the last: y = gamma * (x - mean) / sqrt(var + eps) + beta,
 * with batch mean and biased variance. The batch statistics are tf.keep'd into `stats` (caller disposes).
 * Gradient, with xhat the normalised input and E the per-channel mean over the M values:
 *   dbeta = M E[dy], dgamma = M E[dy xhat], dx = gamma invstd (dy - E[dy] - xhat E[dy xhat]).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, stats: BatchStats[]): tf.Tensor {
  const c = x.shape[x.shape.length - 1]!;
  const m = x.size / c;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = channelMean(xIn);
    const xc = tf.sub(xIn, mean);
    const variance = channelMean(tf.square(xc));
    const invstd = tf.rsqrt(tf.add(variance, BN_EPSILON)) as tf.Tensor1D;
    const xhat = tf.mul(xc, invstd);
    const y = tf.add(tf.mul(xhat, g), b);
    stats.push({ mean: tf.keep(mean), variance: tf.keep(variance), count: m });
    save([xhat, invstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, sinvstd, sg] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
        const meanDy = channelMean(dy);
        const dyXhat = tf.mul(dy, sxhat);
        const meanDyXhat = channelMean(dyXhat);
        const dbeta = tf.mul(meanDy, m);
        const dgamma = tf.mul(meanDyXhat, m);
        const dx = tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(sxhat, meanDyXhat)), tf.mul(sg, sinvstd));
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

/**
 * 2x2 max pooling, stride 2. When H and W are even, the gradient is dy routed (by nearest-neighbour
 * upsampling) to every input equal to its window's maximum: 4-5x faster on wasm than the stock
 * MaxPoolGrad kernel (a naive loop). It differs from stock tfjs (first maximum only) only on exact
 * ties; in these models pooling follows a ReLU, where ties are zeros whose ReLU gradient is zero.
 */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) return tf.maxPool(x, 2, 2, 'valid');
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = tf.maxPool(xIn, 2, 2, 'valid');
    save([xIn, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor4D, tf.Tensor4D];
        const yUp = tf.image.resizeNearestNeighbor(sy, [h, w]);
        const dyUp = tf.image.resizeNearestNeighbor(dy, [h, w]);
        return tf.mul(tf.cast(tf.equal(sx, yUp), 'float32'), dyUp);
      },
    };
  });
  return f(x) as tf.Tensor4D;
}

/** ReLU whose gradient is dy * step(x) (stock tfjs adds a full-size Cast copy of step(x)). */
export function relu<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([xIn]);
    return { value: tf.relu(xIn), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.step(saved[0]!)) };
  });
  return f(x) as T;
}

/** The op set a model's forward pass uses (fast custom-gradient ops, or stock tfjs for reference). */
export interface TrainOps {
  batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, stats: BatchStats[]): tf.Tensor;
  crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar;
  maxPool2x2(x: tf.Tensor4D): tf.Tensor4D;
  relu<T extends tf.Tensor>(x: T): T;
}
export const FAST_OPS: TrainOps = { batchNormTrain, crossEntropy: softmaxCrossEntropy, maxPool2x2, relu };
export const REFERENCE_OPS: TrainOps = {
  batchNormTrain: batchNormTrainReference,
  crossEntropy: softmaxCrossEntropyReference,
  maxPool2x2: (x) => tf.maxPool(x, 2, 2, 'valid'),
  relu: (x) => tf.relu(x),
};
