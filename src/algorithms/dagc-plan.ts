/**
 * DAGC planning (Lu et al., arXiv 2311.07324): per-worker compression from data volumes, computed
 * once on the server before training. Pure functions, usable without training to plan a deployment.
 */
import { InputError } from '../errors.js';

/** Validated data shares p_i = volume_i / sum(volume). */
export function volumeShares(volumes: readonly number[]): number[] {
  if (!Array.isArray(volumes) || volumes.length === 0) throw new InputError('volumes: expected at least one worker volume');
  let total = 0;
  volumes.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new InputError(`volumes[${i}]: expected a positive finite number, got ${String(v)}`);
    }
    total += v;
  });
  return volumes.map((v) => v / total);
}

function checkRatio(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new InputError(`${name}: expected a ratio in (0, 1], got ${String(value)}`);
  }
}

/**
 * DAGC-R: per-worker top-k kept fractions delta_i, in the input order, with mean equal to meanRatio.
 * The closed form of docs/algorithms.md#server-algorithms-ef-sgd-dagc-r-dagc-a: sort so
 * p_1 >= ... >= p_n, q = p^(2/3), and pick the tie index j that minimises phi. With distinct volumes delta_i ∝ p_i^(2/3) and the smallest worker tied to the
 * second smallest; equal volumes give uniform ratios.
 */
export function dagcRatios(volumes: readonly number[], meanRatio: number): number[] {
  const shares = volumeShares(volumes);
  checkRatio('meanRatio', meanRatio);
  const n = shares.length;
  if (n === 1) return [meanRatio];

  // Stable sort by share, largest first; remember where each came from.
  const order = shares.map((_, i) => i).sort((a, b) => shares[b]! - shares[a]! || a - b);
  const p = order.map((i) => shares[i]!);
  const q = p.map((pi) => Math.pow(pi, 2 / 3));
  const P = q.reduce((s, v) => s + v, 0);
  const budget = n * meanRatio;

  let best = Infinity;
  let sorted: number[] = [];
  for (let j = n - 1; j >= 0; j--) {
    const r = j === n - 1 ? n - 2 : n - 1;
    if (j < n - 1 && p[j] === p[j + 1]) continue;
    const Q = (P - q[j]!) / q[r]!;
    const phi = p[j]! * (1 + Q) + p[r]! * Q * (1 + Q);
    if (phi < best) {
      best = phi;
      const base = budget / (Q + 1);
      sorted = q.map((qk) => (base * qk) / q[r]!);
      sorted[j] = base;
    }
  }

  const ratios = new Array<number>(n);
  order.forEach((src, rank) => { ratios[src] = sorted[rank]!; });
  ratios.forEach((d, i) => {
    if (d > 1) {
      throw new InputError(`meanRatio ${meanRatio} is too large for these volumes: worker ${i} would keep ${d.toFixed(4)} > 1 of its gradient; lower the budget`);
    }
  });
  return ratios;
}

/**
 * DAGC-A: per-worker hard thresholds lambda_i = lambdaBar * P / n * p_i^(-2/3), in the input order,
 * so that sum(1 / lambda_i) = n / lambdaBar: larger workers get lower thresholds (keep more).
 */
export function dagcThresholds(volumes: readonly number[], lambdaBar: number): number[] {
  const shares = volumeShares(volumes);
  if (typeof lambdaBar !== 'number' || !Number.isFinite(lambdaBar) || lambdaBar <= 0) {
    throw new InputError(`lambdaBar: expected a positive finite threshold, got ${String(lambdaBar)}`);
  }
  const n = shares.length;
  const P = shares.reduce((s, p) => s + Math.pow(p, 2 / 3), 0);
  return shares.map((p) => (lambdaBar * P) / n * Math.pow(p, -2 / 3));
}
