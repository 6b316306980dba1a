/**
 * Building blocks shared by the algorithms: de-biasing, the momentum-SGD step, plain
 * (uncompressed) push-sum mixing. All vector arithmetic runs as kernels on the arena.
 */
import type { RunConfig } from '../config/types.js';
import { RunError } from '../errors.js';
import { hasConsensusStep } from './defaults.js';
import { lrAt } from './lr-schedule.js';
import type { DeviceContext, StateVector, Vec } from './types.js';

/**
 * Device `device`'s initial contents of a state vector, written into `out` (its slice of the
 * region, zeros on entry): nothing for init 'zero', initScale(device) * x0 for init 'x'.
 */
export function fillInitialVector(v: StateVector, device: number, x0: Float32Array, out: Float32Array): void {
  if (v.init !== 'x') return;
  const scale = v.initScale ? v.initScale(device) : 1;
  if (scale === 0) return;
  const src = x0.subarray(0, out.length);
  if (scale === 1) out.set(src);
  else for (let j = 0; j < out.length; j++) out[j] = scale * src[j]!;
}

/**
 * What to change when a device's parameters overflow: compressed gossip diverges when its
 * consensus step is too large for the compressor, so those algorithms name algorithm.gamma first.
 */
export function divergenceHint(config: RunConfig): string {
  const { name, gamma } = config.algorithm;
  if (config.compressor !== 'none' && hasConsensusStep(name)) {
    return `lower algorithm.gamma (now ${gamma}; compressed gossip diverges when it is too large for the compressor) or algorithm.lr, or check the data`;
  }
  return 'lower algorithm.lr or check the data';
}

/**
 * The de-biased model z = x_i / w_i: x itself when w = 1 (no copy; callers must not write it),
 * else x * fround(1 / w) written into `scratch`.
 */
export function deBias(dev: DeviceContext, scratch: Vec): Vec {
  const w = dev.w[0]!;
  if (w === 1) return dev.x;
  dev.kernels.scale_into(dev.d, 1 / w, dev.x.ptr, scratch.ptr);
  return scratch;
}

/**
 * One momentum-SGD step in a single pass: u = g + weightDecay * params; m = momentum * m + u;
 * target += a * m. Throws RunError (device, round) when target gets a NaN/Inf.
 */
export function momentumStep(dev: DeviceContext, params: Vec, grad: Vec, a: number, target: Vec): void {
  const { momentum, weightDecay } = dev.config.algorithm;
  const bad = dev.kernels.momentum_step(dev.d, momentum, weightDecay, params.ptr, grad.ptr, dev.momentum.ptr, a, target.ptr);
  if (bad > 0) {
    throw new RunError(`NaN/Inf in device ${dev.device}'s parameters at round ${dev.round} after a local step (${bad} non-finite entries); ${divergenceHint(dev.config)}`);
  }
}

/**
 * H = localSteps momentum-SGD steps applied to the push-sum numerator: each step evaluates the
 * gradient at the de-biased model z = x / w and does x -= lr * u (Assran et al.: SGP updates x).
 * Uses scratch slots 0 (z when w != 1) and 1 (gradient).
 */
export async function localStepsOnX(dev: DeviceContext): Promise<void> {
  const { localSteps } = dev.config.algorithm;
  const lr = lrAt(dev.config, dev.round);
  const zs = dev.scratch(0);
  const g = dev.scratch(1);
  for (let h = 0; h < localSteps; h++) {
    const z = deBias(dev, zs);
    await dev.gradient(z, g);
    momentumStep(dev, z, g, -lr, dev.x);
  }
}

/**
 * Uncompressed push-sum mixing: x_i = a_i x_i + sum_j a_j x_j, w_i = a_i w_i + sum_j a_j w_j,
 * in-messages in ascending sender order (the inbox order), the own share first.
 */
export function pushSumMix(dev: DeviceContext): void {
  const a = dev.selfWeight;
  const inbox = dev.inbox();
  // The own share a x_i is taken inside the first accumulate (one pass over x_i, same bits).
  if (inbox.length === 0) dev.kernels.scale(dev.d, a, dev.x.ptr);
  let w = a * dev.w[0]!;
  let nonfinite = -1;
  for (let k = 0; k < inbox.length; k++) {
    const msg = inbox[k]!;
    nonfinite = dev.compressor.accumulate(msg.bytes, dev.d, msg.selfWeight, dev.x.view, k === 0 ? a : 1);
    w += msg.selfWeight * msg.weight;
  }
  dev.w[0] = w;
  if (nonfinite === 0) dev.xCheckedFinite();
}
