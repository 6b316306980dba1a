/**
 * Per-algorithm defaults for keys whose good value depends on the algorithm (config leaves them
 * null to mean "the algorithm's default"). Measured, not guessed (bench/repro/tune.ts, 16 devices,
 * exponential:1, Fashion-MNIST, IID, top-1%+int8, 300 rounds, lr 0.05):
 * - sparse-push 0.2: best of gamma {0.05, 0.1, 0.2} x lr {0.02, 0.05, 0.1} on LeNet (86.1% against
 *   SGP's 87.4% at lr 0.05; 84.5% at gamma 0.05) and within 0.8 points of SGP on logistic (the
 *   logistic grid is flat: 82.6-83.8% everywhere). gamma 0.5 is unstable with top-1% messages
 *   (consensus distance grows without bound over 900 rounds on logistic).
 * - sc-sparse-push 0.2: the same consensus step as sparse-push (same messages and gossip; only the
 *   momentum differs), not tuned separately.
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

export function defaultGamma(algorithm: string): number {
  return DEFAULT_GAMMA[algorithm] ?? 1;
}
