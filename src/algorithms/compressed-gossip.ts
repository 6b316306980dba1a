/**
 * Compressed push-sum gossip, the machinery of Sparse-Push (sparse-push.ts) and its skew-compensated
 * variant (sc-sparse-push.ts), also used by CHOCO-SGD (choco.ts): the choco form's per-phase public
 * copies and accumulators, the error-feedback form, the push-sum weight's copies, message rules of
 * stochastic compressors and the catch-up of an offline device. The update rules and why they hold
 * are in sparse-push.ts's header and docs/algorithms.md.
 *
 * A stream is one vector gossiped in the choco form: its value v_i, per phase k a public copy v̂_i^k
 * and an accumulator g_i^k. Sparse-Push has one stream (x); the tracking compensation adds the
 * gradient tracker y with its own copies, sent in the same payload (Algorithm.streamSpecs).
 */
import { parseCompressorSpec } from '../compress/spec.js';
import { keptCount } from '../compress/topk.js';
import type { CompressOptions } from '../compress/types.js';
import { ConfigError, SpecError } from '../errors.js';
import { Purpose } from '../kernels/rng.js';
import type { Algorithm, AlgorithmSetup, DeviceContext, InMessage, StateVector, Vec } from './types.js';
import { frameLength } from '../compress/codec.js';
import type { WireCompressor } from '../compress/types.js';

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

/** A use of the choco form's public copies (`uses`, e.g. "with compensation 'qgm' follows ...") needs memory 'choco'. */
export function requireChocoMemory(setup: AlgorithmSetup, name: string, uses: string): void {
  const memory = setup.config.algorithm.memory;
  if (memory !== 'choco') {
    throw new ConfigError('algorithm.memory', `${name} ${uses}, which only memory 'choco' keeps; got '${memory}' (use sparse-push for memory ef)`);
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
 * (CHOCO) and error feedback diverge with them (qsgd:2 overflows f32 within 150 rounds
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
export function compressOptions(dev: DeviceContext, compressor: WireCompressor = dev.compressor): CompressOptions {
  const { purpose } = messageRule(compressor.spec, dev.d);
  return purpose === null ? {} : { rngKey: dev.rngKey(purpose) };
}

/** The factor of messageRule for this device's compressor. */
export function messageScale(dev: DeviceContext, compressor: WireCompressor = dev.compressor): number {
  return messageRule(compressor.spec, dev.d).scale;
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
export function catchUpMissedMixes(dev: DeviceContext, extra: readonly PhaseStream[] = []): void {
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
    for (const s of extra) dev.kernels.axpy(dev.d, gamma * count, dev.vector(s.accName(phase)).ptr, s.value(dev).ptr);
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
  const bytes = sendPhaseStream(dev, dev.compressor, dev.x, dev.vector(copyName(phase)), dev.vector(accName(phase)), out);
  dev.post(bytes, sendPhaseWeight(dev, phase));
}

/**
 * Choco form, one stream: q = C(v - v̂^k) written at the start of `out`; v̂^k += q and
 * g^k -= (1 - a_i) q with the decoded values (what receivers add). Returns the message's bytes.
 * Uses scratch slot 0.
 */
export function sendPhaseStream(dev: DeviceContext, compressor: WireCompressor, value: Vec, copy: Vec, acc: Vec, out: Uint8Array): number {
  const c = messageScale(dev, compressor);
  dev.kernels.sub(dev.d, value.ptr, copy.ptr, dev.scratch(0).ptr);
  const bytes = compressor.compressInto(dev.scratch(0).view, out, compressOptions(dev, compressor));
  const q = out.subarray(0, bytes);
  compressor.accumulate(q, dev.d, c, copy.view);
  compressor.accumulate(q, dev.d, -c * (1 - dev.selfWeight), acc.view);
  return bytes;
}

/** Choco form: the weight's increment r = w - ŵ^k to post, booked in ŵ^k and h^k like a stream's. */
export function sendPhaseWeight(dev: DeviceContext, phase: number): number {
  const wc = weightCopies(dev);
  const r = dev.w[0]! - wc[2 * phase]!;
  wc[2 * phase] = wc[2 * phase]! + r;
  wc[2 * phase + 1] = wc[2 * phase + 1]! - (1 - dev.selfWeight) * r;
  return r;
}

/** Choco form, mix side of the weight: h^k += sum_j a_j r_j (given), w += gamma h^k; stamps the mix. */
export function mixPhaseWeight(dev: DeviceContext, phase: number, inWeight: number): void {
  const wc = weightCopies(dev);
  const h = wc[2 * phase + 1]! + inWeight;
  wc[2 * phase + 1] = h;
  dev.w[0] = dev.w[0]! + dev.config.algorithm.gamma * h;
  mixedStamp(dev)[0] = dev.round + 1;
}

/** A choco-form stream besides x: its value vector and the names of its per-phase copy and accumulator. */
export interface PhaseStream {
  value(dev: DeviceContext): Vec;
  copyName(phase: number): string;
  accName(phase: number): string;
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
  mixPhaseWeight(dev, phase, inW);
}

/** Byte length of the first wire message of a multi-stream payload (validated: codec.frameLength). */
export function frameOf(msg: InMessage, dev: DeviceContext): number {
  return frameLength(msg.bytes, 0, `device ${dev.device}, round ${dev.round}: payload from device ${msg.from}`);
}

/** What a compressed push-sum algorithm adds to the common parts (validation, vectors, streams, hooks). */
export interface CompressedPushParts {
  /** Checks beyond validateCompressedPush. */
  validate?(setup: AlgorithmSetup): void;
  /** Per-device vectors besides compressedPushVectors. */
  deviceVectors?(setup: AlgorithmSetup): readonly StateVector[];
  streamSpecs?(setup: AlgorithmSetup, device: number): readonly string[];
  local(dev: DeviceContext): Promise<void>;
  send(dev: DeviceContext): void;
  mix(dev: DeviceContext): void;
}

/** An Algorithm over compressed push-sum gossip (sparse-push, sc-sparse-push): the shared contract, the given parts. */
export function compressedPushAlgorithm(name: string, parts: CompressedPushParts): Algorithm {
  return {
    name,
    kind: 'decentralized',
    sendsWeight: true,
    scratchVectors: 2,
    needsUndirected: false,
    validate: (setup: AlgorithmSetup) => {
      validateCompressedPush(setup, name);
      parts.validate?.(setup);
    },
    deviceVectors: (setup: AlgorithmSetup) => [...compressedPushVectors(setup, name), ...(parts.deviceVectors?.(setup) ?? [])],
    serverVectors: () => [],
    compressorSpec: (setup: AlgorithmSetup) => setup.config.compressor,
    ...(parts.streamSpecs ? { streamSpecs: parts.streamSpecs } : {}),
    local: parts.local,
    send: parts.send,
    mix: parts.mix,
  };
}
