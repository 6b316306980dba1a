/**
 * Skew-Compensated Sparse-Push: Sparse-Push (sparse-push.ts, both memory forms, same messages and
 * bits) whose local momentum is replaced by quasi-global momentum (Lin et al. 2021, "Quasi-Global
 * Momentum"), so the momentum follows the network's movement rather than the device's own, skewed
 * gradients. No extra communication. ALGORITHMS.md:
 *   local: z_before = z_i = x_i / w_i ; repeat H: d_i = grad F_i(z_i) + wd z_i + beta m̂_i ; x_i -= lr d_i
 *   send / mix: as Sparse-Push
 *   after mix: m̂_i = beta m̂_i + (1 - beta) (z_before - z_i_after_mix) / (lr H)
 * m̂_i lives in the engine's momentum buffer, z_before in the per-device vector `z-before` (it must
 * survive from the train phase to the mix phase, which may run on another worker). With H local
 * steps the round's movement is divided by lr H, so m̂ stays a per-step direction as for H = 1.
 * The momentum update is skipped when lr = 0 (no movement scale; only consensus tests use lr = 0).
 * An offline device runs no hook that round, so its m̂ is left as it was; the gossip terms it missed
 * are applied in its next send (sparse-push.ts) and count as network movement in the next m̂.
 */
import type { Algorithm, AlgorithmSetup, DeviceContext } from './types.js';
import {
  compressedPushMix, compressedPushSend, compressedPushVectors, deBiasInto, validateCompressedPush,
} from './sparse-push.js';

const Z_BEFORE = 'z-before';

async function quasiGlobalLocal(dev: DeviceContext): Promise<void> {
  const { lr, localSteps, momentum: beta, weightDecay } = dev.config.algorithm;
  const k = dev.kernels;
  const d = dev.d;
  const zBefore = dev.vector(Z_BEFORE);
  const z = dev.scratch(0);
  const g = dev.scratch(1);
  deBiasInto(dev, zBefore);
  for (let h = 0; h < localSteps; h++) {
    if (h === 0) k.copy(d, zBefore.ptr, z.ptr);
    else deBiasInto(dev, z);
    await dev.gradient(z, g);
    if (weightDecay !== 0) k.axpy(d, weightDecay, z.ptr, g.ptr);
    if (beta !== 0) k.axpy(d, beta, dev.momentum.ptr, g.ptr);
    if (lr !== 0) k.axpy(d, -lr, g.ptr, dev.x.ptr);
  }
}

function quasiGlobalMix(dev: DeviceContext): void {
  compressedPushMix(dev);
  const { lr, localSteps, momentum: beta } = dev.config.algorithm;
  if (lr === 0) return;
  const k = dev.kernels;
  const z = dev.scratch(0);
  deBiasInto(dev, z);
  k.sub(dev.d, dev.vector(Z_BEFORE).ptr, z.ptr, z.ptr); // z = z_before - z_after
  k.axpby(dev.d, (1 - beta) / (lr * localSteps), z.ptr, beta, dev.momentum.ptr);
}

export function createScSparsePush(): Algorithm {
  const name = 'sc-sparse-push';
  return {
    name,
    kind: 'decentralized',
    sendsWeight: true,
    scratchVectors: 2,
    needsUndirected: false,
    validate: (setup: AlgorithmSetup) => validateCompressedPush(setup, name),
    deviceVectors: (setup: AlgorithmSetup) => [...compressedPushVectors(setup, name), { name: Z_BEFORE }],
    serverVectors: () => [],
    compressorSpec: (setup: AlgorithmSetup) => setup.config.compressor,
    local: quasiGlobalLocal,
    send: compressedPushSend,
    mix: quasiGlobalMix,
  };
}
