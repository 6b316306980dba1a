import { parseCompressorSpec } from '../compress/spec.js';

/**
 * Per-algorithm defaults for keys whose good value depends on the algorithm (config leaves them
 * null to mean "the algorithm's default"). Measured, not guessed: bench/repro/tune.ts and the
 * sparse-push study; the runs and the reasons are in docs/results/tune/discussion.md ("Where the
 * defaults come from").
 * - sparse-push 0.2: the best consensus step of the lr x gamma grid at top-1%+int8; larger steps
 *   let the consensus distance grow without bound with top-1%.
 * - sc-sparse-push 0.2: the same messages and gossip as sparse-push, so the same step (not tuned
 *   separately).
 * Both are scaled down for sparsifiers keeping < 1% (sparsityScale below). choco keeps CHOCO's
 * 0.05 (not re-tuned). The algorithms not listed (uncompressed and server algorithms) have no
 * consensus step and get 1 (1 keeps sparse-push's uncompressed limit equal to SGP).
 */
export const DEFAULT_GAMMA: Readonly<Record<string, number>> = Object.freeze({
  'sparse-push': 0.2,
  'sc-sparse-push': 0.2,
  choco: 0.05,
});

/**
 * sparse-push with memory 'ef' (error feedback, no copies): its messages carry x itself, so the
 * consensus step multiplies the deferred mass (sparse-push.ts) and a step as large as the choco
 * form's diverges; 0.01 is the best of a gamma grid on IID (docs/results/tune/discussion.md).
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
 * 4x smaller per 10x sparser below (f = 0.1%: 0.2 -> 0.05), interpolated in log-log in between
 * (top-0.3%: gamma 0.097). CHOCO's analysis wants gamma to shrink with the compression quality;
 * the sparse-push study's gamma rows show top-1% preferring 0.2 and top-0.1% preferring 0.05
 * (docs/results/tune/discussion.md, "Where the defaults come from").
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
