/** Dense mixing matrices (for analysis and tests; the engine uses RoundGraph directly). */
import { GraphError } from '../errors.js';
import type { RoundGraph, Topology } from './types.js';
import { RESAMPLED_WINDOW, representativeRounds } from './build.js';

export { RESAMPLED_WINDOW };

/** Largest n for which dense n x n matrices are built (8192^2 doubles = 512 MiB). */
export const DENSE_MAX_N = 8192;

function checkDense(n: number, what: string): void {
  if (n > DENSE_MAX_N) throw new GraphError(`${what}: a dense ${n} x ${n} matrix is too large (limit devices <= ${DENSE_MAX_N})`);
}

/**
 * The round's column-stochastic mixing matrix, row-major: W[i * n + j] = a_j when i is j's
 * out-peer or i = j, else 0. Column j is what node j sends.
 */
export function mixingMatrix(g: RoundGraph): Float64Array {
  const n = g.outPeers.length;
  checkDense(n, `mixing matrix of round ${g.round}`);
  const w = new Float64Array(n * n);
  addRound(w, g, 1);
  return w;
}

function addRound(w: Float64Array, g: RoundGraph, scale: number): void {
  const n = g.outPeers.length;
  for (let j = 0; j < n; j++) {
    const a = g.selfWeight[j]! * scale;
    w[j * n + j]! += a;
    for (const i of g.outPeers[j]!) w[i * n + j]! += a;
  }
}

/**
 * Mean of the mixing matrices over one period. A schedule resampled every round (period
 * Infinity) is averaged over its first RESAMPLED_WINDOW (32) rounds instead.
 */
export function periodAverageMatrix(topo: Topology): Float64Array {
  checkDense(topo.n, `topology '${topo.spec}'`);
  const rounds = representativeRounds(topo);
  const w = new Float64Array(topo.n * topo.n);
  for (let t = 0; t < rounds; t++) addRound(w, topo.round(t), 1 / rounds);
  return w;
}
