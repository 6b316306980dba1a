/**
 * Quasi-global momentum (sc-sparse-push with algorithm.compensation 'qgm', the default): Sparse-Push
 * (sparse-push.ts, memory 'choco'; same messages, same bits) whose local momentum is replaced by a
 * quasi-global momentum m̂_i that follows the velocity
 * of the device's in-neighbours' public models, read off the messages the device already receives.
 * No extra communication. algorithm.momentum is beta of that momentum (0: exactly Sparse-Push
 * without momentum).
 *
 *   local (H steps):  d_i = grad F_i(z_i) + wd z_i + beta m̂_i ;  x_i -= lr d_i      (z_i = x_i / w_i)
 *   send, mix:        as Sparse-Push (choco form, phase k = t mod L)
 *   momentum:         N_i = (g_i^k + (1 - a_i) x̂_i^k) / (h_i^k + (1 - a_i) ŵ_i^k)   before send and after mix
 *                     m̂_i = beta m̂_i + (1 - beta) (N_i,before - N_i,after) / (lr H L)
 *   (with algorithm.lrSchedule, lr L is the sum of the step sizes of the last L rounds)
 *
 * ---- What N_i is ----
 * In the choco form g_i^k = sum_{j in I_i^k} a_j x̂_j^k - (1 - a_i) x̂_i^k and h_i^k likewise for the
 * weights (sparse-push.ts), so with the phase's degrees fixed
 *     N_i = sum_j a_j x̂_j^k / sum_j a_j ŵ_j^k,
 * the de-biased average of the in-neighbours' public models that device i already holds (implicitly)
 * for its gossip. It changes only by the decoded in-messages: the device's own message cancels
 * (x̂_i^k += q_i and g_i^k -= (1 - a_i) q_i), so N_i,before - N_i,after is (up to the de-biasing)
 * -sum_j a_j q_j / sum_j a_j ŵ_j. Phase k's copies are refreshed once per period L, so one refresh
 * spans L rounds of the neighbours' movement: dividing by lr H L makes m̂ a per-step direction.
 *
 * ---- Why it compensates label skew ----
 * Local momentum (Sparse-Push) integrates the device's own gradients: the skewed part
 * grad F_i - grad F amplified by 1 / (1 - beta) drives the models apart, and with compressed,
 * damped gossip (small gamma) that consensus error is what costs accuracy. Here the device's own
 * gradient enters its own step once (not amplified); the amplified part is its neighbours' velocity,
 * which carries *their* gradients. Summed over the network, every q_j is counted with weight
 * a_j |O_j| / (sum of receivers' a_j ŵ_j), so the average of m̂ follows the movement of the average
 * public model: heavy-ball momentum on the global direction (quasi-global momentum, Lin et al. 2021),
 * while each device's momentum holds other devices' data.
 *
 * ---- Why it is stable (and what the literal Lin et al. form does here) ----
 * Lin et al.'s m̂ uses the device's own movement z_before - z_after, which includes its own gossip
 * correction; feeding that back through beta m̂ multiplies the effective consensus step by
 * 1 / (1 - beta) = 10, more than compressed gossip with stale public copies absorbs (it diverged
 * or fell behind Sparse-Push: docs/results/tune/discussion.md). N_i excludes the own correction and the
 * own message, so the momentum never re-applies the device's own consensus step; and when the
 * models have reached consensus (every device moves alike) the copies' increments are the common
 * velocity, so the consensus error is driven by the un-amplified skew only. lr = 0: no local
 * movement and m̂ is not updated (it stays 0): the consensus iteration is Sparse-Push's.
 *
 * ---- Invariants ----
 * m̂ only changes the local step, which the engine and the tests account as local movement; send
 * and mix are Sparse-Push's, so its sum conservation (sum_i x_i changes only by the local steps,
 * sum_i w_i = n) holds unchanged, with faults as documented there. Everything N_i needs is in the
 * device's own arena vectors (the phase's accumulator and copy, the weight copies) plus the
 * 2-element `nbr-w` vector (W before send as one f64) and the d-vector `nbr-before`, so results do
 * not depend on the worker count.
 *
 * ---- Limits ----
 * - Choco form only: the 'ef' form keeps no public copies and its messages carry C(x_j + e_j), not
 *   increments, so there is no neighbour velocity to read (ConfigError on algorithm.memory).
 * - Before a phase's first exchange its weight copies are 0 and N_i is undefined: m̂ is not updated.
 * - The public copies start at the common initial model x(0) (sparse-push.ts), so a phase's first
 *   increments are movement, not a catch-up on x(0) that m̂ would take for velocity (with copies at
 *   0 it fell behind Sparse-Push on LeNet skew:1: docs/results/tune/discussion.md).
 * - With faults (changing a_i, offline peers) N_i is the in-neighbours' average only approximately.
 */
import type { AlgorithmSetup, DeviceContext, StateVector, Vec } from '../types.js';
import { deBias } from '../common.js';
import { lrAt, lrSum } from '../lr-schedule.js';
import { accName, compressedPushMix, compressedPushSend, copyName, phaseOf, requireChocoMemory, weightCopies } from '../compressed-gossip.js';
import type { Compensation } from './types.js';

/** N_i before this round's send (d-vector). */
const NBR_BEFORE = 'nbr-before';
/** W_i = h^k + (1 - a_i) ŵ^k before this round's send, as one f64 (2 f32 slots). */
const NBR_WEIGHT = 'nbr-w';

function nbrWeight(dev: DeviceContext): Float64Array {
  const v = dev.vector(NBR_WEIGHT).view;
  return new Float64Array(v.buffer, v.byteOffset, 1);
}

/**
 * out = g^k + (1 - a_i) x̂^k of the current phase, de-biased by W = h^k + (1 - a_i) ŵ^k; returns W
 * (out is left un-scaled when W = 0: the phase has not exchanged yet and N_i is undefined).
 */
function neighbourhoodInto(dev: DeviceContext, out: Vec): number {
  const phase = phaseOf(dev);
  const k = dev.kernels;
  const own = 1 - dev.selfWeight;
  k.copy(dev.d, dev.vector(accName(phase)).ptr, out.ptr);
  k.axpy(dev.d, own, dev.vector(copyName(phase)).ptr, out.ptr);
  const wc = weightCopies(dev);
  const W = wc[2 * phase + 1]! + own * wc[2 * phase]!;
  if (W !== 0 && W !== 1) k.scale(dev.d, 1 / W, out.ptr);
  return W;
}

/** H steps of x -= lr (grad(z) + wd z + beta m̂). Uses scratch slots 0 (z when w != 1) and 1. */
async function qgmLocal(dev: DeviceContext): Promise<void> {
  const { localSteps, momentum: beta, weightDecay } = dev.config.algorithm;
  const lr = lrAt(dev.config, dev.round);
  const k = dev.kernels;
  const d = dev.d;
  const g = dev.scratch(1);
  for (let h = 0; h < localSteps; h++) {
    const z = deBias(dev, dev.scratch(0));
    await dev.gradient(z, g);
    if (weightDecay !== 0) k.axpy(d, weightDecay, z.ptr, g.ptr);
    if (beta !== 0) k.axpy(d, beta, dev.momentum.ptr, g.ptr);
    k.axpy(d, -lr, g.ptr, dev.x.ptr);
  }
}

function qgmSend(dev: DeviceContext): void {
  if (dev.config.algorithm.momentum !== 0) nbrWeight(dev)[0] = neighbourhoodInto(dev, dev.vector(NBR_BEFORE));
  compressedPushSend(dev);
}

function qgmMix(dev: DeviceContext): void {
  compressedPushMix(dev);
  const { lr, localSteps, momentum: beta } = dev.config.algorithm;
  if (beta === 0 || lr === 0) return;
  const after = dev.scratch(0);
  const wAfter = neighbourhoodInto(dev, after);
  if (nbrWeight(dev)[0] === 0 || wAfter === 0) return;
  const k = dev.kernels;
  k.sub(dev.d, dev.vector(NBR_BEFORE).ptr, after.ptr, after.ptr); // N_before - N_after
  // The copies' increments span the last `period` rounds of the neighbours' local steps.
  const stepSum = lrSum(dev.config, dev.round, dev.setup.topology.period) * localSteps;
  k.axpby(dev.d, (1 - beta) / stepSum, after.ptr, beta, dev.momentum.ptr);
}

/** Quasi-global momentum from the in-neighbours' public copies (see the header). */
export const quasiGlobalMomentum: Compensation = {
  name: 'qgm',
  validate: (setup: AlgorithmSetup, name: string) => requireChocoMemory(setup, name, "with compensation 'qgm' follows the in-neighbours' public copies"),
  deviceVectors: (): StateVector[] => [{ name: NBR_BEFORE }, { name: NBR_WEIGHT, length: 2 }],
  local: qgmLocal,
  send: qgmSend,
  mix: qgmMix,
};
