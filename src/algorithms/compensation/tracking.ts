/**
 * Momentum tracking on compressed push-sum (sc-sparse-push with algorithm.compensation
 * 'tracking'). Each device keeps y_i, its estimate of the network's average momentum (a push-sum
 * numerator, gossiped like x by the same compressed machinery as a second message of the payload)
 * and steps along it instead of along its own momentum. Reference: docs/algorithms.md
 * ("sc-sparse-push, compensation tracking"); measurements: the skew study in docs/RESULTS.md (bench/repro/skew.ts).
 *
 *   local (H steps):  z_i = x_i / w_i ;  g = grad F_i(z_i) + wd z_i
 *                     u = (1 - beta)(g - v_i) ;  v_i += u ;  y_i += u     (v_i: EMA of the own gradient)
 *                     x_i -= lr / (1 - beta) * y_i / w_i
 *   send (phase k):   q_i = C_x(x_i - x̂_i^k) ; x̂_i^k += q_i ; g_i^k -= (1 - a_i) q_i
 *                     p_i = C_y(y_i - ŷ_i^k) ; ŷ_i^k += p_i ; t_i^k -= (1 - a_i) p_i
 *                     r_i as Sparse-Push;  post the payload (q_i, p_i) and the weight r_i
 *   mix:              g_i^k += sum_j a_j q_j ; x_i += gamma g_i^k
 *                     t_i^k += sum_j a_j p_j ; y_i += gamma t_i^k ;  w_i as Sparse-Push
 * With beta = 0 this is gradient tracking on push-sum (Push-DIGing, Nedić et al. 2017) with the
 * CHOCO-form copies of Sparse-Push; with beta > 0 the tracked quantity is the EMA of the gradient,
 * so the tracker's innovations are (1 - beta) times the gradient's (momentum tracking, Takezawa et
 * al. 2023). lr / (1 - beta) keeps the step of heavy-ball momentum with the same lr and beta.
 *
 * Why: under label skew grad F_i differs from grad F by a large, slowly varying term. sum_i y_i =
 * sum_i v_i at all times (local updates add the same u to v and y; gossip conserves sums), and the
 * gossip spreads y, so y_i / w_i tends to the network's average momentum and the heterogeneity
 * cancels in every device's step. It needs the gossip to be fast: with exact messages and gamma 1
 * it beats SGP on label skew, with a consensus step gamma < 1 or top-k messages the tracker lags
 * and the devices drift apart (the skew study, docs/results/skew/discussion.md).
 *
 * Bits: a compressor with a kept fraction f (topk, randk) is split between the two messages,
 * (1 - TRACKER_SHARE) f for the model and TRACKER_SHARE f for the tracker, so a round costs
 * Sparse-Push's message plus one 24-byte header and the sparser index code; the weight travels
 * once. Other compressors (dense quantizers, none, threshold) send both vectors whole: twice
 * Sparse-Push's bits.
 *
 * Invariants (tested): sum_i x_i changes only by the local steps and sum_i w_i = n, as in
 * Sparse-Push; sum_i y_i = sum_i v_i up to rounding, for any compressor, and with offline faults
 * once every device is back (the catch-up applies the missed gossip terms of y as of x). Link drops
 * lose mass of both, as in Sparse-Push. Choco memory only (the tracker needs public copies).
 */
import { formatSpec, parseCompressorSpec } from '../../compress/spec.js';
import type { WireCompressor } from '../../compress/types.js';
import { RunError } from '../../errors.js';
import { deBias, divergenceHint } from '../common.js';
import {
  accName, catchUpMissedMixes, copyName, frameOf, messageScale, mixPhaseWeight, phaseOf, requireChocoMemory, sendPhaseStream, sendPhaseWeight, sendsThisRound,
  type PhaseStream,
} from '../compressed-gossip.js';
import { lrAt } from '../lr-schedule.js';
import type { AlgorithmSetup, DeviceContext, StateVector } from '../types.js';
import type { Compensation } from './types.js';

/** Share of a sparsifier's kept fraction that the tracker's message gets. */
export const TRACKER_SHARE = 0.25;

/** Region names: the tracker y, the EMA v of the own gradient, and y's per-phase copy and accumulator. */
export const TRACKER = 'y';
export const GRADIENT_AVERAGE = 'v';
export const trackerCopy = (phase: number): string => `yhat-${phase}`;
export const trackerAcc = (phase: number): string => `yacc-${phase}`;

const trackerStream: PhaseStream = { value: (dev) => dev.vector(TRACKER), copyName: trackerCopy, accName: trackerAcc };

/** [model message spec, tracker message spec] for config compressor `spec` (see the header). */
export function trackingStreamSpecs(spec: string): [string, string] {
  const { sparsifier: sp, quantizer: q } = parseCompressorSpec(spec);
  if (sp.kind !== 'topk' && sp.kind !== 'randk') return [spec, spec];
  const part = (f: number): number => Number(f.toPrecision(6));
  return [formatSpec({ ...sp, ratio: part(sp.ratio * (1 - TRACKER_SHARE)) }, q), formatSpec({ ...sp, ratio: part(sp.ratio * TRACKER_SHARE) }, q)];
}

async function trackingLocal(dev: DeviceContext): Promise<void> {
  const { localSteps, momentum: beta, weightDecay } = dev.config.algorithm;
  const step = lrAt(dev.config, dev.round) / (1 - beta);
  const k = dev.kernels;
  const d = dev.d;
  const y = dev.vector(TRACKER);
  const v = dev.vector(GRADIENT_AVERAGE);
  const g = dev.scratch(1);
  for (let h = 0; h < localSteps; h++) {
    const z = deBias(dev, dev.scratch(0));
    await dev.gradient(z, g);
    if (weightDecay !== 0) k.axpy(d, weightDecay, z.ptr, g.ptr);
    const u = dev.scratch(0); // z is no longer needed
    k.sub(d, g.ptr, v.ptr, u.ptr);
    k.scale(d, 1 - beta, u.ptr);
    k.axpy(d, 1, u.ptr, v.ptr);
    k.axpy(d, 1, u.ptr, y.ptr);
    k.scale_into(d, 1 / dev.w[0]!, y.ptr, g.ptr);
    // momentum_step with beta 0 and m = u: t += -step * (y / w); returns the non-finite count of x.
    const bad = k.momentum_step(d, 0, 0, g.ptr, g.ptr, u.ptr, -step, dev.x.ptr);
    if (bad > 0) {
      throw new RunError(`NaN/Inf in device ${dev.device}'s parameters at round ${dev.round} after a local step (${bad} non-finite entries); ${divergenceHint(dev.config)}`);
    }
  }
}

function streamsOf(dev: DeviceContext): [WireCompressor, WireCompressor] {
  return [dev.streams[0]!, dev.streams[1]!];
}

function trackingSend(dev: DeviceContext): void {
  catchUpMissedMixes(dev, [trackerStream]);
  if (!sendsThisRound(dev)) return;
  const phase = phaseOf(dev);
  const [cx, cy] = streamsOf(dev);
  const out = dev.outbox();
  const bx = sendPhaseStream(dev, cx, dev.x, dev.vector(copyName(phase)), dev.vector(accName(phase)), out);
  const by = sendPhaseStream(dev, cy, dev.vector(TRACKER), dev.vector(trackerCopy(phase)), dev.vector(trackerAcc(phase)), out.subarray(bx));
  dev.post(bx + by, sendPhaseWeight(dev, phase));
}

function trackingMix(dev: DeviceContext): void {
  const { gamma } = dev.config.algorithm;
  const d = dev.d;
  const [cx, cy] = streamsOf(dev);
  const sx = messageScale(dev, cx);
  const sy = messageScale(dev, cy);
  const phase = phaseOf(dev);
  const acc = dev.vector(accName(phase));
  const yacc = dev.vector(trackerAcc(phase));
  let inW = 0;
  for (const msg of dev.inbox()) {
    const split = frameOf(msg, dev);
    cx.accumulate(msg.bytes.subarray(0, split), d, sx * msg.selfWeight, acc.view);
    cy.accumulate(msg.bytes.subarray(split), d, sy * msg.selfWeight, yacc.view);
    inW += msg.selfWeight * msg.weight;
  }
  dev.kernels.axpy(d, gamma, acc.ptr, dev.x.ptr);
  dev.kernels.axpy(d, gamma, yacc.ptr, dev.vector(TRACKER).ptr);
  mixPhaseWeight(dev, phase, inW);
}

export const momentumTracking: Compensation = {
  name: 'tracking',
  validate: (setup: AlgorithmSetup, name: string) => requireChocoMemory(setup, name, "with compensation 'tracking' gossips the tracker through public copies"),
  deviceVectors: (setup: AlgorithmSetup): StateVector[] => {
    const out: StateVector[] = [{ name: TRACKER }, { name: GRADIENT_AVERAGE }];
    for (let k = 0; k < setup.topology.period; k++) out.push({ name: trackerCopy(k) }, { name: trackerAcc(k) });
    return out;
  },
  streamSpecs: (setup: AlgorithmSetup) => trackingStreamSpecs(setup.config.compressor),
  local: trackingLocal,
  send: trackingSend,
  mix: trackingMix,
};
