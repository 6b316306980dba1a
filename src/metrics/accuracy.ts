/** Accuracy aggregation over evaluation parts (chunks of a test set, or devices). */

export interface EvalPart {
  /** Sum of per-sample losses. */
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
}

/** Pooled accuracy and mean loss of parts, summed in the given order. */
export function poolParts(parts: readonly EvalPart[]): { accuracy: number; loss: number; count: number } {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const p of parts) { lossSum += p.lossSum; correct += p.correct; count += p.count; }
  return { accuracy: count > 0 ? correct / count : 0, loss: count > 0 ? lossSum / count : 0, count };
}

/** Unweighted mean of per-part accuracies (e.g. mean device accuracy). */
export function meanAccuracy(parts: readonly EvalPart[]): number {
  if (parts.length === 0) return 0;
  let s = 0;
  for (const p of parts) s += p.count > 0 ? p.correct / p.count : 0;
  return s / parts.length;
}
