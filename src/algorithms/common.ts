/**
 * Building blocks shared by the algorithms: de-biasing, the momentum-SGD direction, plain
 * (uncompressed) push-sum mixing. All vector arithmetic runs as kernels on the arena.
 */
import type { DeviceContext, Vec } from './types.js';

/** out = x_i / w_i (f32: x * fround(1 / w)); a plain copy when w = 1. */
export function deBias(dev: DeviceContext, out: Vec): void {
  const k = dev.kernels;
  k.copy(dev.d, dev.x.ptr, out.ptr);
  const w = dev.w[0]!;
  if (w !== 1) k.scale(dev.d, 1 / w, out.ptr);
}

/**
 * The momentum-SGD direction at `params` with gradient `grad` (grad is overwritten):
 * g += weightDecay * params;  m = g + momentum * m.  Returns the momentum vector (the direction u).
 */
export function momentumDirection(dev: DeviceContext, params: Vec, grad: Vec): Vec {
  const { momentum, weightDecay } = dev.config.algorithm;
  const k = dev.kernels;
  if (weightDecay !== 0) k.axpy(dev.d, weightDecay, params.ptr, grad.ptr);
  k.axpby(dev.d, 1, grad.ptr, momentum, dev.momentum.ptr);
  return dev.momentum;
}

/**
 * H = localSteps momentum-SGD steps applied to the push-sum numerator: each step evaluates the
 * gradient at the de-biased model z = x / w and does x -= lr * u (Assran et al.: SGP updates x).
 * Uses scratch slots 0 (z) and 1 (gradient).
 */
export async function localStepsOnX(dev: DeviceContext): Promise<void> {
  const { lr, localSteps } = dev.config.algorithm;
  const z = dev.scratch(0);
  const g = dev.scratch(1);
  for (let h = 0; h < localSteps; h++) {
    deBias(dev, z);
    await dev.gradient(z, g);
    const u = momentumDirection(dev, z, g);
    if (lr !== 0) dev.kernels.axpy(dev.d, -lr, u.ptr, dev.x.ptr);
  }
}

/**
 * Uncompressed push-sum mixing: x_i = a_i x_i + sum_j a_j x_j, w_i = a_i w_i + sum_j a_j w_j,
 * in-messages in ascending sender order (the inbox order), the own share first.
 */
export function pushSumMix(dev: DeviceContext): void {
  const a = dev.selfWeight;
  dev.kernels.scale(dev.d, a, dev.x.ptr);
  let w = a * dev.w[0]!;
  for (const msg of dev.inbox()) {
    dev.compressor.accumulate(msg.bytes, dev.d, msg.selfWeight, dev.x.view);
    w += msg.selfWeight * msg.weight;
  }
  dev.w[0] = w;
}
