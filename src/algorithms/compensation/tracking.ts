/**
 * Gradient tracking on compressed push-sum (sc-sparse-push with algorithm.compensation 'tracking').
 * Each device keeps y_i, its estimate of the network's average gradient (push-sum numerator, mixed
 * like x by the same compressed gossip), corrected after every local gradient by the change of its
 * own gradient; the model steps along y_i / w_i instead of its own gradient.
 *
 *   local (H steps):  z_i = x_i / w_i ; g = grad F_i(z_i) + wd z_i
 *                     y_i += g - ĝ_i ; ĝ_i = g                      (ĝ_i: the last gradient, starts 0)
 *                     m_i = beta m_i + y_i / w_i ; x_i -= lr m_i
 *   send (phase k):   q_i = C_x(x_i - x̂_i^k) ; x̂_i^k += q_i ; g_i^k -= (1 - a_i) q_i
 *                     p_i = C_y(y_i - ŷ_i^k) ; ŷ_i^k += p_i ; t_i^k -= (1 - a_i) p_i
 *                     weights as Sparse-Push;  post (q_i, p_i, r_i) as one payload
 *   mix:              g_i^k += sum_j a_j q_j ; x_i += gamma g_i^k
 *                     t_i^k += sum_j a_j p_j ; y_i += gamma t_i^k ;  w as Sparse-Push
 *
 * Why it compensates label skew: with one or two classes per device, grad F_i differs from the
 * network's grad F by a large, slowly varying term; a model stepping along its own gradient drifts
 * towards its classes and compressed gossip pulls it back only slowly. y_i's sum over devices equals
 * the sum of the devices' latest gradients at all times (the local update adds the gradient's
 * change, the gossip conserves sums), and gossip spreads it, so y_i / w_i tends to grad F: the
 * heterogeneity term cancels in every device's step (Push-DIGing, Nedić et al. 2017; compressed:
 * BEER, Zhao et al. 2022, and Compressed Push-Pull, Song et al. 2021, on static graphs).
 *
 * Bits: the two messages share the compressor's kept fraction (C_x keeps (1 - s) f, C_y keeps s f
 * of the coordinates for a sparsifier keeping f; s = TRACKER_SHARE), so a round costs about what
 * Sparse-Push's one message costs plus one 24-byte header (measured in docs/results/sc-tracking).
 * The push-sum weight travels once.
 *
 * Invariants (tested): sum_i x_i changes only by the local steps and sum_i w_i = n, as in Sparse-Push;
 * sum_i y_i = sum_i ĝ_i exactly (up to rounding), for any compressor, with offline faults once every
 * device is back (the catch-up applies the missed gossip terms of y too). Link drops lose mass of
 * both x and y, as in Sparse-Push.
 *
 * Limits: choco memory only (the tracker needs public copies), a sparsifier with a kept fraction
 * (topk or randk), so that the two streams can share it (ConfigError otherwise).
 */
import { parseCompressorSpec, formatSpec } from '../../compress/spec.js';
import { ConfigError, RunError } from '../../errors.js';
import { deBias, divergenceHint } from '../common.js';
import {
  accName, catchUpMissedMixes, copyName, frameOf, weightCopies, messageScale, mixPhaseWeight, phaseOf, sendPhaseStream, sendPhaseWeight, sendsThisRound,
  type PhaseStream,
} from '../compressed-gossip.js';
import { lrAt } from '../lr-schedule.js';
import type { AlgorithmSetup, DeviceContext, StateVector } from '../types.js';
import type { Compensation } from './types.js';

/** Share of the compressor's kept fraction that the tracker's message gets. */
export const TRACKER_SHARE = Number(process.env['SP_TRACK_SHARE'] ?? 0.5);

const TRACKER = 'y';
const LAST_GRADIENT = 'glast';
const trackerCopy = (phase: number): string => `yhat-${phase}`;
const trackerAcc = (phase: number): string => `yacc-${phase}`;

const trackerStream: PhaseStream = {
  value: (dev) => dev.vector(TRACKER),
  copyName: trackerCopy,
  accName: trackerAcc,
};

/** [model stream spec, tracker stream spec] for compressor `spec`; throws ConfigError('compressor'). */
export function trackingSpecs(spec: string, algorithm: string): [string, string] {
  const { sparsifier: sp, quantizer: q } = parseCompressorSpec(spec);
  if (sp.kind === 'dense' && process.env['SP_TRACK_DENSE']) return [spec, spec];
  if (sp.kind !== 'topk' && sp.kind !== 'randk') {
    throw new ConfigError('compressor', `${algorithm} with compensation 'tracking' splits the kept fraction of a topk or randk sparsifier between the model and the tracker, but '${spec}' has ${sp.kind === 'dense' ? 'no sparsifier' : `a ${sp.kind} sparsifier`}; use e.g. topk:0.01+int8, or algorithm.compensation = qgm`);
  }
  const share = (f: number) => Number(f.toPrecision(6));
  if (process.env['SP_TRACK_YFRAC']) return [spec, formatSpec({ ...sp, ratio: share(sp.ratio * Number(process.env['SP_TRACK_YFRAC'])) }, q)];
  return [
    formatSpec({ ...sp, ratio: share(sp.ratio * (1 - TRACKER_SHARE)) }, q),
    formatSpec({ ...sp, ratio: share(sp.ratio * TRACKER_SHARE) }, q),
  ];
}

async function trackingLocal(dev: DeviceContext): Promise<void> {
  const { localSteps, momentum: beta, weightDecay } = dev.config.algorithm;
  const lr = lrAt(dev.config, dev.round);
  const k = dev.kernels;
  const d = dev.d;
  const y = dev.vector(TRACKER);
  const last = dev.vector(LAST_GRADIENT);
  const g = dev.scratch(1);
  const ema = process.env['SP_TRACK_MODE'] === 'ema';
  for (let h = 0; h < localSteps; h++) {
    const z = deBias(dev, dev.scratch(0));
    await dev.gradient(z, g);
    if (weightDecay !== 0) k.axpy(d, weightDecay, z.ptr, g.ptr);
    if (process.env['SP_TRACK_MODE'] === 'corr') {
      // v = EMA (rho) of the own gradient; y tracks the network average of v; step along g + y/w - v.
      const rho = Number(process.env['SP_TRACK_EMA'] ?? 0.99);
      const v = last;
      const change = dev.scratch(0);
      k.sub(d, g.ptr, v.ptr, change.ptr);
      k.axpy(d, 1 - rho, change.ptr, y.ptr);
      k.axpy(d, 1 - rho, change.ptr, v.ptr);
      const corrScale = Number(process.env['SP_TRACK_MU'] ?? 1);
      k.axpy(d, corrScale / dev.w[0]!, y.ptr, g.ptr);
      k.axpy(d, -corrScale, v.ptr, g.ptr);
      const bad = k.momentum_step(d, beta, 0, g.ptr, g.ptr, dev.momentum.ptr, -lr, dev.x.ptr);
      if (bad > 0) throw new RunError(`NaN/Inf in device ${dev.device}'s parameters at round ${dev.round}`);
      continue;
    }
    if (process.env['SP_TRACK_MODE'] === 'pub') {
      // y tracks the EMA of the own gradient; the step follows the public neighbourhood tracker.
      const v = dev.momentum;
      const change = dev.scratch(0);
      k.sub(d, g.ptr, v.ptr, change.ptr);
      k.axpy(d, 1 - beta, change.ptr, y.ptr);
      k.axpy(d, 1 - beta, change.ptr, v.ptr);
      const phase = phaseOf(dev);
      const wc = weightCopies(dev);
      const W = wc[2 * phase + 1]! + wc[2 * phase]!;
      k.copy(d, dev.vector(trackerAcc(phase)).ptr, change.ptr);
      k.axpy(d, 1, dev.vector(trackerCopy(phase)).ptr, change.ptr);
      const mixOwn = Number(process.env['SP_TRACK_OWN'] ?? 0);
      if (mixOwn !== 0) { k.scale(d, 1 - mixOwn, change.ptr); k.axpy(d, mixOwn, y.ptr, change.ptr); }
      if (W > 0) k.axpy(d, -lr / (1 - beta) / W, change.ptr, dev.x.ptr);
      else k.axpy(d, -lr / (1 - beta), y.ptr, dev.x.ptr);
      continue;
    }
    if (ema) {
      // v = momentum buffer as an EMA of the own gradient; the tracker follows its changes.
      const v = dev.momentum;
      const change = dev.scratch(0);
      k.sub(d, g.ptr, v.ptr, change.ptr);
      k.axpy(d, 1 - beta, change.ptr, y.ptr);
      k.axpy(d, 1 - beta, change.ptr, v.ptr);
      k.axpy(d, -lr / (1 - beta) / dev.w[0]!, y.ptr, dev.x.ptr);
      continue;
    }
    const change = dev.scratch(0); // z is no longer needed
    k.sub(d, g.ptr, last.ptr, change.ptr);
    k.axpy(d, 1, change.ptr, y.ptr);
    k.copy(d, g.ptr, last.ptr);
    k.scale_into(d, 1 / dev.w[0]!, y.ptr, g.ptr); // u = y / w
    const bad = k.momentum_step(d, beta, 0, g.ptr, g.ptr, dev.momentum.ptr, -lr, dev.x.ptr);
    if (bad > 0) {
      throw new RunError(`NaN/Inf in device ${dev.device}'s parameters at round ${dev.round} after a local step (${bad} non-finite entries); ${divergenceHint(dev.config)}`);
    }
  }
}

function trackingSend(dev: DeviceContext): void {
  catchUpMissedMixes(dev, [trackerStream]);
  if (!sendsThisRound(dev)) return;
  const phase = phaseOf(dev);
  const [cx, cy] = dev.streams as [DeviceContext['compressor'], DeviceContext['compressor']];
  const out = dev.outbox();
  const bx = sendPhaseStream(dev, cx, dev.x, dev.vector(copyName(phase)), dev.vector(accName(phase)), out);
  const by = sendPhaseStream(dev, cy, dev.vector(TRACKER), dev.vector(trackerCopy(phase)), dev.vector(trackerAcc(phase)), out.subarray(bx));
  dev.post(bx + by, sendPhaseWeight(dev, phase));
}

function trackingMix(dev: DeviceContext): void {
  const { gamma } = dev.config.algorithm;
  const gammaY = process.env['SP_TRACK_GY'] ? Number(process.env['SP_TRACK_GY']) : gamma;
  const d = dev.d;
  const [cx, cy] = dev.streams as [DeviceContext['compressor'], DeviceContext['compressor']];
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
  dev.kernels.axpy(d, gammaY, yacc.ptr, dev.vector(TRACKER).ptr);
  mixPhaseWeight(dev, phase, inW);
}

export const gradientTracking: Compensation = {
  name: 'tracking',
  validate: (setup: AlgorithmSetup, name: string) => {
    if (setup.config.algorithm.memory !== 'choco') {
      throw new ConfigError('algorithm.memory', `${name} with compensation 'tracking' gossips the tracker through public copies, which only memory 'choco' keeps; got '${setup.config.algorithm.memory}'`);
    }
    trackingSpecs(setup.config.compressor, name);
  },
  deviceVectors: (setup: AlgorithmSetup): StateVector[] => {
    const phases = setup.topology.period;
    const out: StateVector[] = [{ name: TRACKER }, { name: LAST_GRADIENT }];
    for (let k = 0; k < phases; k++) out.push({ name: trackerCopy(k) }, { name: trackerAcc(k) });
    return out;
  },
  streamSpecs: (setup: AlgorithmSetup) => trackingSpecs(setup.config.compressor, 'sc-sparse-push'),
  local: trackingLocal,
  send: trackingSend,
  mix: trackingMix,
};
