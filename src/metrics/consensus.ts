/**
 * Consensus helpers (plain TypeScript; the engine computes the same quantities in its phases with
 * fixed-order sums). Useful as references in tests and for analysing dumped models.
 */

/** Mean of the models in f64, in the given order. */
export function averageModel(models: readonly Float32Array[]): Float64Array {
  if (models.length === 0) throw new Error('averageModel: no models');
  const d = models[0]!.length;
  const acc = new Float64Array(d);
  for (const m of models) {
    if (m.length !== d) throw new Error(`averageModel: model of length ${m.length}, expected ${d}`);
    for (let k = 0; k < d; k++) acc[k] += m[k]!;
  }
  for (let k = 0; k < d; k++) acc[k] = acc[k]! / models.length;
  return acc;
}

/** 1/n sum_i ||z_i - avg||^2 (f64). */
export function consensusDistance(models: readonly Float32Array[], avg: ArrayLike<number> = averageModel(models)): number {
  let s = 0;
  for (const m of models) {
    for (let k = 0; k < m.length; k++) {
      const diff = m[k]! - avg[k]!;
      s += diff * diff;
    }
  }
  return s / models.length;
}
