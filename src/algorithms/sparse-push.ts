/**
 * Sparse-Push (Aketi et al. 2021): SGP whose messages are compressed differences, with a
 * consensus step gamma (ALGORITHMS.md "Sparse-Push"). Two memory forms (config algorithm.memory).
 *
 * Notation: a_i = 1 / (|O_i(t)| + 1) (the engine's selfWeight, offline peers removed), gamma the
 * consensus step, C the compressor, q the *decoded* message (what receivers add: the sender applies
 * the very bytes it posted to its own state, so both sides see identical values).
 *
 * ---- Push-sum weight and gamma ----
 * Every form mixes w with the lazy push-sum matrix P(t) = (1 - gamma) I + gamma A(t), where A(t) is
 * the round's column-stochastic matrix (A_ii = a_i, A_ji = a_i for j in O_i(t)):
 *     w_i += gamma ( sum_{j in I_i(t)} a_j w_j + a_i w_i - w_i )
 * P(t) is column-stochastic for every gamma in (0, 1] (columns sum to 1 - gamma + gamma), so
 * sum_i w_i = n is conserved for any degree sequence, and w_i >= (1 - gamma + gamma a_i) w_i > 0.
 * Without compression the x update below is the same P(t) applied to x, so z = x / w is de-biased
 * by the matrix that actually mixed x (push-sum's ratio argument), and gamma = 1 is SGP.
 *
 * ---- memory: 'choco' (default): per-phase public copies ----
 * The single-copy form of ALGORITHMS.md (s_i += sum_j a_j q_j; x_i += gamma (s_i + a x̂_i - x̂_i))
 * is exact only on static graphs. On a time-varying schedule s_i adds up increments of *different*
 * senders (on exponential:1, i hears from i-1, i-2, i-4, i-8 in turn), so s_i is not
 * sum_j a_j x̂_j for the current in-peers: even uncompressed with gamma = 1 it is not SGP, and its
 * fixed points include non-consensus states (measured: the consensus distance of 16 nodes with
 * lr = 0 stays at its initial size). A receiver can only hold a sender's public copy if it sees
 * every increment of it. So the public copies are kept per phase of the schedule: with period L
 * (t mod L = k is the phase; exponential:1 with 16 nodes has L = 4, static graphs L = 1) device i
 * keeps L copies x̂_i^k and L accumulators g_i^k, and phase k's graph is the same every period:
 *   local: z_i = x_i / w_i ;  x_i -= lr u_i(grad F_i(z_i))
 *   send:  q_i = C(x_i - x̂_i^k) ; x̂_i^k += q_i ; g_i^k -= (1 - a_i) q_i ; post (q_i, w_i)
 *   mix:   g_i^k += sum_{j in I_i(t)} a_j q_j ;  x_i += gamma g_i^k ;  w_i as above
 * g_i^k is the spec's s_i + a x̂_i - x̂_i for phase k, accumulated: with the phase's degrees fixed
 * g_i^k = sum_{j in I_i^k} a_j x̂_j^k - (1 - a_i) x̂_i^k exactly (CHOCO gossip on phase k's graph,
 * Koloskova et al. 2019). With compressor `none` and gamma = 1, x̂_i^k = x_i after send and the
 * update is x_i <- a_i x_i + sum_j a_j x_j: SGP, round for round.
 * Memory: 2 L extra d-vectors per device; schedules that never repeat (erdos-renyi resampled
 * per round, period Infinity) need memory: 'ef'.
 *
 * Sum conservation (choco form): every q_i is booked once as -(1 - a_i) q_i in the sender's g and
 * |O_i(t)| times as +a_i q_i in the receivers' g; since a_i (|O_i(t)| + 1) = 1 the sum over devices
 * of every g^k stays 0, hence sum_i x_i changes only by the local steps — for constant out-degrees
 * (exponential) and, because the booking uses the current a_i, for any degree sequence, as long
 * as every posted message arrives.
 *
 * Faults: an offline out-peer would miss q_i and hold a stale copy of x̂_i^k forever, so a device
 * with an offline scheduled out-peer sends nothing that round (it keeps all its mass: a_i = 1 for
 * its own w and no q). Copies then stay exact and sums stay conserved under offline faults. A link
 * drop is decided by the receiver (the sender cannot know): the dropped share of x and w is lost
 * (as in SGP) and the receiver's copy of x̂_j^k stays off by that q_j.
 *
 * ---- memory: 'ef': error feedback, no copies ----
 *   send:  v_i = x_i + e_i ; q_i = C(v_i) ; e_i = v_i - q_i ; x_i += gamma (a_i - 1) q_i ; post (q_i, w_i)
 *   mix:   x_i += gamma sum_{j in I_i(t)} a_j q_j ;  w_i as above
 * Sum conservation (ef form): the same q_i leaves the sender as gamma (1 - a_i) q_i and arrives as
 * gamma a_i q_i at each of |O_i(t)| receivers, a_i (|O_i(t)| + 1) = 1, so sum_i x_i is conserved for
 * any q and any degree sequence (time-varying, resampled, offline faults); only link drops lose mass.
 * Limitation (measured, see the tests): q carries x itself, not a difference, so the messages do
 * not vanish at consensus. With a sparsifier e_i grows by x_i every round a coordinate is not sent,
 * and the deferred mass arrives as one step of m rounds' size: the consensus distance stalls at a
 * level proportional to gamma / (kept fraction) instead of going to 0. With `none` the form is the
 * lazy SGP above (gamma = 1: SGP); with dense quantizers (int8, qsgd) the residual is small. Use it
 * for non-periodic schedules or when 2 L copies do not fit; prefer 'choco' otherwise.
 *
 * Stochastic compressors (randk, qsgd) get the stream (seed, device, round, Purpose.randk or
 * Purpose.qsgd). Unbiased ones (qsgd, randk:scaled) are damped into contractions (messageRule).
 * A device with no out-peers this round sends nothing.
 */
import { parseCompressorSpec } from '../compress/spec.js';
import { keptCount } from '../compress/topk.js';
import type { CompressOptions } from '../compress/types.js';
import { ConfigError, SpecError } from '../errors.js';
import { Purpose } from '../kernels/rng.js';
import type { Algorithm, AlgorithmSetup, DeviceContext, StateVector, Vec } from './types.js';
import { localStepsOnX } from './common.js';

/** Most schedule phases the choco form keeps copies for (2 d-vectors per phase and device). */
export const MAX_PHASES = 64;

/** Region names of the per-phase public copy and accumulator. */
export const copyName = (phase: number): string => `xhat-${phase}`;
export const accName = (phase: number): string => `acc-${phase}`;
export const ERROR_NAME = 'err';

/** Gamma, compressor spec and (for the choco form) the schedule; `name` prefixes the messages. */
export function validateCompressedPush(setup: AlgorithmSetup, name: string): void {
  validateGamma(setup, name);
  validateCompressor(setup, name);
  if (setup.config.algorithm.memory === 'choco') phasesOf(setup, name);
}

export function validateGamma(setup: AlgorithmSetup, name: string): void {
  const g = setup.config.algorithm.gamma;
  if (!(typeof g === 'number' && g > 0 && g <= 1)) {
    throw new ConfigError('algorithm.gamma', `${name}'s consensus step must be in (0, 1], got ${String(g)}`);
  }
}

/** The compressor spec must parse (the wire format carries exactly what parseCompressorSpec accepts). */
export function validateCompressor(setup: AlgorithmSetup, name: string): void {
  try {
    parseCompressorSpec(setup.config.compressor);
  } catch (err) {
    if (err instanceof SpecError) throw new ConfigError('compressor', `${name} cannot send '${setup.config.compressor}': ${err.message}`);
    throw err;
  }
}

/** Number of per-phase copies of the choco form: the schedule's period. */
export function phasesOf(setup: AlgorithmSetup, name: string): number {
  const { period, spec } = setup.topology;
  if (!Number.isFinite(period)) {
    throw new ConfigError('algorithm.memory', `${name} with memory 'choco' keeps public copies per phase of a periodic schedule, but topology '${spec}' is resampled every round; use algorithm.memory = ef (or a fixed / periodic topology)`);
  }
  if (!Number.isSafeInteger(period) || period < 1 || period > MAX_PHASES) {
    throw new ConfigError('algorithm.memory', `${name} with memory 'choco' keeps 2 copies per phase, but topology '${spec}' has period ${period} (at most ${MAX_PHASES}); use algorithm.memory = ef`);
  }
  return period;
}

/** Per-device vectors of either form. */
export function compressedPushVectors(setup: AlgorithmSetup, name: string): StateVector[] {
  if (setup.config.algorithm.memory === 'ef') return [{ name: ERROR_NAME }];
  const phases = phasesOf(setup, name);
  const out: StateVector[] = [];
  for (let k = 0; k < phases; k++) out.push({ name: copyName(k) }, { name: accName(k) });
  return out;
}

interface MessageRule {
  /** RNG purpose of a stochastic compressor (randk sparsifier: Purpose.randk; qsgd: Purpose.qsgd), or null. */
  readonly purpose: number | null;
  /** Factor applied to every decoded message, by the sender and by its receivers alike. */
  readonly scale: number;
}

const ruleCache = new Map<string, MessageRule>();

/**
 * How messages of compressor `spec` are used for dimension d. Unbiased compressors with variance
 * factor omega (E||Q(v) - v||^2 <= omega ||v||^2) are not contractions, and difference compression
 * (CHOCO) and error feedback diverge with them (measured: qsgd:2 overflows f32 within 150 rounds
 * at gamma = 0.5). As in Koloskova et al. 2019 they are applied as C = Q / (1 + omega), a
 * contraction: qsgd:s over buckets of b values has omega = min(b / s^2, sqrt(b) / s) (Alistarh
 * et al. 2017; b = min(bucket, values kept)); randk:f:scaled (omega = d/k - 1) becomes plain randk.
 * The bytes on the wire are unchanged: the factor is part of alpha wherever a message is added.
 */
export function messageRule(spec: string, d: number): MessageRule {
  const key = `${spec}|${d}`;
  let rule = ruleCache.get(key);
  if (!rule) {
    const parsed = parseCompressorSpec(spec);
    const sp = parsed.sparsifier;
    const qz = parsed.quantizer;
    let kept = d;
    let scale = 1;
    if (sp.kind === 'topk' || sp.kind === 'randk') kept = keptCount(sp.ratio, d);
    if (sp.kind === 'randk' && sp.scaled) scale *= kept / d;
    if (qz.kind === 'qsgd') {
      const b = Math.min(qz.bucket, kept);
      scale /= 1 + Math.min(b / (qz.levels * qz.levels), Math.sqrt(b) / qz.levels);
    }
    const purpose = sp.kind === 'randk' ? Purpose.randk : qz.kind === 'qsgd' ? Purpose.qsgd : null;
    rule = { purpose, scale };
    ruleCache.set(key, rule);
  }
  return rule;
}

/** rngKey option for stochastic compressors (stream (seed, device, round, purpose)). */
export function compressOptions(dev: DeviceContext): CompressOptions {
  const { purpose } = messageRule(dev.compressor.spec, dev.d);
  return purpose === null ? {} : { rngKey: dev.rngKey(purpose) };
}

/** The factor of messageRule for this device's compressor. */
export function messageScale(dev: DeviceContext): number {
  return messageRule(dev.compressor.spec, dev.d).scale;
}

/**
 * True when the device posts this round. Choco form: it has out-peers and none of its scheduled
 * out-peers is offline (a missed increment would leave that peer's copy stale for good).
 * EF form: it has out-peers.
 */
export function sendsThisRound(dev: DeviceContext): boolean {
  if (dev.outPeers.length === 0) return false;
  if (dev.config.algorithm.memory === 'ef') return true;
  const scheduled = dev.setup.topology.round(dev.round).outPeers[dev.device]!.length;
  return dev.outPeers.length === scheduled;
}

function phaseOf(dev: DeviceContext): number {
  const period = dev.setup.topology.period;
  return period === 1 ? 0 : dev.round % period;
}

/** Phase "train", second part, of both forms (see the header). Uses scratch slot 0 (choco form). */
export function compressedPushSend(dev: DeviceContext): void {
  if (!sendsThisRound(dev)) return;
  const { gamma, memory } = dev.config.algorithm;
  const k = dev.kernels;
  const d = dev.d;
  const a = dev.selfWeight;
  const c = messageScale(dev);
  const out = dev.outbox();
  if (memory === 'ef') {
    const e = dev.vector(ERROR_NAME);
    k.axpy(d, 1, dev.x.ptr, e.ptr); // e = v = x + e
    const bytes = dev.compressor.compressInto(e.view, out, compressOptions(dev));
    const q = out.subarray(0, bytes);
    dev.compressor.accumulate(q, d, -c, e.view); // e = v - q
    dev.compressor.accumulate(q, d, c * gamma * (a - 1), dev.x.view);
    dev.post(bytes, dev.w[0]!);
    return;
  }
  const phase = phaseOf(dev);
  const copy = dev.vector(copyName(phase));
  const acc = dev.vector(accName(phase));
  const diff = dev.scratch(0);
  k.sub(d, dev.x.ptr, copy.ptr, diff.ptr);
  const bytes = dev.compressor.compressInto(diff.view, out, compressOptions(dev));
  const q = out.subarray(0, bytes);
  dev.compressor.accumulate(q, d, c, copy.view);
  dev.compressor.accumulate(q, d, -c * (1 - a), acc.view);
  dev.post(bytes, dev.w[0]!);
}

/** Phase "mix" of both forms: in-messages in ascending sender order, then x and w. */
export function compressedPushMix(dev: DeviceContext): void {
  const { gamma, memory } = dev.config.algorithm;
  const d = dev.d;
  const a = sendsThisRound(dev) ? dev.selfWeight : 1;
  const c = messageScale(dev);
  let inW = 0;
  const inbox = dev.inbox();
  if (memory === 'ef') {
    for (const msg of inbox) {
      dev.compressor.accumulate(msg.bytes, d, c * gamma * msg.selfWeight, dev.x.view);
      inW += msg.selfWeight * msg.weight;
    }
  } else {
    const acc = dev.vector(accName(phaseOf(dev)));
    for (const msg of inbox) {
      dev.compressor.accumulate(msg.bytes, d, c * msg.selfWeight, acc.view);
      inW += msg.selfWeight * msg.weight;
    }
    dev.kernels.axpy(d, gamma, acc.ptr, dev.x.ptr);
  }
  const w = dev.w[0]!;
  dev.w[0] = w + gamma * (inW + a * w - w);
}

/** out = x_i / w_i (always a copy, unlike common.deBias which may return x itself). */
export function deBiasInto(dev: DeviceContext, out: Vec): void {
  dev.kernels.copy(dev.d, dev.x.ptr, out.ptr);
  const w = dev.w[0]!;
  if (w !== 1) dev.kernels.scale(dev.d, 1 / w, out.ptr);
}

export function createSparsePush(): Algorithm {
  const name = 'sparse-push';
  return {
    name,
    kind: 'decentralized',
    sendsWeight: true,
    scratchVectors: 2,
    needsUndirected: false,
    validate: (setup: AlgorithmSetup) => validateCompressedPush(setup, name),
    deviceVectors: (setup: AlgorithmSetup) => compressedPushVectors(setup, name),
    serverVectors: () => [],
    compressorSpec: (setup: AlgorithmSetup) => setup.config.compressor,
    local: (dev: DeviceContext) => localStepsOnX(dev),
    send: compressedPushSend,
    mix: compressedPushMix,
  };
}
