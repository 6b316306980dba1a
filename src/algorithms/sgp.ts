/**
 * SGP, Stochastic Gradient Push (Assran et al. 2019): uncompressed push-sum over directed,
 * time-varying graphs (reference: docs/algorithms.md#sgp):
 *   z_i = x_i / w_i;  u_i = momentum-SGD direction of grad F_i(z_i; batch);  x_i -= lr u_i
 *   push (a x_i, a w_i) to each out-peer; keep (a x_i, a w_i)
 *   x_i = a x_i + sum_j a_j x_j;  w_i = a w_i + sum_j a_j w_j
 * The message is x_i encoded with the `none` codec (its real encoded size is counted) plus the
 * weight w_i as one f64; the receiver scales by the sender's a_j (same values as pushing a x).
 */
import type { Algorithm, AlgorithmSetup, DeviceContext } from './types.js';
import { localStepsOnX, pushSumMix } from './common.js';

export function createSgp(): Algorithm {
  return {
    name: 'sgp',
    kind: 'decentralized',
    sendsWeight: true,
    scratchVectors: 2,
    needsUndirected: false,
    validate(_setup: AlgorithmSetup): void { /* any strongly connected schedule */ },
    deviceVectors: () => [],
    serverVectors: () => [],
    compressorSpec: () => 'none',
    local: (dev: DeviceContext) => localStepsOnX(dev),
    send(dev: DeviceContext): void {
      const bytes = dev.compressor.compressInto(dev.x.view, dev.outbox());
      dev.post(bytes, dev.w[0]!);
    },
    mix: pushSumMix,
  };
}
