import { parseCompressorSpec } from '../compress/spec.js';

/**
 * Per-algorithm defaults for keys whose good value depends on the algorithm (config leaves them
 * null to mean "the algorithm's default"). Measured, not guessed (bench/repro/tune.ts, results in
 * docs/results/tune/; 16 devices, exponential:1, Fashion-MNIST, top-1%+int8, 300 rounds, lr 0.05):
 * - sparse-push 0.2: best of gamma {0.05, 0.1, 0.2} x lr {0.02, 0.05, 0.1} on LeNet IID, and better
 *   than 0.05 and 0.1 at lr 0.05 and 0.02 (public copies starting at x(0); seed 1: 86.3% against
 *   SGP's 87.4% at lr 0.05, 85.0% at gamma 0.05; seeds 1-3: -1.12 / -1.52 / -1.75 points against
 *   SGP, so LeNet stays ~1.5 points short); logistic IID is flat over the grid (82.6-83.8%) and
 *   0.35 points below SGP at 0.2 (3 seeds). gamma 0.3 and 0.5 are unstable with top-1% (consensus
 *   distance grows without bound on logistic); at 0.2 it still grows roughly linearly over 1,000
 *   logistic rounds (15 -> 37; 0.05 ends near 9) while accuracy stays within 0.3 points.
 * - sc-sparse-push 0.2: the same consensus step as sparse-push (same messages and gossip; only the
 *   momentum differs), not tuned separately. Logistic skew:1 (3 seeds) it recovers 73% of
 *   Sparse-Push's loss at 300 rounds (38% at the old 0.1), 55% at 1,000 rounds, but its consensus
 *   distance accelerates over 1,000 rounds (1.5 -> 50). On LeNet skew:1 it recovers 31% (3 seeds;
 *   gamma 0.1 / 0.3 no better; docs/results/tune/discussion.md).
 * Both are scaled down for sparsifiers keeping < 1% (sparsityScale below).
 * CHOCO's analysis needs gamma to shrink with the kept fraction (choco keeps 0.05, not re-tuned).
 * Uncompressed and server algorithms do not use gamma (1 keeps sparse-push's uncompressed limit
 * equal to SGP).
 */
export const DEFAULT_GAMMA: Readonly<Record<string, number>> = Object.freeze({
  sgp: 1,
  dpsgd: 1,
  'sparse-push': 0.2,
  'sc-sparse-push': 0.2,
  choco: 0.05,
  'ef-sgd': 1,
  'dagc-r': 1,
  'dagc-a': 1,
});

/**
 * sparse-push with memory 'ef' (error feedback, no copies): its messages carry x itself, so the
 * consensus step multiplies the deferred mass (sparse-push.ts); gamma 0.2 diverges there. Measured
 * (logistic, Fashion-MNIST, 16 devices, exponential:1, seed 1, 300 rounds, IID): topk:0.001 gives
 * 83.2 / 83.2 / 83.3 / 83.0 / 82.1 / 79.6 / 71.6% at gamma 0.002 / 0.005 / 0.01 / 0.02 / 0.05 / 0.1
 * / 0.2 (choco-form SGP 83.8%), topk:0.01+int8 likewise (83.3% at 0.01, 73.6% at 0.2); over 1,000
 * rounds 0.01 holds (84.4% / 84.8%) where 0.05 falls to 76.4% (consensus distance 5e4). On skew:1
 * larger is better until it diverges (0.005 / 0.01 / 0.02 / 0.05: 36 / 42 / 45 / 49%); the ef
 * form is weak there at any gamma (choco form 65%). 0.01: best on IID at both compressors.
 */
export const DEFAULT_GAMMA_EF: Readonly<Record<string, number>> = Object.freeze({
  'sparse-push': 0.01,
});

/** True for the algorithms whose gossip has a consensus step (a DEFAULT_GAMMA below 1). */
export function hasConsensusStep(algorithm: string): boolean {
  return (DEFAULT_GAMMA[algorithm] ?? 1) < 1;
}

/** Algorithms whose choco-form default shrinks with the kept fraction (sparsityScale). */
const SCALED_BY_SPARSITY: ReadonlySet<string> = new Set(['sparse-push', 'sc-sparse-push']);

/** Kept fraction at and above which DEFAULT_GAMMA applies unscaled (top-1%: where it was tuned). */
export const GAMMA_TUNED_AT = 0.01;

/**
 * Factor on DEFAULT_GAMMA for a sparsifier keeping fraction f of the coordinates: 1 for f >= 1%,
 * 4x smaller per 10x sparser below (f = 0.1%: 0.2 -> 0.05). CHOCO's analysis wants gamma to shrink
 * with the compression quality; measured (sparse-push study, logistic, 1,000 rounds, 3 seeds at
 * 0.2, seed 1 at 0.05): top-1% prefers 0.2 (skew:1 Sparse-Push 74.5% vs 64.5% at 0.05, SC 78.8%
 * vs 76.0%), top-0.1% prefers 0.05 (skew:1 Sparse-Push 49.0% vs 31.8%, SC 62.7% vs 57.4%; IID
 * 84.6% vs 84.8%, the same); LeNet skew:1 top-0.1% (200 rounds) overflows to NaN at 0.2 (seed 2,
 * round 104) and stays finite at 0.05 without learning either (10%); LeNet IID top-0.1% pays a little
 * (seed 1, 200 rounds: 80.9% at 0.05 vs 81.5% at 0.2).
 * Between the two measured points the factor is interpolated in log-log (top-0.3%: gamma 0.097).
 * Dense compressors (int8, qsgd, sign) and threshold (its count depends on the data) keep 1.
 */
export function sparsityScale(compressor: string): number {
  let f = 1;
  try {
    const sp = parseCompressorSpec(compressor).sparsifier;
    if (sp.kind === 'topk' || sp.kind === 'randk') f = sp.ratio;
  } catch {
    return 1; // an invalid spec is reported by the algorithm's validation, naming the key
  }
  return f >= GAMMA_TUNED_AT ? 1 : 4 ** (Math.log10(f) - Math.log10(GAMMA_TUNED_AT));
}

/**
 * The consensus step an algorithm uses when config algorithm.gamma is null: DEFAULT_GAMMA (choco
 * form, scaled down for sparsifiers keeping < 1%, sparsityScale) or DEFAULT_GAMMA_EF (memory ef).
 */
export function defaultGamma(algorithm: string, memory: 'choco' | 'ef' = 'choco', compressor = 'none'): number {
  if (memory === 'ef') {
    const ef = DEFAULT_GAMMA_EF[algorithm];
    if (ef !== undefined) return ef;
  }
  const base = DEFAULT_GAMMA[algorithm] ?? 1;
  if (!SCALED_BY_SPARSITY.has(algorithm)) return base;
  const scale = sparsityScale(compressor);
  // Two significant digits: a default that reads well in configs and reports (0.097, not 0.0969...).
  return scale === 1 ? base : Number((base * scale).toPrecision(2));
}
