/**
 * Sparse-Push (Aketi et al. 2021): SGP whose messages are compressed differences, with a
 * consensus step gamma (ALGORITHMS.md "Sparse-Push"). Two memory forms (config algorithm.memory).
 *
 * Notation: a_i = 1 / (|O_i(t)| + 1) (the engine's selfWeight, offline peers removed), gamma the
 * consensus step, C the compressor, q the *decoded* message (what receivers add: the sender applies
 * the very bytes it posted to its own state, so both sides see identical values).
 *
 * ---- Push-sum weight and gamma ----
 * w is mixed by the same mechanism as x (uncompressed: it is one f64 per message), so x and w are
 * always mixed by the same matrix and z = x / w stays de-biased (push-sum's ratio argument). In
 * the uncompressed limit both follow the lazy push-sum matrix P(t) = (1 - gamma) I + gamma A(t),
 * where A(t) is the round's column-stochastic matrix (A_ii = a_i, A_ji = a_i for j in O_i(t)):
 *     w_i += gamma ( sum_{j in I_i(t)} a_j w_j + a_i w_i - w_i )
 * P(t) is column-stochastic for every gamma in (0, 1] (columns sum to 1 - gamma + gamma), so
 * sum_i w_i = n is conserved, w_i >= (1 - gamma + gamma a_i) w_i > 0, and gamma = 1 is SGP.
 * gamma only slows the mixing (P's second eigenvalue moves towards 1); with compression it is
 * what keeps the public copies' error from growing (CHOCO's condition: gamma shrinks with the
 * kept fraction; measured, top-1% needs gamma <= ~0.05 where top-10% allows 0.5).
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
 *   send:  q_i = C(x_i - x̂_i^k) ; x̂_i^k += q_i ; g_i^k -= (1 - a_i) q_i
 *          r_i = w_i - ŵ_i^k ;     ŵ_i^k += r_i ; h_i^k -= (1 - a_i) r_i ;   post (q_i, r_i)
 *   mix:   g_i^k += sum_{j in I_i(t)} a_j q_j ;  x_i += gamma g_i^k
 *          h_i^k += sum_{j in I_i(t)} a_j r_j ;  w_i += gamma h_i^k
 * g_i^k is the spec's s_i + a x̂_i - x̂_i for phase k, accumulated: with the phase's degrees fixed
 * g_i^k = sum_{j in I_i^k} a_j x̂_j^k - (1 - a_i) x̂_i^k exactly (CHOCO gossip on phase k's graph,
 * Koloskova et al. 2019). The weight travels the same way, uncompressed (r_i: the change of w_i
 * since this phase's last message, in the message's f64 weight field), so ŵ_i^k = w_i after a send
 * and h_i^k = sum_j a_j w_j - (1 - a_i) w_i: the w update above. With compressor `none` and
 * gamma = 1, x̂_i^k = x_i after send and x_i <- a_i x_i + sum_j a_j x_j: SGP, round for round.
 * Memory: 2 L extra d-vectors (+ 4 L floats) per device; schedules that never repeat (erdos-renyi
 * resampled per round, period Infinity) need memory: 'ef'.
 * Initial copies: x̂_i^k = x(0), the initial model every device starts from (the learner's seeded
 * init, which every device can compute), and g_i^k = delta_i^k x(0) to match (phaseDelta).
 * ALGORITHMS.md starts the copies at 0; for a model that starts at a random x(0) (LeNet) that
 * spends each phase's first ~1 / (kept fraction) messages sending x(0) instead of progress, with
 * the devices far from consensus meanwhile (measured on LeNet, 16 devices, top-1%+int8, 300
 * rounds: consensus distance 49 -> 19, IID accuracy +0.2 / +0.7 points on seeds 1 / 2, skew:1
 * Sparse-Push +17 points, SC +42). With x(0) = 0 (logistic) both starts are the same. Devices that start elsewhere (tests) still gossip
 * correctly: their messages carry x_i - x(0) first. ŵ^k starts at 0 (w is sent exactly, so its
 * first message r = w_i = 1 carries the matching delta_i^k).
 *
 * Sum conservation (choco form): every q_i is booked once as -(1 - a_i) q_i in the sender's g and
 * |O_i(t)| times as +a_i q_i in the receivers' g; since a_i (|O_i(t)| + 1) = 1 the sum over devices
 * of every g^k stays 0, hence sum_i x_i changes only by the local steps — for constant out-degrees
 * (exponential) and, because the booking uses the current a_i, for any degree sequence of a
 * periodic schedule, as long as every posted message arrives. Likewise for r, h and sum_i w_i = n.
 *
 * Faults: an offline out-peer would miss q_i and hold a stale copy of x̂_i^k forever, so a device
 * with an offline scheduled out-peer sends nothing that round; copies stay exact, and since w
 * uses copies too, x and w stay mixed alike. An offline device runs no hook, so it misses its
 * gossip terms gamma g_i^k and gamma h_i^k, which its peers' accumulators already count: while it
 * is offline nobody sends to it and it sends nothing, so its g_i^k, h_i^k stay constant, and when
 * it is back it applies the missed terms (x_i += gamma sum over the missed rounds s of
 * g_i^{s mod L}, w_i likewise) in its send hook, before it compresses — what an online device
 * that neither sends nor receives would have done. The sums of x and w are then conserved again
 * once every device has been online since its last offline round (in between, the missed terms
 * are in flight). The round of the last mix is kept in the per-device 1-element vector `mixed`.
 * A link drop is decided by the receiver (the sender cannot know): the dropped share of x and w
 * is lost (as in SGP) and the receiver's copies stay off by that message.
 *
 * ---- memory: 'ef': error feedback, no copies ----
 *   send:  v_i = x_i + e_i ; q_i = C(v_i) ; e_i = v_i - q_i ; x_i += gamma (a_i - 1) q_i ; post (q_i, w_i)
 *   mix:   x_i += gamma sum_{j in I_i(t)} a_j q_j ;  w_i += gamma ( sum_j a_j w_j + a_i w_i - w_i )
 * (a device without out-peers this round sends nothing and keeps its mass: a_i = 1.)
 * Sum conservation (ef form): the same q_i leaves the sender as gamma (1 - a_i) q_i and arrives as
 * gamma a_i q_i at each of |O_i(t)| receivers, a_i (|O_i(t)| + 1) = 1, so sum_i x_i is conserved for
 * any q and any degree sequence (time-varying, resampled, offline faults); only link drops lose mass.
 * Limitation (measured, see the tests): q carries x itself, not a difference, so the messages do
 * not vanish at consensus. With a sparsifier e_i grows by x_i every round a coordinate is not sent,
 * and the deferred mass arrives as one step of m rounds' size: the consensus distance stalls at a
 * level proportional to gamma / (kept fraction) instead of going to 0. With `none` the form is the
 * lazy SGP above (gamma = 1: SGP); with dense quantizers (int8, qsgd) the residual is small. Use it
 * for non-periodic schedules or when 2 L copies do not fit; prefer 'choco' otherwise. For the same
 * reason its default gamma is much smaller (0.01, defaults.ts DEFAULT_GAMMA_EF; 0.2 diverges).
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
/** 1-element vector holding (as an i32) 1 + the last round the device mixed in. */
export const MIXED_NAME = 'mixed';
/** Per-phase weight copy ŵ^k and accumulator h^k as f64 pairs (4 f32 slots per phase). */
export const WEIGHTS_NAME = 'wcopy';

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
  const out: StateVector[] = [{ name: MIXED_NAME, length: 1 }, { name: WEIGHTS_NAME, length: 4 * phases }];
  for (let k = 0; k < phases; k++) {
    const delta = phaseDelta(setup, k);
    out.push({ name: copyName(k), init: 'x' }, { name: accName(k), init: 'x', initScale: (i) => delta[i]! });
  }
  return out;
}

/**
 * delta_i^k = sum_{j in I_i^k} a_j - (1 - a_i) on phase k's scheduled graph: the accumulator g_i^k
 * of copies that all equal x(0) is delta_i^k x(0) (0 on graphs where every device's in-weights sum
 * to its out-weight, e.g. exponential). sum_i delta_i^k = 0, so the sums of g^k stay 0.
 */
function phaseDelta(setup: AlgorithmSetup, phase: number): Float64Array {
  const g = setup.topology.round(phase);
  const delta = new Float64Array(setup.n);
  for (let i = 0; i < setup.n; i++) {
    let s = g.selfWeight[i]! - 1;
    for (const j of g.inPeers[i]!) s += g.selfWeight[j]!;
    delta[i] = s;
  }
  return delta;
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

/** The schedule phase k = t mod L of this round (choco form). */
export function phaseOf(dev: DeviceContext): number {
  const period = dev.setup.topology.period;
  return period === 1 ? 0 : dev.round % period;
}

/** The i32 stamp in vector `mixed`: 1 + the last round this device mixed in (0 before any). */
export function mixedStamp(dev: DeviceContext): Int32Array {
  const v = dev.vector(MIXED_NAME).view;
  return new Int32Array(v.buffer, v.byteOffset, 1);
}

/** [ŵ^0, h^0, ŵ^1, h^1, ...] as f64 (the vector is 8-byte aligned: 4 L f32 per device). */
export function weightCopies(dev: DeviceContext): Float64Array {
  const v = dev.vector(WEIGHTS_NAME).view;
  return new Float64Array(v.buffer, v.byteOffset, v.length >>> 1);
}

/** Rounds s in [from, to) with s mod period == phase. */
function countInPhase(from: number, to: number, period: number, phase: number): number {
  if (to <= from) return 0;
  const upTo = (end: number): number => Math.floor((end - 1 - phase) / period) + 1; // s in [0, end)
  return upTo(to) - upTo(from);
}

/**
 * Choco form, start of the send hook: applies the gossip terms gamma g^k this device missed
 * while offline (rounds stamp .. round-1), which stayed constant meanwhile (see the header).
 */
export function catchUpMissedMixes(dev: DeviceContext): void {
  if (dev.config.algorithm.memory === 'ef') return;
  const missedFrom = mixedStamp(dev)[0]!;
  if (missedFrom >= dev.round) return;
  const period = dev.setup.topology.period;
  const gamma = dev.config.algorithm.gamma;
  const wc = weightCopies(dev);
  let w = dev.w[0]!;
  for (let phase = 0; phase < period; phase++) {
    const count = countInPhase(missedFrom, dev.round, period, phase);
    if (count === 0) continue;
    dev.kernels.axpy(dev.d, gamma * count, dev.vector(accName(phase)).ptr, dev.x.ptr);
    w += gamma * count * wc[2 * phase + 1]!;
  }
  dev.w[0] = w;
}

/** Phase "train", second part, of both forms (see the header). Uses scratch slot 0 (choco form). */
export function compressedPushSend(dev: DeviceContext): void {
  catchUpMissedMixes(dev);
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
  const wc = weightCopies(dev);
  const r = dev.w[0]! - wc[2 * phase]!;
  wc[2 * phase] = wc[2 * phase]! + r;
  wc[2 * phase + 1] = wc[2 * phase + 1]! - (1 - a) * r;
  dev.post(bytes, r);
}

/** Phase "mix" of both forms: in-messages in ascending sender order, then x and w. */
export function compressedPushMix(dev: DeviceContext): void {
  const { gamma, memory } = dev.config.algorithm;
  const d = dev.d;
  const c = messageScale(dev);
  const inbox = dev.inbox();
  let inW = 0;
  if (memory === 'ef') {
    for (const msg of inbox) {
      dev.compressor.accumulate(msg.bytes, d, c * gamma * msg.selfWeight, dev.x.view);
      inW += msg.selfWeight * msg.weight;
    }
    const a = sendsThisRound(dev) ? dev.selfWeight : 1;
    const w = dev.w[0]!;
    dev.w[0] = w + gamma * (inW + a * w - w);
    return;
  }
  const phase = phaseOf(dev);
  const acc = dev.vector(accName(phase));
  for (const msg of inbox) {
    dev.compressor.accumulate(msg.bytes, d, c * msg.selfWeight, acc.view);
    inW += msg.selfWeight * msg.weight;
  }
  dev.kernels.axpy(d, gamma, acc.ptr, dev.x.ptr);
  const wc = weightCopies(dev);
  const h = wc[2 * phase + 1]! + inW;
  wc[2 * phase + 1] = h;
  dev.w[0] = dev.w[0]! + gamma * h;
  mixedStamp(dev)[0] = dev.round + 1;
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
